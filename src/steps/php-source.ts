import {ask} from '../engine/probe-query.js'
import type {Action, ProbeQuery, Step, StepContext, StepPlan} from '../engine/step.js'
import {messages} from '../messages.js'
import {batchCommand, parseBatch} from '../platform/batch-probe.js'
import type {BuildKeyParts} from '../packages/key.js'
import type {HostFacts} from '../platform/facts.js'
import {packagesFor} from '../platform/packages.js'
import {requireSystemd} from '../platform/systemd.js'
import {phpBuildNeeds} from '../php/features.js'
import {and, cmd, ifMissing, quote} from '../ssh/shell.js'
import {BUILD_ROOT, type BuildJob, fromRoot, MARKER_NAME, markerCommand, RUNTIME_MANIFEST, parseMarker, sameBuild} from './support/build.js'
import {askAll, check, librariesCheck, unresolvedLibrariesCommand} from './support/checks.js'
import {type PhpBuild, phpBuild, phpModules} from './support/php-build.js'
import {type CompiledFacts, compileOrInstallActions, packageOnHostCommand, type Shipping, shippingFor, withPackage} from './support/ship.js'
import {type SourceTarball, sourceTarball, tarballSumCommand} from './support/source.js'

/**
 * The procedure's "compile and install PHP" milestones: dependencies (build-deps), unpack, `./configure
 * --prefix=/application/php-<ver> ...`, make, make install and `cp php.ini-production
 * /application/php/lib/php.ini`. The seed's PHP 5.5 flags are refused with their PHP 8 replacements
 * (src/php/flags.ts) and its version with the reason it cannot build, before anything runs. The build is
 * staged: the symlink /application/php moves to it only in the php-switch step, once FPM's config, PECL
 * memcache and the session settings are in the new tree too, so the running PHP never lacks them.
 */
export interface PhpSourceInputs {
  build: PhpBuild
  tarball: SourceTarball
  job: BuildJob
  modules: string[]
  iniPath: string
  shipping: Shipping | undefined
}

export interface PhpSourceFacts extends CompiledFacts {
  iniPresent: boolean
}

/** make install writes no php.ini: the production one, kept beside it so a lost php.ini can be put back. */
function installIni(srcDir: string, dir: string): string[] {
  return [
    cmd('install', '-m', '0644', `${srcDir}/php.ini-production`, `${dir}/lib/php.ini-production`),
    ifMissing(`${dir}/lib/php.ini`, cmd('cp', `${dir}/lib/php.ini-production`, `${dir}/lib/php.ini`)),
    cmd('mkdir', '-p', `${dir}/etc/conf.d`),
  ]
}

export function phpSourceInputs(ctx: StepContext): PhpSourceInputs {
  const build = phpBuild(ctx)
  requireSystemd(ctx, 'PHP-FPM')
  const tarball = sourceTarball('php', build.version, ctx)
  const srcDir = `${BUILD_ROOT}/php-${build.version}`
  const shipping = shippingFor(ctx, (facts) => phpKeyParts(build, tarball, facts), {
    files: `$(${cmd('find', build.dir, '-type', 'f', '(', '-perm', '-u+x', '-o', '-name', '*.so', ')')})`,
    manifest: `${build.dir}/${RUNTIME_MANIFEST}`,
  })
  const job: BuildJob = {
    id: build.id,
    tarball,
    srcDir,
    // configure writes `uname -a`, host name included, into php_config.h, which nearly every file includes:
    // without it the second host's compile finds the first one's objects in ccache's direct mode
    prepare: ['export PHP_UNAME="$(uname -srm)"'],
    configure: ['./configure', ...build.args],
    cores: ctx.facts.cores,
    afterInstall: installIni(srcDir, build.dir),
    markerPath: `${build.dir}/${MARKER_NAME}`,
    marker: {name: 'php', version: build.version, sha256: tarball.sha256, args: build.args},
    ccache: ctx.config.build.ccache,
  }
  return {
    build,
    tarball,
    job: withPackage(job, shipping, [quote(fromRoot(build.dir))]),
    modules: phpModules(build),
    iniPath: `${build.dir}/lib/php.ini`,
    shipping,
  }
}

/** What makes two PHP builds one: the key its package is kept under (src/packages/key.ts). */
export function phpKeyParts(build: PhpBuild, tarball: Pick<SourceTarball, 'sha256'>, facts: HostFacts): BuildKeyParts {
  return {
    name: 'php',
    version: build.version,
    sourceSha256: tarball.sha256,
    args: build.args,
    platform: facts,
    libraries: packagesFor(phpBuildNeeds(build.features), facts),
  }
}

export function planPhpSource(facts: PhpSourceFacts, want: PhpSourceInputs): StepPlan {
  const actions: Action[] = []
  const {build} = want
  const rebuild = !sameBuild(facts.marker, want.job.marker)
  actions.push(...compileOrInstallActions(want, facts, `build PHP ${build.version} into ${build.dir}`))
  if (!rebuild && !facts.iniPresent) {
    actions.push({
      kind: 'run',
      description: `put back ${want.iniPath} from php.ini-production`,
      command: cmd('cp', `${build.dir}/lib/php.ini-production`, want.iniPath),
    })
  }
  if (actions.length === 0) return {actions, reason: `PHP ${build.version} built in ${build.dir}`}
  return {actions}
}

/** The modules `php -m` is missing, from its output. */
export function missingModules(phpM: string, wanted: readonly string[]): string[] {
  const listed = new Set(phpM.split('\n').map((l) => l.trim().toLowerCase()))
  return wanted.filter((m) => !listed.has(m.toLowerCase()))
}

export const phpSourceQueries = {
  /** the build's marker, the tarball, php.ini and a shipped package, in one round trip */
  host: {
    command: (want) =>
      batchCommand({
        marker: markerCommand(want.job.markerPath),
        tarball: tarballSumCommand(want.tarball),
        ini: and(cmd('test', '-e', want.iniPath), 'echo yes'),
        package: packageOnHostCommand(want.shipping),
      }),
    sudo: true,
    parse: (stdout): PhpSourceFacts => {
      const a = parseBatch(stdout)
      return {
        marker: parseMarker(a.get('marker')),
        tarballSha256: a.get('tarball')?.trim() || undefined,
        iniPresent: a.get('ini')?.trim() === 'yes',
        packageOnHost: a.get('package')?.trim() === 'yes',
      }
    },
  },
} satisfies Record<string, ProbeQuery<PhpSourceInputs, unknown>>

export const phpSource: Step<PhpSourceInputs, PhpSourceFacts> = {
  id: 'php-source',
  title: 'Compile PHP from source with the chosen features into its own directory, install php.ini',
  roles: ['web'],
  after: ['build-deps', 'www-user', 'builder:php-source'],

  inputs: phpSourceInputs,

  probeQueries: phpSourceQueries,

  probe: (remote, ctx, want) => ask(remote, phpSourceQueries.host, want, ctx.facts),

  plan: planPhpSource,

  async verify({remote}, ctx, want) {
    // the build itself, live or staged: the php-switch step checks what the symlink and FPM run
    const php = `${want.build.dir}/bin/php`
    // one question for the version and the php.ini it loads: both checks name it as their command
    const versionCommand = cmd(php, '-r', 'echo "version=", PHP_VERSION, "\\nini=", php_ini_loaded_file(), "\\n";')
    const a = await askAll(remote, {
      version: versionCommand,
      modules: cmd(php, '-m'),
      libraries: unresolvedLibrariesCommand(want.build.dir),
    })
    const get = (k: string) => a.get(k) ?? {code: 255, out: ''}
    const rerun = messages.rerun.hint('php-source', ctx.host.name)
    // a startup warning (a conf.d extension that failed to load) may come first: find the lines by name
    const field = (name: string) =>
      get('version')
        .out.split('\n')
        .find((l) => l.startsWith(`${name}=`))
        ?.slice(name.length + 1)
        .trim() ?? ''
    const version = field('version')
    const ini = field('ini')
    const missing = get('modules').code === 0 ? missingModules(get('modules').out, want.modules) : want.modules
    return [
      librariesCheck('php-libraries', want.build.dir, a.get('libraries'), `install the missing libraries' packages, or ${rerun}`),
      check('php-version', get('version').code === 0 && version === want.build.version, version ? `PHP ${version}` : 'php does not run', {
        command: versionCommand,
        hint: rerun,
        output: get('version').out,
      }),
      check('php-ini', ini === want.iniPath, ini ? `loads ${ini}` : 'no php.ini loaded', {command: versionCommand, hint: rerun}),
      check(
        'php-modules',
        missing.length === 0,
        missing.length === 0 ? `${want.modules.length} modules listed` : `missing: ${missing.join(' ')}`,
        {
          command: cmd(php, '-m'),
          hint: 'the build lacks modules its features ask for: check the configure log of the build job',
          output: get('modules').out,
        },
      ),
    ]
  },
}
