import {ConfigError} from '../errors.js'
import {cmd} from '../ssh/shell.js'
import {majorOf} from './version.js'

/** PECL memcache release per PHP major: 3.0.8 for PHP 5, 4.0.5.2 for PHP 7, 8.2 for PHP 8. */
const MEMCACHE_FOR_PHP_MAJOR: Record<number, string> = {5: '3.0.8', 7: '4.0.5.2', 8: '8.2'}

export function memcacheVersionFor(phpVersion: string): string {
  const version = MEMCACHE_FOR_PHP_MAJOR[majorOf(phpVersion)]
  if (!version) throw new ConfigError(`no PECL memcache release is known to build with PHP ${phpVersion}`)
  return version
}

/** A memcache release builds only with the PHP major it was made for. */
export function checkMemcacheForPhp(memcacheVersion: string, phpVersion: string): void {
  const m = majorOf(memcacheVersion)
  const php = majorOf(phpVersion)
  const fits = m >= 8 ? php >= 8 : m === 4 ? php === 7 : php === 5
  if (!fits) {
    throw new ConfigError(`PECL memcache ${memcacheVersion} does not build with PHP ${phpVersion}`, {
      hint: `use memcache ${MEMCACHE_FOR_PHP_MAJOR[php] ?? '(none known)'} for PHP ${php}`,
    })
  }
}

export interface PeclBuild {
  /** unpacked memcache source */
  srcDir: string
  /** the versioned PHP prefix it builds against, e.g. /application/php-8.2.32 */
  phpPrefix: string
  cores: number
}

/**
 * The procedure's steps, as commands: phpize, ./configure against that PHP's php-config, make, make install.
 * `make install` puts memcache.so into that PHP's extension_dir, so a PHP version change needs a rebuild.
 */
export function peclMemcacheCommands(build: PeclBuild): string[] {
  const inSrc = (c: string) => `cd ${cmd(build.srcDir)} && ${c}`
  return [
    inSrc(cmd(`${build.phpPrefix}/bin/phpize`)),
    inSrc(cmd('./configure', '--enable-memcache', `--with-php-config=${build.phpPrefix}/bin/php-config`)),
    inSrc(build.cores > 1 ? cmd('make', `-j${build.cores}`) : 'make'),
    inSrc('make install'),
  ]
}

/** The php.ini line that loads it; extension_dir is compiled in, so a bare file name is enough. */
export const MEMCACHE_EXTENSION_LINE = 'extension=memcache.so'
