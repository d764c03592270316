import {readFileSync} from 'node:fs'

import {ask} from '../engine/probe-query.js'
import type {Action, ProbeQuery, Step, StepContext, StepPlan} from '../engine/step.js'
import {sha256Of} from '../hash.js'
import {messages} from '../messages.js'
import {batchCommand, firstWord, parseBatch} from '../platform/batch-probe.js'
import {COMPILED_UNITS} from '../platform/services.js'
import {checkMemcacheForPhp, memcacheVersionFor} from '../php/pecl.js'
import {sessionStores} from '../php/session-stores.js'
import {cmd, quote} from '../ssh/shell.js'
import {renderTemplate, templatePath} from '../templates.js'
import {buildKey} from '../packages/key.js'
import {PECL_BUILD_NEEDS} from '../php/features.js'
import {packagesFor} from '../platform/packages.js'
import {BUILD_ROOT, type BuildJob, fromRoot, markerCommand, parseMarker, sameBuild} from './support/build.js'
import {askAll, check} from './support/checks.js'
import {fpmReady} from './php-fpm.js'
import {phpBuild} from './support/php-build.js'
import {phpKeyParts} from './php-source.js'
import {type CompiledFacts, compileOrInstallActions, packageOnHostCommand, type Shipping, shippingFor, withPackage} from './support/ship.js'
import {type SourceTarball, sourceTarball, tarballSumCommand} from './support/source.js'

/**
 * The procedure's memcache client milestones on the web hosts: the PECL memcache source, `phpize`,
 * `./configure --enable-memcache --with-php-config=...`, make, make install, `extension = memcache.so`,
 * restart php-fpm, and the connect test. The release follows the PHP major (8.2 for PHP 8, where the
 * seed's 2.2.7 is PHP 5 only), and the extension is built against one PHP build: a new PHP build is a new
 * directory, so this step's inputs change with it and it builds again.
 */
export interface PeclMemcacheInputs {
  version: string
  phpDir: string
  /** the symlink: FPM is restarted for a new extension only when it runs this build */
  phpHome: string
  tarball: SourceTarball
  job: BuildJob
  iniPath: string
  ini: string
  service: string
  ready: ReturnType<typeof fpmReady>
  shipping: Shipping | undefined
}

export interface PeclMemcacheFacts extends CompiledFacts {
  iniSha256: string | undefined
  linkTarget: string
}

export function peclMemcacheInputs(ctx: StepContext): PeclMemcacheInputs {
  const php = phpBuild(ctx)
  const version = memcacheVersionFor(php.version)
  checkMemcacheForPhp(version, php.version)
  const tarball = sourceTarball('memcache', version, ctx)
  const phpConfig = `${php.dir}/bin/php-config`
  const args = ['--enable-memcache', `--with-php-config=${phpConfig}`]
  // beside the marker, outside the directory PHP's own package holds it in
  const runtimeManifest = `${php.dir}/lib/.lnmp-deploy-memcache-runtime`
  const shipping = shippingFor(
    ctx,
    (facts) => ({
      name: 'memcache',
      version,
      sourceSha256: tarball.sha256,
      args,
      platform: facts,
      libraries: packagesFor(PECL_BUILD_NEEDS, facts),
      against: buildKey(phpKeyParts(php, sourceTarball('php', php.version, ctx), facts)),
    }),
    {files: `"$(${cmd(phpConfig, '--extension-dir')})/memcache.so"`, manifest: runtimeManifest},
  )
  const job: BuildJob = {
    id: `memcache-${version}-for-${php.id}`,
    tarball,
    srcDir: `${BUILD_ROOT}/memcache-${version}`,
    prepare: [cmd(`${php.dir}/bin/phpize`)],
    configure: ['./configure', ...args],
    cores: ctx.facts.cores,
    // make install put memcache.so into this PHP's compiled-in extension_dir; the marker sits beside php's own
    markerPath: `${php.dir}/lib/.lnmp-deploy-memcache.json`,
    marker: {name: 'memcache', version, sha256: tarball.sha256, args},
    ccache: ctx.config.build.ccache,
  }
  return {
    version,
    phpDir: php.dir,
    phpHome: php.home,
    tarball,
    // make install put memcache.so into the extension directory only php-config knows; the marker comes last
    job: withPackage(job, shipping, [
      `"./$(${cmd(phpConfig, '--extension-dir')} | sed 's,^/*,,')/memcache.so"`,
      quote(fromRoot(runtimeManifest)),
    ]),
    iniPath: `${php.scanDir}/memcache.ini`,
    ini: renderTemplate('php/memcache.ini'),
    service: COMPILED_UNITS.phpFpm,
    ready: fpmReady(ctx.config.php.fpmListen),
    shipping,
  }
}

export function planPeclMemcache(facts: PeclMemcacheFacts, want: PeclMemcacheInputs): StepPlan {
  const actions: Action[] = []
  const rebuild = !sameBuild(facts.marker, want.job.marker)
  actions.push(...compileOrInstallActions(want, facts, `build PECL memcache ${want.version} for ${want.phpDir}`))
  const iniChanged = facts.iniSha256 !== sha256Of(want.ini)
  if (iniChanged) actions.push({kind: 'write-file', path: want.iniPath, content: want.ini, mode: 0o644})
  // FPM loads extensions at start only; a staged build gets them before the php-switch step starts it
  if ((rebuild || iniChanged) && facts.linkTarget === want.phpDir)
    actions.push({kind: 'service', service: want.service, op: 'restart', ready: want.ready, behindBalancer: true})
  if (actions.length === 0) return {actions, reason: `memcache ${want.version} built for ${want.phpDir} and loaded by ${want.iniPath}`}
  return {actions}
}

/** The connect test's JSON line, judged by its values: the seed's `or die` version exits 0 on failure. */
export function judgeConnectTest(stdout: string): {ok: boolean; detail: string} {
  const line = stdout
    .split('\n')
    .reverse()
    .find((l) => l.trim().startsWith('{'))
  if (!line) return {ok: false, detail: `no answer from the probe: ${stdout.trim().slice(0, 200) || '(nothing)'}`}
  try {
    const r = JSON.parse(line) as {ok?: unknown; value?: unknown; step?: unknown; error?: unknown}
    if (r.ok === true && typeof r.value === 'string' && r.value.startsWith('Memcache connect OK '))
      return {ok: true, detail: `set, get and delete: ${r.value}`}
    return {ok: false, detail: `failed at ${String(r.step ?? '?')}: ${String(r.error ?? 'no value read back')}`}
  } catch {
    return {ok: false, detail: `unreadable answer: ${line.slice(0, 200)}`}
  }
}

export const peclMemcacheQueries = {
  /** the build's marker, the tarball, memcache.ini, the PHP link and a shipped package, in one round trip */
  host: {
    command: (want) =>
      batchCommand({
        marker: markerCommand(want.job.markerPath),
        tarball: tarballSumCommand(want.tarball),
        ini: cmd('sha256sum', want.iniPath),
        link: cmd('readlink', want.phpHome),
        package: packageOnHostCommand(want.shipping),
      }),
    sudo: true,
    parse: (stdout): PeclMemcacheFacts => {
      const a = parseBatch(stdout)
      return {
        marker: parseMarker(a.get('marker')),
        tarballSha256: a.get('tarball')?.trim() || undefined,
        packageOnHost: a.get('package')?.trim() === 'yes',
        iniSha256: firstWord(a.get('ini')),
        linkTarget: a.get('link')?.trim() ?? '',
      }
    },
  },
} satisfies Record<string, ProbeQuery<PeclMemcacheInputs, unknown>>

const CONNECT_PROBE = () => readFileSync(templatePath('probes/memcache-connect.php'), 'utf8')

export const peclMemcache: Step<PeclMemcacheInputs, PeclMemcacheFacts> = {
  id: 'pecl-memcache',
  title: 'Build the PECL memcache extension for this PHP and load it (extension=memcache.so)',
  roles: ['web'],
  after: ['php-source', 'cache:memcached', 'builder:pecl-memcache'],

  inputs: peclMemcacheInputs,

  probeQueries: peclMemcacheQueries,

  probe: (remote, ctx, want) => ask(remote, peclMemcacheQueries.host, want, ctx.facts),

  plan: planPeclMemcache,

  async verify({remote}, ctx, want) {
    const php = `${want.phpDir}/bin/php`
    const stores = sessionStores(ctx)
    const modules = await askAll(remote, {m: cmd(php, '-m')})
    const listed = (modules.get('m')?.out ?? '').split('\n').some((l) => l.trim() === 'memcache')
    // the seed's test_memcache.php, from stdin, against every store: nothing is written into a web root
    const connects = await Promise.all(
      stores.map(async (store) => {
        const probe = await remote.exec(cmd(php, '--', store.address, store.port), {stdin: CONNECT_PROBE()})
        const judged = judgeConnectTest(probe.stdout)
        return check(`memcache-connect-${store.host.name}`, judged.ok, judged.detail, {
          command: `${php} -- ${store.address} ${store.port} < memcache-connect.php`,
          hint: `is memcached on ${store.host.name} running, bound to ${store.address}:${store.port} and open to ${ctx.host.name}?`,
          output: probe.stdout + probe.stderr,
        })
      }),
    )
    return [
      check('php-m-memcache', listed, listed ? 'php -m lists memcache' : 'php -m does not list memcache', {
        command: cmd(php, '-m'),
        hint: `see ${want.iniPath} and the build job memcache-${want.version}: ${messages.rerun.command('pecl-memcache', ctx.host.name)}`,
        output: modules.get('m')?.out,
      }),
      ...connects,
    ]
  },
}
