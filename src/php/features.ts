import type {PhpFeature} from '../config/schema.js'
import type {PackageNeed} from '../platform/packages.js'
import {atLeast} from './version.js'

/**
 * What each feature means for a PHP version: its ./configure flags, the libraries its build needs and the
 * module `php -m` lists once it is built. The table's order is the order flags appear on the command
 * line (the seed's own order), so a flag list reads like the procedure's.
 */
interface FeatureSpec {
  flags(version: string, selected: ReadonlySet<PhpFeature>): string[]
  needs?: PackageNeed[]
  /** `php -m` names; none for build options that are not modules (fpm, short-tags, freetype, ...) */
  modules?: string[]
  /** lowest PHP version that has it */
  since?: string
}

const ON_74 = '7.4'

export const FEATURES: ReadonlyArray<[PhpFeature, FeatureSpec]> = [
  ['mysqli', {flags: () => ['--with-mysqli=mysqlnd'], modules: ['mysqli', 'mysqlnd']}],
  ['pdo-mysql', {flags: () => ['--with-pdo-mysql=mysqlnd'], modules: ['pdo_mysql']}],
  // before 7.4 gd found libpng through a directory flag; since then through pkg-config
  ['gd', {flags: (v) => (atLeast(v, ON_74) ? ['--enable-gd'] : ['--with-gd', '--with-png-dir']), needs: ['png', 'zlib'], modules: ['gd']}],
  ['freetype', {flags: (v) => [atLeast(v, ON_74) ? '--with-freetype' : '--with-freetype-dir'], needs: ['freetype']}],
  ['jpeg', {flags: (v) => [atLeast(v, ON_74) ? '--with-jpeg' : '--with-jpeg-dir'], needs: ['jpeg']}],
  ['zlib', {flags: () => ['--with-zlib'], needs: ['zlib'], modules: ['zlib']}],
  ['xml', {flags: () => ['--enable-xml'], modules: ['xml']}],
  ['bcmath', {flags: () => ['--enable-bcmath'], modules: ['bcmath']}],
  ['shmop', {flags: () => ['--enable-shmop'], modules: ['shmop']}],
  ['sysvsem', {flags: () => ['--enable-sysvsem'], modules: ['sysvsem']}],
  ['curl', {flags: () => ['--with-curl'], needs: ['curl'], modules: ['curl']}],
  // bundled oniguruma went away in 7.4; without this feature mbstring gets --disable-mbregex (see mbstring)
  ['mbregex', {flags: () => ['--enable-mbregex'], needs: ['oniguruma']}],
  ['fpm', {flags: () => ['--enable-fpm']}],
  [
    'mbstring',
    {
      // since 7.4 mbstring turns mbregex on by default, which then needs libonig: say no unless asked
      flags: (v, selected) =>
        atLeast(v, ON_74) && !selected.has('mbregex') ? ['--enable-mbstring', '--disable-mbregex'] : ['--enable-mbstring'],
      modules: ['mbstring'],
    },
  ],
  ['openssl', {flags: () => ['--with-openssl'], needs: ['openssl'], modules: ['openssl']}],
  ['mhash', {flags: () => ['--with-mhash'], modules: ['hash']}],
  ['pcntl', {flags: () => ['--enable-pcntl'], modules: ['pcntl']}],
  ['sockets', {flags: () => ['--enable-sockets'], modules: ['sockets']}],
  ['soap', {flags: () => ['--enable-soap'], modules: ['soap']}],
  ['short-tags', {flags: () => ['--enable-short-tags']}],
  ['xsl', {flags: () => ['--with-xsl'], needs: ['xslt'], modules: ['xsl']}],
  // the pool's user comes right after xsl in the seed; emitted with fpm (see featureFlags)
  ['ftp', {flags: () => ['--enable-ftp'], modules: ['ftp']}],
  ['sodium', {flags: () => ['--with-sodium'], needs: ['sodium'], modules: ['sodium'], since: '7.2'}],
  ['zip', {flags: (v) => [atLeast(v, ON_74) ? '--with-zip' : '--enable-zip'], needs: ['zip'], modules: ['zip']}],
  ['iconv', {flags: () => ['--with-iconv'], modules: ['iconv']}],
  // opcache builds as a zend_extension that php.ini must load before `php -m` lists it: not checked there
  ['opcache', {flags: () => ['--enable-opcache']}],
]

const SPECS = new Map(FEATURES)

export function featureSpec(feature: PhpFeature): FeatureSpec {
  const spec = SPECS.get(feature)
  if (!spec) throw new Error(`no table entry for PHP feature ${feature}`)
  return spec
}

/**
 * The seed's PHP feature set (its configure line, minus what PHP 8 dropped), plus sodium: phpMyAdmin 5.2
 * cookie logins need it.
 */
export const PRESETS = {
  seed: [
    'mysqli',
    'pdo-mysql',
    'gd',
    'freetype',
    'jpeg',
    'zlib',
    'xml',
    'bcmath',
    'shmop',
    'sysvsem',
    'curl',
    'mbregex',
    'fpm',
    'mbstring',
    'openssl',
    'mhash',
    'pcntl',
    'sockets',
    'soap',
    'short-tags',
    'xsl',
    'ftp',
    'sodium',
  ],
} as const satisfies Record<string, readonly PhpFeature[]>

/** Libraries every PHP build needs whatever the features: libxml2 (dom/xml on by default) and sqlite3 (pdo_sqlite). */
const PHP_BASE_NEEDS: PackageNeed[] = ['build-essentials', 'xz', 'libxml2', 'sqlite3']

export function phpBuildNeeds(features: readonly PhpFeature[]): PackageNeed[] {
  return [...new Set([...PHP_BASE_NEEDS, ...features.flatMap((f) => featureSpec(f).needs ?? [])])]
}

/** Libraries the nginx build needs (PCRE2: nginx >= 1.21.5). */
export const NGINX_BUILD_NEEDS: PackageNeed[] = ['build-essentials', 'pcre2', 'openssl', 'zlib']

/** phpize runs autoconf. */
export const PECL_BUILD_NEEDS: PackageNeed[] = ['build-essentials', 'autoconf']

/** The modules `php -m` must list for these features, sorted. */
export function expectedModules(features: readonly PhpFeature[]): string[] {
  return [...new Set(features.flatMap((f) => featureSpec(f).modules ?? []))].sort()
}
