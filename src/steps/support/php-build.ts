import type {Config, PhpFeature} from '../../config/schema.js'
import type {StepContext} from '../../engine/step.js'
import {checkBuildable} from '../../php/buildable.js'
import {expectedModules} from '../../php/features.js'
import {featuresOf, phpConfigureArgs} from '../../php/flags.js'
import {buildHash} from './build.js'

/**
 * Which PHP a web host runs, derived from the config alone: every PHP step (the build, FPM, PECL memcache,
 * the session handler) computes the same directory from it, so a version or flag change moves them all.
 */
export interface PhpBuild {
  version: string
  features: PhpFeature[]
  /** ./configure arguments, --prefix and the scan dir included */
  args: string[]
  /** <prefix>/php-<version>-<hash8>: one directory per build, the previous one kept for rollback */
  dir: string
  /** <prefix>/php, the symlink to the build in use (units and configs name it, so they outlive a rebuild) */
  home: string
  /** conf.d: memcache.ini and session.ini are files of their own here, php.ini stays php.ini-production */
  scanDir: string
  id: string
}

/** Features the app needs on top of what the config asks for: phpMyAdmin 5.2 cookie logins need sodium. */
function appFeatures(config: Config): PhpFeature[] {
  return config.app.kind === 'phpmyadmin' ? ['sodium'] : []
}

/**
 * The build's flags: php.flags literally (checked against the version, every unknown one in one error),
 * else php.features, else the seed's feature set; plus what the app needs.
 */
export function phpBuild(ctx: Pick<StepContext, 'config' | 'facts' | 'host'>): PhpBuild {
  const {config} = ctx
  const version = config.php.version
  checkBuildable('php', version, ctx.facts, ctx.host.name)
  const extra = appFeatures(config)
  const flags = config.php.flags
    ? [
        ...config.php.flags,
        ...(extra.includes('sodium') && !config.php.flags.some((f) => f.startsWith('--with-sodium')) ? ['--with-sodium'] : []),
      ]
    : undefined
  const features = flags ? featuresOf({flags}) : [...new Set([...featuresOf({features: config.php.features}), ...extra])]
  // --prefix is ours: the hash covers everything else, then the directory it names is the prefix
  const withoutPrefix = phpConfigureArgs({prefix: config.prefix, version, ...(flags ? {flags} : {features})}).filter(
    (a) => !a.startsWith('--prefix='),
  )
  const hash = buildHash({version, args: withoutPrefix})
  const dir = `${config.prefix}/php-${version}-${hash}`
  const scanDir = `${dir}/etc/conf.d`
  return {
    version,
    features,
    args: [`--prefix=${dir}`, `--with-config-file-scan-dir=${scanDir}`, ...withoutPrefix],
    dir,
    home: `${config.prefix}/php`,
    scanDir,
    id: `php-${version}-${hash}`,
  }
}

/** `php -m` names the build must list. */
export function phpModules(build: Pick<PhpBuild, 'features'>): string[] {
  return expectedModules(build.features)
}
