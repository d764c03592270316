import {describe, expect, it} from 'vitest'

import type {ConfigInput} from '../../src/config/schema.js'
import {sha256Of} from '../../src/hash.js'
import type {Action, Step, StepContext} from '../../src/engine/step.js'
import {ConfigError} from '../../src/errors.js'
import {NFT_RULES_PATH, NFT_UNIT} from '../../src/platform/firewall.js'
import {app} from '../../src/steps/app.js'
import {buildDeps} from '../../src/steps/build-deps.js'
import {NFT_UNIT_PATH, dbFirewall} from '../../src/steps/db-firewall.js'
import {STEPS} from '../../src/steps/index.js'
import {lbUpstream} from '../../src/steps/lb-upstream.js'
import {HARDEN_SQL_PATH, SQL_PATH, mariadb} from '../../src/steps/mariadb.js'
import {memcached} from '../../src/steps/memcached.js'
import {nginxSource} from '../../src/steps/nginx-source.js'
import {peclMemcache} from '../../src/steps/pecl-memcache.js'
import {phpFpm} from '../../src/steps/php-fpm.js'
import {phpSession} from '../../src/steps/php-session.js'
import {phpSource} from '../../src/steps/php-source.js'
import {phpSwitch} from '../../src/steps/php-switch.js'
import type {BuildJob, BuildMarker} from '../../src/steps/support/build.js'
import {wwwUser} from '../../src/steps/www-user.js'
import {FACTS, webCtx} from './steps-support-fixtures.js'

/**
 * The idempotency sweep (issue 11, pyinfra's "operation not idempotent" check): for every step of STEPS, on
 * every platform of FACTS, plan on a fresh host, take the facts its probe would find once that plan was
 * applied, and plan again: the second plan must be empty and say why. A step that plans work on its own done
 * state would repeat it (a restart, a rebuild) on every run.
 *
 * DONE holds, per step, the facts of a fresh host and the facts after its fresh plan. What the plan's actions
 * say is read from them (`Applied`: a file has the content the plan wrote, a link the target it switched to, a
 * service runs once started, a build job leaves its marker); what an opaque command does (install packages,
 * create the user, run the SQL, unpack, chown) is data from the step's inputs. A step added to STEPS without
 * an entry here fails the sweep.
 */
type Platform = keyof typeof FACTS

/** What a plan leaves on the host, as far as its actions tell. */
interface Applied {
  /** sha256 of a file the plan wrote or uploaded */
  sha(path: string): string | undefined
  /** where a link points after the plan's switch-link (undefined: untouched) */
  link(path: string): string | undefined
  /** the marker a build job writes last, when the plan ran that job */
  built(job: BuildJob): BuildMarker | undefined
  /** started by the plan (enable-now or restart) */
  running(service: string): boolean
  /** enabled by the plan (enable-now) */
  enabled(service: string): boolean
}

function applied(actions: readonly Action[]): Applied {
  const sums = new Map<string, string>()
  const links = new Map<string, string>()
  const jobs = new Set<string>()
  const started = new Set<string>()
  const enabled = new Set<string>()
  for (const a of actions) {
    if (a.kind === 'write-file') sums.set(a.path, sha256Of(a.content))
    if (a.kind === 'upload') sums.set(a.path, a.sha256)
    if (a.kind === 'switch-link') links.set(a.link, a.target)
    if (a.kind === 'run' && a.job) jobs.add(a.job)
    if (a.kind === 'service' && a.op !== 'reload') started.add(a.service)
    if (a.kind === 'service' && a.op === 'enable-now') enabled.add(a.service)
  }
  return {
    sha: (path) => sums.get(path),
    link: (path) => links.get(path),
    built: (job) => (jobs.has(job.id) ? job.marker : undefined),
    running: (service) => started.has(service),
    enabled: (service) => enabled.has(service),
  }
}

interface Sweep<Inputs, Facts> {
  /** what the probe finds on a host that never saw the step */
  fresh(want: Inputs, ctx: StepContext): Facts
  /** what the probe finds once the fresh plan was applied */
  done(want: Inputs, host: Applied, ctx: StepContext): Facts
}

const entry = <I, F>(step: Step<I, F>, sweep: Sweep<I, F>): [string, Sweep<I, F>] => [step.id, sweep]
const sumsOf = (files: ReadonlyArray<{path: string}>, host: Applied): Record<string, string> =>
  Object.fromEntries(
    files.flatMap((f) => {
      const sum = host.sha(f.path)
      return sum === undefined ? [] : [[f.path, sum] as const]
    }),
  )
const HARDENED = {anonymousHosts: [], remoteRootHosts: [], testDatabase: false, testGrants: []}

const DONE = new Map<string, Sweep<any, any>>([
  entry(wwwUser, {
    fresh: () => ({}),
    // groupadd and useradd made them as asked
    done: (w) => {
      const group = {name: w.group, id: w.gid}
      const user = {name: w.user, id: w.uid, gid: w.gid, shell: w.shell}
      return {groupByName: group, groupById: group, userByName: user, userById: user}
    },
  }),
  entry(buildDeps, {fresh: (w) => ({missingPackages: w.packages}), done: () => ({missingPackages: []})}),
  entry(nginxSource, {
    fresh: () => ({
      marker: undefined,
      linkTarget: '',
      tarballSha256: undefined,
      packageOnHost: false,
      confSha256: undefined,
      unitSha256: undefined,
      active: false,
      enabled: false,
      pin: undefined,
    }),
    done: (w, host) => ({
      marker: host.built(w.job),
      linkTarget: host.link(w.home) ?? '',
      tarballSha256: w.tarball.sha256,
      packageOnHost: w.shipping !== undefined,
      confSha256: host.sha(w.confPath),
      unitSha256: host.sha(w.unitPath),
      active: host.running(w.service),
      enabled: host.enabled(w.service),
      pin: undefined,
    }),
  }),
  entry(phpSource, {
    fresh: () => ({marker: undefined, tarballSha256: undefined, iniPresent: false, packageOnHost: false}),
    // the build job copies php.ini-production to php.ini before its marker
    done: (w, host) => ({
      marker: host.built(w.job),
      tarballSha256: w.tarball.sha256,
      iniPresent: host.built(w.job) !== undefined,
      packageOnHost: w.shipping !== undefined,
    }),
  }),
  entry(phpFpm, {
    fresh: () => ({sums: {}, unitSha256: undefined, active: false, linkTarget: ''}),
    // the pool on disk listens where the written pool says
    done: (w, host) => ({
      sums: sumsOf(w.files, host),
      unitSha256: host.sha(w.unitPath),
      active: host.running(w.service),
      linkTarget: host.link(w.home) ?? '',
      listenNow: w.listen,
    }),
  }),
  entry(memcached, {
    fresh: (w) => ({missingPackages: w.packages, configSha256: undefined, enabled: false, active: false}),
    done: (w, host) => ({
      missingPackages: [],
      configSha256: host.sha(w.configPath),
      enabled: host.enabled(w.service),
      active: host.running(w.service),
    }),
  }),
  entry(mariadb, {
    fresh: (w) => ({missingPackages: w.packages, configSha256: undefined, enabled: false, active: false, sql: undefined}),
    // the setup SQL set root's password (beside unix_socket where the server has both), made the database and one
    // granted account per web host; the hardening SQL removed what mysql_secure_installation removes
    done: (w, host) => ({
      missingPackages: [],
      configSha256: host.sha(w.configPath),
      enabled: host.enabled(w.service),
      active: host.running(w.service),
      sql: {
        rootPasswordOk: host.sha(SQL_PATH) !== undefined,
        rootSocket: w.rootAuth === 'socket-or-password',
        database: host.sha(SQL_PATH) !== undefined,
        accounts: host.sha(SQL_PATH) ? w.appHosts.map((h) => ({host: h, passwordOk: true, granted: true})) : [],
        hardening: host.sha(HARDEN_SQL_PATH) ? HARDENED : {...HARDENED, testDatabase: true},
      },
    }),
  }),
  entry(dbFirewall, {
    // a RHEL server runs firewalld as installed (CentOS 7 must: it has no nftables)
    fresh: (w, ctx) => ({
      firewalldActive: ctx.facts.osFamily === 'rhel',
      missingPackages: w.packages,
      rulesSha256: undefined,
      unitSha256: undefined,
      enabled: false,
      active: false,
      tableLoaded: false,
      richRules: [],
    }),
    // starting the oneshot unit loads the table; with firewalld, firewall-cmd added the inputs' rich rules
    done: (w, host, ctx) => ({
      firewalldActive: ctx.facts.osFamily === 'rhel',
      missingPackages: [],
      rulesSha256: host.sha(NFT_RULES_PATH),
      unitSha256: host.sha(NFT_UNIT_PATH),
      enabled: host.enabled(NFT_UNIT),
      active: host.running(NFT_UNIT),
      tableLoaded: host.running(NFT_UNIT),
      richRules: ctx.facts.osFamily === 'rhel' ? w.richRules : [],
    }),
  }),
  entry(peclMemcache, {
    fresh: () => ({marker: undefined, tarballSha256: undefined, packageOnHost: false, iniSha256: undefined, linkTarget: ''}),
    done: (w, host) => ({
      marker: host.built(w.job),
      tarballSha256: w.tarball.sha256,
      packageOnHost: w.shipping !== undefined,
      iniSha256: host.sha(w.iniPath),
      linkTarget: host.link(w.phpHome) ?? '',
    }),
  }),
  entry(phpSession, {
    fresh: () => ({iniSha256: undefined, probeSha256: undefined, linkTarget: ''}),
    done: (w, host) => ({iniSha256: host.sha(w.iniPath), probeSha256: host.sha(w.probePath), linkTarget: host.link(w.phpHome) ?? ''}),
  }),
  entry(phpSwitch, {
    fresh: () => ({linkTarget: '', active: false, enabled: false, runningExe: '', pin: undefined}),
    // the master started through the link runs the build it points at (/proc/PID/exe resolves the link)
    done: (w, host) => ({
      linkTarget: host.link(w.home) ?? '',
      active: host.running(w.service),
      enabled: host.enabled(w.service),
      runningExe: host.running(w.service) ? `${host.link(w.home)}/sbin/php-fpm` : '',
      pin: undefined,
    }),
  }),
  entry(lbUpstream, {
    fresh: (w) => ({missingPackages: w.packages, confSha256: undefined, defaultSitePresent: false, enabled: false, active: false}),
    // the distribution's default site was removed by the plan (Debian and Ubuntu; the RHEL package has none)
    done: (w, host) => ({
      missingPackages: [],
      confSha256: host.sha(w.confPath),
      defaultSitePresent: false,
      enabled: host.enabled(w.service),
      active: host.running(w.service),
    }),
  }),
  entry(app, {
    fresh: () => ({
      vhostSha256: undefined,
      fileSha256: {},
      rootOwner: undefined,
      tarballSha256: undefined,
      unpackedSha256: undefined,
      linkTarget: undefined,
      probeDir: false,
    }),
    // the web root was chowned to www (or unpacked as www and marked complete, then linked); the probe folder made
    done: (w, host) => ({
      vhostSha256: host.sha(w.vhostPath),
      fileSha256: Object.fromEntries(w.files.map((f) => [f.path, host.sha(f.path)])),
      rootOwner: 'www:www',
      tarballSha256: w.tarball?.sha256,
      unpackedSha256: w.tarball?.sha256,
      linkTarget: w.dir,
      probeDir: true,
    }),
  }),
])

/** The seed's config, phpMyAdmin (another feature set, an unpacked and linked artifact), and PHP 8.2 (what CentOS 7 builds). */
const VARIANTS: Record<string, Partial<ConfigInput>> = {
  'seed defaults': {},
  phpMyAdmin: {
    app: {kind: 'phpmyadmin'},
    artifacts: {
      phpmyadmin: {
        url: 'https://files.phpmyadmin.net/phpMyAdmin/5.2.1/phpMyAdmin-5.2.1-all-languages.tar.xz',
        sha256: '5a5e7ea0'.repeat(8),
      },
    },
  },
  'PHP 8.2.32': {php: {version: '8.2.32'}},
}

/** The cases a step refuses with a ConfigError before planning, by test name: CentOS 7's OpenSSL 1.0 cannot build the default PHP 8.4. */
const REFUSED: Record<string, RegExp> = Object.fromEntries(
  ['build-deps', 'php-source', 'php-fpm', 'pecl-memcache', 'php-session', 'php-switch'].flatMap((id) =>
    ['seed defaults', 'phpMyAdmin'].map((variant) => [
      `${id} on centos7, ${variant}`,
      /php 8\.4\.24 cannot be built on centos 7: .*OpenSSL 1\.0/,
    ]),
  ),
)

const SECRETS = new Map([
  ['database.rootPassword', 'sweep-root-pw'],
  ['database.appPassword', 'sweep-app-pw'],
  ['app.blowfishSecret', 'sweep-blowfish-secret-0123456789ab'],
])

/** The seed topology on the first host with one of the step's roles (lb01, web01 or db01). */
function sweepCtx(step: Step, platform: Platform, variant: Partial<ConfigInput>): StepContext {
  const ctx = webCtx(FACTS[platform], variant)
  const host = ctx.cluster.find((h) => h.roles.some((r) => step.roles.includes(r)))
  if (!host) throw new Error(`no host of the seed topology has a role of ${step.id} (${step.roles.join(', ')})`)
  return {...ctx, host, secrets: SECRETS}
}

describe('idempotency sweep: every step plans nothing on the state its own fresh plan leaves', () => {
  it('DONE has an entry for each step of STEPS and no other', () => {
    expect([...DONE.keys()].sort()).toEqual(STEPS.map((s) => s.id).sort())
  })

  for (const step of STEPS) {
    for (const platform of Object.keys(FACTS) as Platform[]) {
      for (const [variant, config] of Object.entries(VARIANTS)) {
        const name = `${step.id} on ${platform}, ${variant}`
        it(name, () => {
          const sweep = DONE.get(step.id)
          if (!sweep) throw new Error(`${step.id} has no entry in DONE (test/unit/steps-idempotency.test.ts): add its fresh and done facts`)
          const ctx = sweepCtx(step, platform, config)
          if (REFUSED[name]) {
            expect(() => step.inputs(ctx)).toThrow(ConfigError)
            expect(() => step.inputs(ctx)).toThrow(REFUSED[name])
            return
          }
          const want = step.inputs(ctx)
          const fresh = step.plan(sweep.fresh(want, ctx), want)
          expect(fresh.actions, 'a fresh host needs work').not.toEqual([])
          // the next run computes its context and inputs anew: a random or timed value in them would show here
          const next = sweepCtx(step, platform, config)
          const again = step.plan(sweep.done(want, applied(fresh.actions), ctx), step.inputs(next))
          expect(again).toEqual({actions: [], reason: expect.stringMatching(/\S/)})
        })
      }
    }
  }
})
