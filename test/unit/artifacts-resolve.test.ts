import {describe, expect, it} from 'vitest'
import {ARTIFACTS, type ArtifactName, DEFAULT_NGINX_VERSION, DEFAULT_PHP_VERSION, resolveArtifact} from '../../src/artifacts.js'
import {configSchema} from '../../src/config/schema.js'
import {ArtifactError} from '../../src/errors.js'
import {verifiedPhpVersions} from '../../src/php/eol.js'

const none = {artifacts: {}}

describe('resolveArtifact', () => {
  it('the defaults come from Debian with verified sha256', () => {
    expect(resolveArtifact('nginx', '1.26.3', none)).toEqual({
      url: 'http://deb.debian.org/debian/pool/main/n/nginx/nginx_1.26.3.orig.tar.gz',
      sha256: '69ee2b237744036e61d24b836668aad3040dda461fe6f570f1787eab570c75aa',
      fileName: 'nginx_1.26.3.orig.tar.gz',
      topDir: 'nginx-1.26.3',
    })
    expect(resolveArtifact('php', '8.4.24', none)).toEqual({
      url: 'http://deb.debian.org/debian/pool/main/p/php8.4/php8.4_8.4.24.orig.tar.xz',
      sha256: 'e127be09a8506f4327c5cfa78a614b00d210714484ec215ce0011b4a03c00731',
      fileName: 'php8.4_8.4.24.orig.tar.xz',
      topDir: 'php-8.4.24',
    })
    expect(resolveArtifact('memcache', '8.2', none).sha256).toBe('b3f0640eacdeb9046c6c86a1546d7fb8a4e9f219e5d9a36a287e59b2dd8208e5')
  })

  it("the defaults are the schema's, and PHP's is the newest verified one", () => {
    const config = configSchema.parse({version: 1, hosts: [{name: 'web01', address: '10.0.0.7', roles: ['web']}]})
    expect([config.nginx.version, config.php.version]).toEqual([DEFAULT_NGINX_VERSION, DEFAULT_PHP_VERSION])
    expect([DEFAULT_NGINX_VERSION, DEFAULT_PHP_VERSION]).toEqual(['1.26.3', '8.4.24'])
    expect(verifiedPhpVersions()[0]).toBe(DEFAULT_PHP_VERSION)
  })

  it('the versions existing clusters run stay, with their verified sha256', () => {
    expect(resolveArtifact('nginx', '1.22.1', none)).toEqual({
      url: 'http://deb.debian.org/debian/pool/main/n/nginx/nginx_1.22.1.orig.tar.gz',
      sha256: '9ebb333a9e82b952acd3e2b4aeb1d4ff6406f72491bab6cd9fe69f0dea737f31',
      fileName: 'nginx_1.22.1.orig.tar.gz',
      topDir: 'nginx-1.22.1',
    })
    expect(resolveArtifact('php', '8.2.32', none)).toEqual({
      url: 'http://deb.debian.org/debian/pool/main/p/php8.2/php8.2_8.2.32.orig.tar.xz',
      sha256: 'e02aa173c236c12791696254d607da680e6d5516f8f5c2339642de7c4f944bd2',
      fileName: 'php8.2_8.2.32.orig.tar.xz',
      topDir: 'php-8.2.32',
    })
  })

  it('demands a sha256 from the config where none is verified', () => {
    expect(() => resolveArtifact('php', '8.3.1', none)).toThrow(ArtifactError)
    expect(() => resolveArtifact('php', '8.3.1', none)).toThrow('no verified sha256 for php 8.3.1; set artifacts.php.sha256')
    expect(() => resolveArtifact('nginx', '1.24.0', none)).toThrow('no verified sha256 for nginx 1.24.0; set artifacts.nginx.sha256')
    expect(() => resolveArtifact('phpmyadmin', '5.2.1', none)).toThrow('set artifacts.phpmyadmin.sha256')
    expect(() => resolveArtifact('memcache', '4.0.5.2', none)).toThrow('no verified sha256 for memcache 4.0.5.2')
  })

  it('the config overrides the table: url or local file, always with its sha256', () => {
    const sha = 'a'.repeat(64)
    expect(
      resolveArtifact('php', '8.3.1', {artifacts: {php: {url: 'https://www.php.net/distributions/php-8.3.1.tar.xz?x=1', sha256: sha}}}),
    ).toEqual({
      url: 'https://www.php.net/distributions/php-8.3.1.tar.xz?x=1',
      sha256: sha,
      fileName: 'php-8.3.1.tar.xz',
    })
    expect(
      resolveArtifact('phpmyadmin', '5.2.1', {artifacts: {phpmyadmin: {file: 'cache/phpMyAdmin-5.2.1-lab.tar.gz', sha256: sha}}}),
    ).toEqual({
      file: 'cache/phpMyAdmin-5.2.1-lab.tar.gz',
      sha256: sha,
      fileName: 'phpMyAdmin-5.2.1-lab.tar.gz',
    })
  })

  it('every version in the table resolves with its verified sha256, or is refused until the config gives one', () => {
    for (const [name, versions] of Object.entries(ARTIFACTS) as Array<[ArtifactName, (typeof ARTIFACTS)[ArtifactName]]>) {
      for (const [version, entry] of Object.entries(versions)) {
        if (entry.sha256 === undefined) {
          expect(() => resolveArtifact(name, version, none), `${name} ${version}`).toThrow(
            `no verified sha256 for ${name} ${version}; set artifacts.${name}.sha256`,
          )
        } else {
          expect(resolveArtifact(name, version, none), `${name} ${version}`).toMatchObject({
            url: entry.url,
            sha256: entry.sha256,
            fileName: entry.fileName,
          })
        }
      }
    }
    // the ones without: PHP 8.1.33 and 8.3.14 (no Debian source to verify them against), nginx 1.24.0, ...
    expect(() => resolveArtifact('php', '8.3.14', none)).toThrow(ArtifactError)
    expect(() => resolveArtifact('php', '8.1.33', none)).toThrow(ArtifactError)
  })

  it('every sha256 in the table is 64 lowercase hex digits and every file name ends the url', () => {
    for (const versions of Object.values(ARTIFACTS)) {
      for (const entry of Object.values(versions)) {
        if (entry.sha256 !== undefined) expect(entry.sha256).toMatch(/^[a-f0-9]{64}$/)
        expect(entry.url.endsWith(`/${entry.fileName}`)).toBe(true)
      }
    }
  })
})
