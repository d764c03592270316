import {mkdtempSync} from 'node:fs'
import {rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {isDeepStrictEqual} from 'node:util'
import {afterAll, describe, expect, it} from 'vitest'

import type {ConfigInput} from '../../src/config/schema.js'
import {sha256Of} from '../../src/hash.js'
import type {Action, Step, StepContext} from '../../src/engine/step.js'
import {ConfigError} from '../../src/errors.js'
import {incomingPath, keepPackage} from '../../src/packages/cache.js'
import {NGINX_BUILD_NEEDS, PECL_BUILD_NEEDS} from '../../src/php/features.js'
import {packagesFor} from '../../src/platform/packages.js'
import {NFT_RULES_PATH, NFT_UNIT} from '../../src/platform/firewall.js'
import {app} from '../../src/steps/app.js'
import {RUNTIME_ONLY_NEEDS, buildDeps} from '../../src/steps/build-deps.js'
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
import type {Shipping} from '../../src/steps/support/ship.js'
import type {SourceTarball} from '../../src/steps/support/source.js'
import {wwwUser} from '../../src/steps/www-user.js'
import {brief} from './action-brief.js'
import {FACTS, webCtx} from './steps-support-fixtures.js'

/**
 * The idempotency sweep (issue 11, pyinfra's "operation not idempotent" check): for every step of STEPS, on
 * every platform of FACTS, plan on a fresh host, take the facts its probe would find once that plan was
 * applied, and plan again: the second plan must be empty and say why. A step that plans work on its own done
 * state would repeat it (a restart, a rebuild) on every run.
 *
 * DONE holds, per step, the facts of a fresh host and the facts after its fresh plan. What the plan's actions
 * say is read from them (`Applied`: a file has the content the plan wrote, a link the target it switched to, a
 * service runs once started, a build job or an unpacked package leaves its marker); what an opaque command does
 * (install packages, create the user, run the SQL, unpack, chown) is data from the step's inputs. A step added to
 * STEPS without an entry here fails the sweep. The shipped path of build once, ship (a web host installing its
 * builder's packages) has its own sweep below, over the same entries.
 */
type Platform = keyof typeof FACTS

/** What a plan leaves on the host, as far as its actions tell. */
interface Applied {
  /** sha256 of a file the plan wrote or uploaded */
  sha(path: string): string | undefined
  /** where a link points after the plan's switch-link (undefined: untouched) */
  link(path: string): string | undefined
  /**
   * the marker a build job writes last, when the plan ran that job, or installed the job's package (build once,
   * ship): an upload-package, then the opaque command after it, which unpacks the package with its marker last.
   * That command is no job: without the second way an installed host would have no marker, and the sweep would
   * ask the shipped path for an install it had just done.
   */
  built(job: BuildJob): BuildMarker | undefined
  /** the plan compiled the job (and so fetched its source tarball first); installing its package fetches nothing */
  compiled(job: BuildJob): boolean
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
  const unpacked = new Set<string>()
  let uploadedPackage: string | undefined
  for (const a of actions) {
    if (a.kind === 'run' && uploadedPackage !== undefined) unpacked.add(uploadedPackage)
    uploadedPackage = a.kind === 'upload-package' ? a.path : undefined
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
    built: (job) => (jobs.has(job.id) || (job.package !== undefined && unpacked.has(job.package.path)) ? job.marker : undefined),
    compiled: (job) => jobs.has(job.id),
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
    // with a package cache the job packed the build, or the plan uploaded the builder's package
    done: (w, host) => ({
      marker: host.built(w.job),
      linkTarget: host.link(w.home) ?? '',
      tarballSha256: host.compiled(w.job) ? w.tarball.sha256 : undefined,
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
    // the build job copies php.ini-production to php.ini before its marker (and packs it: a package brings it)
    done: (w, host) => ({
      marker: host.built(w.job),
      tarballSha256: host.compiled(w.job) ? w.tarball.sha256 : undefined,
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
      tarballSha256: host.compiled(w.job) ? w.tarball.sha256 : undefined,
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

/**
 * The shipped path of build once, ship (issue 11): web02 of a cluster whose builder is web01, of the same
 * platform, installs the packages web01 kept instead of compiling (src/steps/support/ship.ts). Its contexts are
 * the ones ClusterAccess.contextFor gives: the controller's package cache, and for web02 the builder's name and
 * facts. The cache is a temporary folder per case.
 *
 * The model above holds what a plan leaves on the host; the shipped path also reads and changes the controller:
 * `kept` is found in the cache when the inputs are worked out, and a keep-package action puts a package there.
 * keepOnController is that side of a plan (the next run's inputs find what it kept): without it a host that
 * compiled would plan its keep again forever, and web02 could never find web01's package.
 */
const SHIP_HOSTS = [
  {name: 'lb01', address: '10.0.0.5', privateAddress: '172.16.1.5', roles: ['lb' as const]},
  {name: 'web01', address: '10.0.0.7', privateAddress: '172.16.1.7', roles: ['web' as const]},
  {name: 'web02', address: '10.0.0.8', privateAddress: '172.16.1.8', roles: ['web' as const]},
  {name: 'db01', address: '10.0.0.51', privateAddress: '172.16.1.51', roles: ['db' as const, 'cache' as const]},
]

/** The steps that compile, ship and keep: their inputs carry a Shipping. */
const SHIPPED: Step[] = [nginxSource, phpSource, peclMemcache]

/** The inputs every SHIPPED step has. */
interface Compiled {
  job: BuildJob
  tarball: SourceTarball
  shipping: Shipping | undefined
}

const caches: string[] = []
afterAll(async () => {
  await Promise.all(caches.map((dir) => rm(dir, {recursive: true, force: true})))
})

function emptyCache(): string {
  const dir = mkdtempSync(join(tmpdir(), 'lnmp-sweep-packages-'))
  caches.push(dir)
  return dir
}

/** `host` of the four-host cluster, with the package cache as ClusterAccess gives it (none: undefined, each compiles). */
function shipCtx(platform: Platform, variant: Partial<ConfigInput>, hostName: string, cacheDir: string | undefined): StepContext {
  const ctx = webCtx(FACTS[platform], {...variant, hosts: SHIP_HOSTS})
  const host = ctx.cluster.find((h) => h.name === hostName)
  if (!host) throw new Error(`no host ${hostName}`)
  const base = {...ctx, host, secrets: SECRETS}
  if (cacheDir === undefined) return base
  // as ClusterAccess.packagesFor: the builder's facts for a host that ships from it (same platform: same facts)
  if (host.builder === undefined || host.builder === host.name) return {...base, packages: {cacheDir}}
  return {...base, packages: {cacheDir, builder: {name: host.builder, facts: FACTS[platform]}}}
}

/** The controller's side of a plan: each keep-package downloads the package into the cache; the keys kept. */
async function keepOnController(actions: readonly Action[], builtOn: string): Promise<string[]> {
  const kept: string[] = []
  for (const a of actions) {
    if (a.kind !== 'keep-package') continue
    const incoming = await incomingPath(a.cacheDir)
    await writeFile(incoming, `the package ${a.key}, packed on ${builtOn}`)
    await keepPackage(a.cacheDir, a.key, incoming, builtOn)
    kept.push(a.key)
  }
  return kept
}

/** What compiles on the host: the compiler's install, the source tarball's fetch, the build job. */
function compileActions(actions: readonly Action[], want: Compiled): Action[] {
  return actions.filter(
    (a) =>
      (a.kind === 'run' && (a.job !== undefined || a.build === true || a.command === want.shipping?.compileDeps)) ||
      (a.kind === 'run' && a.command.includes(want.tarball.path)) ||
      (a.kind === 'upload' && a.path === want.tarball.path),
  )
}

const sweepOf = (step: Step): Sweep<any, any> => {
  const sweep = DONE.get(step.id)
  if (!sweep) throw new Error(`${step.id} has no entry in DONE`)
  return sweep
}

/** web01's fresh plan on an empty cache, kept on the controller as its run would: the key web01 kept. */
async function builderKeeps(step: Step, platform: Platform, variant: Partial<ConfigInput>, cacheDir: string): Promise<string> {
  const ctx = shipCtx(platform, variant, 'web01', cacheDir)
  const want = step.inputs(ctx) as Compiled
  const plan = step.plan(sweepOf(step).fresh(want, ctx), want)
  // the builder compiles, as each host did before build once, ship; nobody builds before it
  expect(want.shipping).toMatchObject({kept: false})
  expect(want.shipping?.builder).toBeUndefined()
  expect(compileActions(plan.actions, want)).not.toEqual([])
  const kept = await keepOnController(plan.actions, 'web01')
  expect(kept).toEqual([want.shipping?.key])
  return kept[0] ?? ''
}

/** The first variant a step is not refused on (CentOS 7 builds PHP 8.2 only). */
function buildableVariant(step: Step, platform: Platform): [string, Partial<ConfigInput>] {
  const found = Object.entries(VARIANTS).find(([variant]) => !REFUSED[`${step.id} on ${platform}, ${variant}`])
  if (!found) throw new Error(`${step.id} is refused on ${platform} in every variant`)
  return found
}

/** The plan of a host that installs the kept package: the upload, then the unpack; nothing compiles. */
function expectInstallsPackage(actions: readonly Action[], want: Compiled, key: string): void {
  const at = actions.findIndex((a) => a.kind === 'upload-package')
  expect(actions[at]).toEqual({kind: 'upload-package', path: want.shipping?.path, key, cacheDir: want.shipping?.cacheDir})
  expect(actions[at + 1]).toMatchObject({kind: 'run', description: expect.stringMatching(/^install the package of .* \(no compile\)$/)})
  expect(actions[at + 1]).not.toHaveProperty('job')
  expect(compileActions(actions, want)).toEqual([])
  expect(actions.filter((a) => a.kind === 'keep-package')).toEqual([])
}

const nothingToDo = {actions: [], reason: expect.stringMatching(/\S/)}

describe('idempotency sweep, shipped path: web02 installs what its builder web01 compiled and plans nothing on the result', () => {
  it('the steps whose plan on a fresh host changes with the package cache are build-deps and the SHIPPED ones', async () => {
    const cacheDir = emptyCache()
    for (const step of SHIPPED) await builderKeeps(step, 'debian12', {}, cacheDir)
    const differ = STEPS.filter((step) => {
      const hostName = step.roles.includes('web')
        ? 'web02'
        : (SHIP_HOSTS.find((h) => h.roles.some((r) => step.roles.includes(r)))?.name ?? '')
      const [withCache, without] = [cacheDir, undefined].map((dir) => {
        const ctx = shipCtx('debian12', {}, hostName, dir)
        const want = step.inputs(ctx)
        return step.plan(sweepOf(step).fresh(want, ctx), want)
      })
      return !isDeepStrictEqual(withCache, without)
    }).map((s) => s.id)
    expect(differ.sort()).toEqual([buildDeps, ...SHIPPED].map((s) => s.id).sort())
  })

  for (const platform of Object.keys(FACTS) as Platform[]) {
    for (const [variant, config] of Object.entries(VARIANTS)) {
      // not refused on CentOS 7 with PHP 8.4, unlike web01's: a follower's build-deps needs nothing of the PHP build (its php-source refuses)
      it(`build-deps on ${platform}, ${variant}: web02 installs no compiler and no -dev package`, () => {
        const ctx = shipCtx(platform, config, 'web02', emptyCache())
        const want = buildDeps.inputs(ctx)
        expect(want.compiles).toBe(false)
        expect(want.packages).toEqual(packagesFor(RUNTIME_ONLY_NEEDS, ctx.facts))
        const compilers = packagesFor([...NGINX_BUILD_NEEDS, ...PECL_BUILD_NEEDS], ctx.facts)
        expect(want.packages.filter((p) => compilers.includes(p))).toEqual([])
        const sweep = sweepOf(buildDeps)
        const fresh = buildDeps.plan(sweep.fresh(want, ctx), want)
        expect(brief(fresh.actions)).toEqual([`run:install ${want.packages.join(' ')}`])
        const next = shipCtx(platform, config, 'web02', ctx.packages?.cacheDir)
        expect(buildDeps.plan(sweep.done(want, applied(fresh.actions), ctx), buildDeps.inputs(next))).toEqual(nothingToDo)
      })

      for (const step of SHIPPED) {
        const name = `${step.id} on ${platform}, ${variant}`
        it(`${name}: web02 installs web01's package, then plans nothing`, async () => {
          const cacheDir = emptyCache()
          const ctx = shipCtx(platform, config, 'web02', cacheDir)
          if (REFUSED[name]) {
            expect(() => step.inputs(ctx)).toThrow(REFUSED[name])
            return
          }
          const key = await builderKeeps(step, platform, config, cacheDir)
          const sweep = sweepOf(step)
          const want = step.inputs(ctx) as Compiled
          expect(want.shipping).toMatchObject({key, kept: true, builder: 'web01'})
          const fresh = step.plan(sweep.fresh(want, ctx), want)
          expectInstallsPackage(fresh.actions, want, key)
          const next = shipCtx(platform, config, 'web02', cacheDir)
          expect(step.plan(sweep.done(want, applied(fresh.actions), ctx), step.inputs(next))).toEqual(nothingToDo)
        })
      }
    }

    for (const step of SHIPPED) {
      const [variant, config] = buildableVariant(step, platform)
      const name = `${step.id} on ${platform}, ${variant}`

      it(`${name}: web02 has the kept package already but no install (an unpack that failed): unpacks it, no compile`, async () => {
        const cacheDir = emptyCache()
        const key = await builderKeeps(step, platform, config, cacheDir)
        const ctx = shipCtx(platform, config, 'web02', cacheDir)
        const sweep = sweepOf(step)
        const want = step.inputs(ctx) as Compiled
        // the upload is checked by its sha256 on the host: the bytes already there are not sent again
        const plan = step.plan({...sweep.fresh(want, ctx), packageOnHost: true}, want)
        expectInstallsPackage(plan.actions, want, key)
        const next = shipCtx(platform, config, 'web02', cacheDir)
        expect(step.plan(sweep.done(want, applied(plan.actions), ctx), step.inputs(next))).toEqual(nothingToDo)
      })

      it(`${name}: web02 installed the package and the controller lost it: web02 sends its own back, no compile`, async () => {
        const cacheDir = emptyCache()
        await builderKeeps(step, platform, config, cacheDir)
        const ctx = shipCtx(platform, config, 'web02', cacheDir)
        const sweep = sweepOf(step)
        const want = step.inputs(ctx) as Compiled
        const installed = sweep.done(want, applied(step.plan(sweep.fresh(want, ctx), want).actions), ctx)
        expect(installed.packageOnHost).toBe(true)
        // another controller, or its cache removed: no package for the key
        const lost = shipCtx(platform, config, 'web02', emptyCache())
        const now = step.inputs(lost) as Compiled
        expect(now.shipping).toMatchObject({key: want.shipping?.key, kept: false})
        const plan = step.plan(installed, now)
        expect(plan.actions).toEqual([
          {kind: 'keep-package', path: now.shipping?.path, key: now.shipping?.key, cacheDir: lost.packages?.cacheDir},
        ])
        expect(await keepOnController(plan.actions, 'web02')).toEqual([now.shipping?.key])
        expect(step.plan(installed, step.inputs(shipCtx(platform, config, 'web02', lost.packages?.cacheDir)))).toEqual(nothingToDo)
      })

      it(`${name}: web01 kept nothing: web02 installs the compiler, compiles, keeps its package, then plans nothing`, async () => {
        const cacheDir = emptyCache()
        const ctx = shipCtx(platform, config, 'web02', cacheDir)
        const sweep = sweepOf(step)
        const want = step.inputs(ctx) as Compiled
        expect(want.shipping).toMatchObject({kept: false, builder: 'web01'})
        const fresh = step.plan(sweep.fresh(want, ctx), want)
        // build-deps left the compiler out, expecting the package: this compile installs it first
        const compile = compileActions(fresh.actions, want)
        expect(compile[0]).toEqual({
          kind: 'run',
          description: "install the compiler and libraries web01's package would have spared",
          command: want.shipping?.compileDeps,
        })
        expect(compile.find((a) => a.kind === 'run' && a.build)).toMatchObject({
          job: want.job.id,
          description: expect.stringContaining('(unless web01, which builds first, keeps its package)'),
        })
        expect(fresh.actions.filter((a) => a.kind === 'upload-package')).toEqual([])
        expect(await keepOnController(fresh.actions, 'web02')).toEqual([want.shipping?.key])
        const next = shipCtx(platform, config, 'web02', cacheDir)
        expect(step.plan(sweep.done(want, applied(fresh.actions), ctx), step.inputs(next))).toEqual(nothingToDo)
      })
    }
  }
})
