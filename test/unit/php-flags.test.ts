import {describe, expect, it} from 'vitest'
import {ConfigError} from '../../src/errors.js'
import {expectedModules, FEATURES, NGINX_BUILD_NEEDS, PECL_BUILD_NEEDS, phpBuildNeeds, PRESETS} from '../../src/php/features.js'
import {checkFlags, featureFlags, featuresOf, phpConfigureArgs, SEED_PHP_FLAGS, translateSeedFlags} from '../../src/php/flags.js'
import {compareVersions} from '../../src/php/version.js'

// reference/php-build-facts.md: the translated seed command that built cleanly on 8.2.32
const BUILT_ON_8_2_32 =
  '--enable-option-checking=fatal --with-mysqli=mysqlnd --with-pdo-mysql=mysqlnd --enable-gd --with-freetype ' +
  '--with-jpeg --with-zlib --enable-xml --disable-rpath --enable-bcmath --enable-shmop --enable-sysvsem ' +
  '--with-curl --enable-mbregex --enable-fpm --enable-mbstring --with-openssl --with-mhash --enable-pcntl ' +
  '--enable-sockets --enable-soap --enable-short-tags --with-xsl --with-fpm-user=www --with-fpm-group=www ' +
  '--enable-ftp --disable-opcache'

describe('translateSeedFlags', () => {
  it('turns the seed line into the command measured to build on PHP 8.2.32', () => {
    expect(translateSeedFlags(SEED_PHP_FLAGS, '8.2.32').join(' ')).toBe(BUILT_ON_8_2_32)
  })
  it('keeps flags the table does not model, and checks them', () => {
    expect(translateSeedFlags(['--enable-fpm', '--enable-calendar'], '8.2.32')).toEqual([
      '--enable-option-checking=fatal',
      '--disable-rpath',
      '--enable-fpm',
      '--with-fpm-user=www',
      '--with-fpm-group=www',
      '--disable-opcache',
      '--enable-calendar',
    ])
  })
  it('uses the 7.3 spellings for 7.3', () => {
    const flags = translateSeedFlags(['--with-gd', '--with-freetype-dir', '--with-jpeg-dir', '--with-mcrypt'], '7.3.33')
    expect(flags).toEqual([
      '--enable-option-checking=fatal',
      '--with-gd',
      '--with-png-dir',
      '--with-freetype-dir',
      '--with-jpeg-dir',
      '--disable-rpath',
      '--disable-opcache',
    ])
  })
})

describe('checkFlags', () => {
  it('lists every flag PHP 8 no longer knows in ONE ConfigError, each with its replacement', () => {
    let error: unknown
    try {
      checkFlags(['--prefix=/application/php-5.5.32', ...SEED_PHP_FLAGS], '8.2.32')
    } catch (error_) {
      error = error_
    }
    expect(error).toBeInstanceOf(ConfigError)
    expect((error as ConfigError).message).toBe(
      [
        'php.flags: 12 flag(s) PHP 8.2.32 does not accept:',
        "  --prefix=/application/php-5.5.32: set from the config's prefix: as <prefix>/php-<version>; leave it out",
        '  --with-mysql=mysqlnd: removed in PHP 7.0; use --with-mysqli=mysqlnd (ext/mysql was removed)',
        '  --with-iconv-dir=/usr/local/libiconv: removed in PHP 8.0; drop it (ext/iconv is on by default; --with-iconv=DIR for another libiconv)',
        '  --with-freetype-dir: removed in PHP 7.4; use --with-freetype',
        '  --with-jpeg-dir: removed in PHP 7.4; use --with-jpeg',
        '  --with-png-dir: removed in PHP 7.4; drop it (libpng is found by pkg-config)',
        '  --with-libxml-dir=/usr: removed in PHP 7.4; drop it (libxml2 is found by pkg-config)',
        '  --enable-inline-optimization: removed in PHP 8.0; drop it (it was the default)',
        '  --with-mcrypt: removed in PHP 7.2; drop it (mcrypt moved to PECL; use openssl or sodium)',
        '  --with-gd: removed in PHP 7.4; use --enable-gd',
        '  --enable-gd-native-ttf: removed in PHP 7.2; drop it (always on)',
        '  --with-xmlrpc: removed in PHP 8.0; drop it (xmlrpc moved to PECL)',
      ].join('\n'),
    )
  })
  it('accepts the seed flags a version still knows', () => {
    expect(() => checkFlags(['--with-mysql=mysqlnd', '--with-mcrypt', '--with-gd', '--enable-opcache=no'], '5.5.32')).not.toThrow()
    expect(() => checkFlags(['--enable-opcache=no', '--with-pdo-mysql=mysqlnd', '--enable-static'], '8.2.32')).not.toThrow()
    expect(() => checkFlags(['--with-xmlrpc', '--enable-inline-optimization'], '7.4.33')).not.toThrow()
  })
  it('refuses flags newer than the version, naming the old spelling', () => {
    expect(() => checkFlags(['--enable-gd', '--with-sodium'], '7.1.33')).toThrow(
      'php.flags: 2 flag(s) PHP 7.1.33 does not accept:\n  --enable-gd: not known before PHP 7.4; use --with-gd\n  --with-sodium: not known before PHP 7.2; PHP before 7.2 has no ext/sodium; use PECL libsodium or a newer PHP',
    )
  })
})

describe('PHP 8.4: the extensions it moved to PECL', () => {
  const movedToPecl = [
    '--with-imap',
    '--with-imap-ssl',
    '--with-kerberos',
    '--with-pspell',
    '--with-oci8=instantclient,/opt/oracle',
    '--with-pdo-oci',
    '--with-zlib-dir=/usr',
  ]

  it('8.3 still knows them', () => {
    expect(() => checkFlags(movedToPecl, '8.3.14')).not.toThrow()
    expect(() => checkFlags(movedToPecl, '8.2.32')).not.toThrow()
  })
  it('8.4 refuses every one in ONE ConfigError, each saying what to do instead', () => {
    let error: unknown
    try {
      checkFlags(['--enable-fpm', ...movedToPecl], '8.4.24')
    } catch (error_) {
      error = error_
    }
    expect(error).toBeInstanceOf(ConfigError)
    expect((error as ConfigError).message).toBe(
      [
        'php.flags: 7 flag(s) PHP 8.4.24 does not accept:',
        '  --with-imap: removed in PHP 8.4; drop it (imap moved to PECL)',
        '  --with-imap-ssl: removed in PHP 8.4; drop it (an imap option; imap moved to PECL)',
        '  --with-kerberos: removed in PHP 8.4; drop it (an imap option; imap moved to PECL, and openssl dropped its own)',
        '  --with-pspell: removed in PHP 8.4; drop it (pspell moved to PECL; --with-enchant is the bundled spell checker)',
        '  --with-oci8=instantclient,/opt/oracle: removed in PHP 8.4; drop it (oci8 moved to PECL)',
        '  --with-pdo-oci: removed in PHP 8.4; drop it (pdo_oci moved to PECL)',
        '  --with-zlib-dir=/usr: removed in PHP 8.4; drop it (zlib is found by pkg-config)',
      ].join('\n'),
    )
  })
  it('the seed line translates for 8.4 as for 8.2: none of its flags went in 8.4', () => {
    expect(translateSeedFlags(SEED_PHP_FLAGS, '8.4.24')).toEqual(translateSeedFlags(SEED_PHP_FLAGS, '8.2.32'))
  })
  it("the translation leaves out a flag 8.4 removed, as it does the seed's older ones", () => {
    expect(translateSeedFlags(['--enable-fpm', '--with-imap'], '8.4.24')).toEqual(translateSeedFlags(['--enable-fpm'], '8.4.24'))
    expect(translateSeedFlags(['--enable-fpm', '--with-imap'], '8.3.14').at(-1)).toBe('--with-imap')
  })
})

describe('the feature table per version', () => {
  // PHP 8.4.24's `./configure --help` lists every flag these produce (--with-mhash, --disable-opcache included)
  it("gives 8.4 the same flags as 8.2 for every feature, and every feature's flags pass the checks of each version it knows", () => {
    const all = FEATURES.map(([f]) => f)
    expect(featureFlags(all, '8.4.24')).toEqual(featureFlags(all, '8.2.32'))
    expect(featureFlags(PRESETS.seed, '8.4.24')).toEqual(featureFlags(PRESETS.seed, '8.2.32'))
    for (const version of ['7.4.33', '8.0.30', '8.1.33', '8.2.32', '8.3.14', '8.4.24']) {
      expect(() => checkFlags(featureFlags(all, version), version), version).not.toThrow()
    }
  })
})

describe('featureFlags and phpConfigureArgs', () => {
  it('the seed preset on 8.2.32 is the measured command plus sodium', () => {
    expect(featureFlags(PRESETS.seed, '8.2.32').join(' ')).toBe(BUILT_ON_8_2_32.replace('--enable-ftp', '--enable-ftp --with-sodium'))
  })
  it('prefix first, then the flags', () => {
    expect(phpConfigureArgs({prefix: '/application', version: '8.2.32', features: ['fpm', 'mbstring', 'zip', 'opcache']})).toEqual([
      '--prefix=/application/php-8.2.32',
      '--enable-option-checking=fatal',
      '--disable-rpath',
      '--enable-fpm',
      '--enable-mbstring',
      '--disable-mbregex',
      '--with-fpm-user=www',
      '--with-fpm-group=www',
      '--with-zip',
      '--enable-opcache',
    ])
  })
  it('literal flags: checked, option checking and the pool user added', () => {
    expect(phpConfigureArgs({prefix: '/opt', version: '8.3.1', flags: ['--enable-fpm', '--with-curl']})).toEqual([
      '--prefix=/opt/php-8.3.1',
      '--enable-option-checking=fatal',
      '--enable-fpm',
      '--with-curl',
      '--with-fpm-user=www',
      '--with-fpm-group=www',
    ])
    expect(() => phpConfigureArgs({prefix: '/opt', version: '8.3.1', flags: ['--with-gd']})).toThrow(
      '--with-gd: removed in PHP 7.4; use --enable-gd',
    )
  })
  it('no features and no flags means the seed preset', () => {
    expect(phpConfigureArgs({prefix: '/application', version: '8.2.32'}).slice(1)).toEqual(featureFlags(PRESETS.seed, '8.2.32'))
  })
  it('refuses a feature the version lacks', () => {
    expect(() => featureFlags(['sodium'], '7.1.0')).toThrow('php.features: PHP 7.1.0 has no sodium (needs PHP 7.2)')
  })
  it('features of literal flags', () => {
    expect(featuresOf({flags: ['--enable-fpm', '--with-gd', '--enable-opcache=no', '--enable-calendar']})).toEqual(['fpm', 'gd'])
  })
})

describe('build needs and modules', () => {
  it('seed preset needs the Debian 12 list (with sodium)', () => {
    expect(phpBuildNeeds(PRESETS.seed)).toEqual([
      'build-essentials',
      'xz',
      'libxml2',
      'sqlite3',
      'png',
      'zlib',
      'freetype',
      'jpeg',
      'curl',
      'oniguruma',
      'openssl',
      'xslt',
      'sodium',
    ])
    expect(NGINX_BUILD_NEEDS).toEqual(['build-essentials', 'pcre2', 'openssl', 'zlib'])
    expect(PECL_BUILD_NEEDS).toEqual(['build-essentials', 'autoconf'])
  })
  it('php -m names to expect for the seed preset', () => {
    expect(expectedModules(PRESETS.seed)).toEqual([
      'bcmath',
      'curl',
      'ftp',
      'gd',
      'hash',
      'mbstring',
      'mysqli',
      'mysqlnd',
      'openssl',
      'pcntl',
      'pdo_mysql',
      'shmop',
      'soap',
      'sockets',
      'sodium',
      'sysvsem',
      'xml',
      'xsl',
      'zlib',
    ])
    expect(expectedModules(['zip', 'iconv', 'opcache', 'fpm'])).toEqual(['iconv', 'zip'])
  })
})

describe('compareVersions', () => {
  it('compares numerically', () => {
    expect(compareVersions('8.2.32', '8.2.4')).toBe(1)
    expect(compareVersions('7.4', '7.4.0')).toBe(0)
    expect(compareVersions('5.5.32', '7.0')).toBe(-1)
  })
})
