import {describe, expect, it} from 'vitest'
import {ARTIFACTS, resolveArtifact} from '../../src/artifacts.js'
import {ArtifactError} from '../../src/errors.js'

const none = {artifacts: {}}

describe('resolveArtifact', () => {
  it('the defaults come from Debian with verified sha256', () => {
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
    expect(resolveArtifact('memcache', '8.2', none).sha256).toBe('b3f0640eacdeb9046c6c86a1546d7fb8a4e9f219e5d9a36a287e59b2dd8208e5')
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
    expect(resolveArtifact('php', '8.3.1', {artifacts: {php: {url: 'https://www.php.net/distributions/php-8.3.1.tar.xz?x=1', sha256: sha}}})).toEqual({
      url: 'https://www.php.net/distributions/php-8.3.1.tar.xz?x=1',
      sha256: sha,
      fileName: 'php-8.3.1.tar.xz',
    })
    expect(resolveArtifact('phpmyadmin', '5.2.1', {artifacts: {phpmyadmin: {file: 'cache/phpMyAdmin-5.2.1-lab.tar.gz', sha256: sha}}})).toEqual({
      file: 'cache/phpMyAdmin-5.2.1-lab.tar.gz',
      sha256: sha,
      fileName: 'phpMyAdmin-5.2.1-lab.tar.gz',
    })
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
