import {describe, expect, it} from 'vitest'
import {ConfigError} from '../../src/errors.js'
import type {HostFacts} from '../../src/platform/facts.js'
import {checkBuildable, opensslSeries} from '../../src/php/buildable.js'
import {checkMemcacheForPhp, MEMCACHE_EXTENSION_LINE, memcacheVersionFor, peclMemcacheCommands} from '../../src/php/pecl.js'
import {FACTS} from './steps-support-fixtures.js'

// Ubuntu 20.04 (OpenSSL 1.1) is no FACTS platform: 24.04 with only its release changed
const ubuntu2004: HostFacts = {...FACTS.ubuntu2404, osVersion: '20.04'}

describe('checkBuildable', () => {
  it('refuses the seed versions on Debian 12 with the reason', () => {
    expect(() => checkBuildable('php', '5.5.32', FACTS.debian12, 'web01')).toThrow(ConfigError)
    expect(() => checkBuildable('php', '5.5.32', FACTS.debian12, 'web01')).toThrow(
      'web01: php 5.5.32 cannot be built on debian 12: PHP before 7.1 builds only against OpenSSL 1.0, and this system has OpenSSL 3',
    )
    expect(() => checkBuildable('nginx', '1.14.2', FACTS.debian12, 'web01')).toThrow(
      'web01: nginx 1.14.2 cannot be built on debian 12: nginx before 1.21.5 knows neither PCRE2 nor OpenSSL 3',
    )
    expect(() => checkBuildable('nginx', '1.14.2', FACTS.debian12)).toThrow(
      expect.objectContaining({hint: 'set nginx.version to 1.22.1 or newer (1.26.3 is the tested default)'}),
    )
    expect(() => checkBuildable('php', '8.0.30', FACTS.rocky9, 'web02')).toThrow('PHP before 8.1 does not build against OpenSSL 3')
  })
  it('refuses PHP 8.4 against OpenSSL 1.0 (it asks for 1.1.1), hinting at the default and what OpenSSL 1.0 can take', () => {
    let error: unknown
    try {
      checkBuildable('php', '8.4.24', FACTS.centos7, 'web01')
    } catch (error_) {
      error = error_
    }
    expect(error).toBeInstanceOf(ConfigError)
    expect((error as ConfigError).message).toBe(
      'web01: php 8.4.24 cannot be built on centos 7: PHP 8.4 and later need OpenSSL 1.1.1 or newer, and this system has OpenSSL 1.0',
    )
    expect((error as ConfigError).hint).toBe(
      "set php.version to 8.1 or newer (8.4.24 is the tested default; with OpenSSL 1.0, 8.3 at most); the seed's flags are translated for it",
    )
    expect(() => checkBuildable('php', '8.3.14', FACTS.centos7)).not.toThrow()
    expect(() => checkBuildable('php', '8.4.24', FACTS.alma8)).not.toThrow()
  })
  it('accepts the defaults and what older systems can still build', () => {
    for (const facts of [FACTS.debian12, ubuntu2004, FACTS.rocky9, FACTS.alma8]) {
      expect(() => checkBuildable('php', '8.4.24', facts)).not.toThrow()
      expect(() => checkBuildable('nginx', '1.26.3', facts)).not.toThrow()
    }
    expect(() => checkBuildable('nginx', '1.26.3', FACTS.centos7)).not.toThrow()
    expect(() => checkBuildable('php', '8.2.32', FACTS.debian12)).not.toThrow()
    expect(() => checkBuildable('nginx', '1.22.1', FACTS.debian12)).not.toThrow()
    expect(() => checkBuildable('php', '5.5.32', FACTS.centos7)).not.toThrow()
    expect(() => checkBuildable('php', '7.4.33', FACTS.alma8)).not.toThrow()
    expect(() => checkBuildable('nginx', '1.14.2', ubuntu2004)).not.toThrow()
  })
  it("knows each target's OpenSSL series", () => {
    expect([FACTS.debian12, ubuntu2004, FACTS.rocky9, FACTS.alma8, FACTS.centos7].map((f) => opensslSeries(f))).toEqual([
      '3',
      '1.1',
      '3',
      '1.1',
      '1.0',
    ])
  })
})

describe('PECL memcache', () => {
  it('pins a release per PHP major', () => {
    expect(memcacheVersionFor('5.5.32')).toBe('3.0.8')
    expect(memcacheVersionFor('7.4.33')).toBe('4.0.5.2')
    expect(memcacheVersionFor('8.2.32')).toBe('8.2')
    expect(() => memcacheVersionFor('6.0.0')).toThrow('no PECL memcache release is known to build with PHP 6.0.0')
  })
  it('refuses a release for another PHP major', () => {
    expect(() => checkMemcacheForPhp('8.2', '8.3.1')).not.toThrow()
    expect(() => checkMemcacheForPhp('2.2.7', '8.2.32')).toThrow('PECL memcache 2.2.7 does not build with PHP 8.2.32')
    expect(() => checkMemcacheForPhp('4.0.5.2', '8.2.32')).toThrow(ConfigError)
  })
  it('builds with phpize and php-config of the versioned PHP', () => {
    expect(peclMemcacheCommands({srcDir: '/var/lib/lnmp-deploy/src/memcache-8.2', phpPrefix: '/application/php-8.2.32', cores: 2})).toEqual(
      [
        'cd /var/lib/lnmp-deploy/src/memcache-8.2 && /application/php-8.2.32/bin/phpize',
        'cd /var/lib/lnmp-deploy/src/memcache-8.2 && ./configure --enable-memcache --with-php-config=/application/php-8.2.32/bin/php-config',
        'cd /var/lib/lnmp-deploy/src/memcache-8.2 && make -j2',
        'cd /var/lib/lnmp-deploy/src/memcache-8.2 && make install',
      ],
    )
    expect(peclMemcacheCommands({srcDir: '/src/m', phpPrefix: '/opt/php-7.4.33', cores: 1})[2]).toBe('cd /src/m && make')
    expect(MEMCACHE_EXTENSION_LINE).toBe('extension=memcache.so')
  })
})
