import type {PhpFeature} from '../config/schema.js'
import {ConfigError} from '../errors.js'
import {FEATURES, PRESETS} from './features.js'
import {atLeast} from './version.js'

/** The seed's ./configure line for PHP 5.5.32, without its --prefix. */
export const SEED_PHP_FLAGS = [
  '--with-mysql=mysqlnd',
  '--with-pdo-mysql=mysqlnd',
  '--with-iconv-dir=/usr/local/libiconv',
  '--with-freetype-dir',
  '--with-jpeg-dir',
  '--with-png-dir',
  '--with-zlib',
  '--with-libxml-dir=/usr',
  '--enable-xml',
  '--disable-rpath',
  '--enable-bcmath',
  '--enable-shmop',
  '--enable-sysvsem',
  '--enable-inline-optimization',
  '--with-curl',
  '--enable-mbregex',
  '--enable-fpm',
  '--enable-mbstring',
  '--with-mcrypt',
  '--with-gd',
  '--enable-gd-native-ttf',
  '--with-openssl',
  '--with-mhash',
  '--enable-pcntl',
  '--enable-sockets',
  '--with-xmlrpc',
  '--enable-soap',
  '--enable-short-tags',
  '--enable-static',
  '--with-xsl',
  '--with-fpm-user=www',
  '--with-fpm-group=www',
  '--enable-ftp',
  '--enable-opcache=no',
] as const

export const FPM_USER = 'www'

/** Without it PHP's configure only warns on an unknown flag, exits 0, and e.g. builds without GD. */
export const OPTION_CHECKING = '--enable-option-checking=fatal'

interface FlagRule {
  /** PHP version that no longer knows the flag */
  removedIn?: string
  /** PHP version that first knows it */
  addedIn?: string
  /** what to pass instead, or why nothing is needed */
  instead: string
}

/** Flags whose meaning changed between PHP 5.5 and 8.4, by name (the part before `=`). */
const RULES: Record<string, FlagRule> = {
  '--with-mysql': {removedIn: '7.0', instead: 'use --with-mysqli=mysqlnd (ext/mysql was removed)'},
  '--with-t1lib': {removedIn: '7.0', instead: 'drop it (t1lib support was removed)'},
  '--with-mcrypt': {removedIn: '7.2', instead: 'drop it (mcrypt moved to PECL; use openssl or sodium)'},
  '--enable-gd-native-ttf': {removedIn: '7.2', instead: 'drop it (always on)'},
  '--with-pcre-regex': {removedIn: '7.3', instead: 'drop it, or use --with-external-pcre'},
  '--with-freetype-dir': {removedIn: '7.4', instead: 'use --with-freetype'},
  '--with-jpeg-dir': {removedIn: '7.4', instead: 'use --with-jpeg'},
  '--with-png-dir': {removedIn: '7.4', instead: 'drop it (libpng is found by pkg-config)'},
  '--with-libxml-dir': {removedIn: '7.4', instead: 'drop it (libxml2 is found by pkg-config)'},
  '--with-gd': {removedIn: '7.4', instead: 'use --enable-gd'},
  '--enable-zip': {removedIn: '7.4', instead: 'use --with-zip'},
  '--enable-wddx': {removedIn: '7.4', instead: 'drop it (wddx moved to PECL)'},
  '--enable-hash': {removedIn: '7.4', instead: 'drop it (always on)'},
  '--with-libmbfl': {removedIn: '7.4', instead: 'drop it (bundled)'},
  '--with-xmlrpc': {removedIn: '8.0', instead: 'drop it (xmlrpc moved to PECL)'},
  '--enable-inline-optimization': {removedIn: '8.0', instead: 'drop it (it was the default)'},
  '--with-iconv-dir': {removedIn: '8.0', instead: 'drop it (ext/iconv is on by default; --with-iconv=DIR for another libiconv)'},
  '--enable-json': {removedIn: '8.0', instead: 'drop it (always on)'},
  // PHP 8.4 unbundled imap, oci8, pdo_oci and pspell to PECL (UPGRADING.INTERNALS, build system changes)
  '--with-imap': {removedIn: '8.4', instead: 'drop it (imap moved to PECL)'},
  '--with-imap-ssl': {removedIn: '8.4', instead: 'drop it (an imap option; imap moved to PECL)'},
  '--with-kerberos': {removedIn: '8.4', instead: 'drop it (an imap option; imap moved to PECL, and openssl dropped its own)'},
  '--with-pspell': {removedIn: '8.4', instead: 'drop it (pspell moved to PECL; --with-enchant is the bundled spell checker)'},
  '--with-oci8': {removedIn: '8.4', instead: 'drop it (oci8 moved to PECL)'},
  '--with-pdo-oci': {removedIn: '8.4', instead: 'drop it (pdo_oci moved to PECL)'},
  '--with-zlib-dir': {removedIn: '8.4', instead: 'drop it (zlib is found by pkg-config)'},
  '--with-sodium': {addedIn: '7.2', instead: 'PHP before 7.2 has no ext/sodium; use PECL libsodium or a newer PHP'},
  '--enable-gd': {addedIn: '7.4', instead: 'use --with-gd'},
  '--with-freetype': {addedIn: '7.4', instead: 'use --with-freetype-dir'},
  '--with-jpeg': {addedIn: '7.4', instead: 'use --with-jpeg-dir'},
  '--with-zip': {addedIn: '7.4', instead: 'use --enable-zip'},
}

/** Flags lnmp-deploy sets itself from the config, so a literal one would fight it. */
const MANAGED = new Map([['--prefix', "set from the config's prefix: as <prefix>/php-<version>"]])

function flagName(flag: string): string {
  return flag.split('=', 1)[0] ?? flag
}

/** Why this flag is wrong for this version, or undefined when the version knows it. */
function problemOf(flag: string, version: string): string | undefined {
  const name = flagName(flag)
  const managed = MANAGED.get(name)
  if (managed) return `${flag}: ${managed}; leave it out`
  const rule = RULES[name]
  if (!rule) return undefined
  if (rule.removedIn && atLeast(version, rule.removedIn)) return `${flag}: removed in PHP ${rule.removedIn}; ${rule.instead}`
  if (rule.addedIn && !atLeast(version, rule.addedIn)) return `${flag}: not known before PHP ${rule.addedIn}; ${rule.instead}`
  return undefined
}

/** Every literal flag this PHP version does not know, all in one ConfigError, before anything is built. */
export function checkFlags(flags: readonly string[], version: string): void {
  const problems = flags.map((f) => problemOf(f, version)).filter((p) => p !== undefined)
  if (problems.length === 0) return
  throw new ConfigError(`php.flags: ${problems.length} flag(s) PHP ${version} does not accept:\n  ${problems.join('\n  ')}`, {
    hint: 'or list php.features and let lnmp-deploy pick the flags for the version',
  })
}

/** ./configure flags for features on a PHP version, without --prefix. */
export function featureFlags(features: readonly PhpFeature[], version: string): string[] {
  const selected = new Set(features)
  const tooNew = FEATURES.filter(([f, spec]) => selected.has(f) && spec.since && !atLeast(version, spec.since))
  if (tooNew.length > 0) {
    throw new ConfigError(`php.features: PHP ${version} has no ${tooNew.map(([f, s]) => `${f} (needs PHP ${s.since})`).join(', ')}`)
  }

  const flags = [OPTION_CHECKING]
  for (const [feature, spec] of FEATURES) {
    if (selected.has(feature)) flags.push(...spec.flags(version, selected))
    // the seed's positions for the two options that are not features
    if (feature === 'xml') flags.push('--disable-rpath')
    if (feature === 'xsl' && selected.has('fpm')) flags.push(`--with-fpm-user=${FPM_USER}`, `--with-fpm-group=${FPM_USER}`)
  }
  // opcache is built by default since 5.5; a feature list without it means without it
  if (!selected.has('opcache')) flags.push('--disable-opcache')
  return flags
}

/** Seed flags the feature table expresses, by flag name. */
const FLAG_FEATURES: Record<string, PhpFeature> = {
  '--with-mysql': 'mysqli',
  '--with-mysqli': 'mysqli',
  '--with-pdo-mysql': 'pdo-mysql',
  '--with-gd': 'gd',
  '--enable-gd': 'gd',
  '--with-freetype-dir': 'freetype',
  '--with-freetype': 'freetype',
  '--with-jpeg-dir': 'jpeg',
  '--with-jpeg': 'jpeg',
  '--with-zlib': 'zlib',
  '--enable-xml': 'xml',
  '--enable-bcmath': 'bcmath',
  '--enable-shmop': 'shmop',
  '--enable-sysvsem': 'sysvsem',
  '--with-curl': 'curl',
  '--enable-mbregex': 'mbregex',
  '--enable-fpm': 'fpm',
  '--enable-mbstring': 'mbstring',
  '--with-openssl': 'openssl',
  '--with-mhash': 'mhash',
  '--enable-pcntl': 'pcntl',
  '--enable-sockets': 'sockets',
  '--enable-soap': 'soap',
  '--enable-short-tags': 'short-tags',
  '--with-xsl': 'xsl',
  '--enable-ftp': 'ftp',
  '--with-sodium': 'sodium',
  '--with-zip': 'zip',
  '--enable-zip': 'zip',
  '--with-iconv': 'iconv',
}

/** Flags featureFlags writes itself (or means by leaving opcache out), and --enable-static, a no-op. */
const ABSORBED = new Set([
  '--prefix',
  '--with-fpm-user',
  '--with-fpm-group',
  '--disable-rpath',
  '--enable-option-checking',
  '--disable-opcache',
  '--with-png-dir',
  '--enable-static',
])

/**
 * The seed's literal flags as the given version wants them: each flag becomes its feature, flags the
 * version dropped are left out, and flags the table does not know are kept as they are (and checked).
 * For 8.2 this is the command measured to build (reference/php-build-facts.md).
 */
export function translateSeedFlags(flags: readonly string[], version: string): string[] {
  const features = new Set<PhpFeature>()
  const kept: string[] = []
  for (const flag of flags) {
    const name = flagName(flag)
    const feature = FLAG_FEATURES[name]
    const value = flag.slice(name.length + 1)
    if (name === '--enable-opcache') {
      if (value !== 'no') features.add('opcache')
    } else if (feature) {
      features.add(feature)
    } else if (ABSORBED.has(name)) {
      // featureFlags writes it itself: dropped
    } else if (RULES[name]?.removedIn && atLeast(version, RULES[name].removedIn)) {
      // the version no longer has it: dropped
    } else {
      kept.push(flag)
    }
  }
  checkFlags(kept, version)
  const ordered = FEATURES.map(([f]) => f).filter((f) => features.has(f))
  return [...featureFlags(ordered, version), ...kept]
}

export interface PhpBuildSpec {
  prefix: string
  version: string
  features?: readonly PhpFeature[]
  flags?: readonly string[]
}

/** The whole ./configure argument list: --prefix=<prefix>/php-<version>, then features' or literal flags. */
export function phpConfigureArgs(spec: PhpBuildSpec): string[] {
  const prefixFlag = `--prefix=${spec.prefix}/php-${spec.version}`
  if (spec.flags) {
    checkFlags(spec.flags, spec.version)
    const names = new Set(spec.flags.map((f) => flagName(f)))
    const extra: string[] = []
    if (!names.has('--enable-option-checking')) extra.push(OPTION_CHECKING)
    const rest = [...spec.flags]
    if (names.has('--enable-fpm') && !names.has('--with-fpm-user')) rest.push(`--with-fpm-user=${FPM_USER}`, `--with-fpm-group=${FPM_USER}`)
    return [prefixFlag, ...extra, ...rest]
  }
  return [prefixFlag, ...featureFlags(spec.features ?? PRESETS.seed, spec.version)]
}

/** Features of a build: the listed ones, those the literal flags name, or the seed preset. */
export function featuresOf(spec: Pick<PhpBuildSpec, 'features' | 'flags'>): PhpFeature[] {
  if (spec.features) return [...spec.features]
  if (spec.flags) {
    return spec.flags.flatMap((f) => {
      const name = flagName(f)
      if (name === '--enable-opcache') return f.endsWith('=no') ? [] : ['opcache' as const]
      const feature = FLAG_FEATURES[name]
      return feature ? [feature] : []
    })
  }
  return [...PRESETS.seed]
}
