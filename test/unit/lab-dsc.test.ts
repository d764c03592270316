import {describe, expect, it} from 'vitest'

import {dscChecksums, origTarball} from '../../src/lab/dsc.js'

// the head of trixie's php-memcache_8.2-5.dsc, as apt-get source fetches it
const dsc = `-----BEGIN PGP SIGNED MESSAGE-----
Hash: SHA512

Format: 3.0 (quilt)
Source: php-memcache
Version: 8.2-5
Package-List:
 php-memcache deb php optional arch=all
Checksums-Sha1:
 84a449e624fd8eda932c805164638d97b4ae3466 78413 php-memcache_8.2.orig.tar.gz
 2b3b0a5001dbc4da6266931a2fdb4cac89a6aa69 7356 php-memcache_8.2-5.debian.tar.xz
Checksums-Sha256:
 b3f0640eacdeb9046c6c86a1546d7fb8a4e9f219e5d9a36a287e59b2dd8208e5 78413 php-memcache_8.2.orig.tar.gz
 39dda4ce57bc896b184efa636d017a38e42a4e6f230242ccf5b47e3014d91ee3 7356 php-memcache_8.2-5.debian.tar.xz
Files:
 a89f7ea0603a6aa95cc4a6e454abd112 78413 php-memcache_8.2.orig.tar.gz
 11bcbf868f3e5459c46327e0eceadc20 7356 php-memcache_8.2-5.debian.tar.xz

-----BEGIN PGP SIGNATURE-----
`

describe('dscChecksums', () => {
  it('reads only the Checksums-Sha256 field, with sizes', () => {
    expect([...dscChecksums(dsc).entries()]).toEqual([
      ['php-memcache_8.2.orig.tar.gz', {sha256: 'b3f0640eacdeb9046c6c86a1546d7fb8a4e9f219e5d9a36a287e59b2dd8208e5', size: 78413}],
      ['php-memcache_8.2-5.debian.tar.xz', {sha256: '39dda4ce57bc896b184efa636d017a38e42a4e6f230242ccf5b47e3014d91ee3', size: 7356}],
    ])
  })

  it('returns nothing for a .dsc without the field', () => {
    expect(dscChecksums('Format: 3.0 (quilt)\nFiles:\n a89f 1 x.orig.tar.gz\n').size).toBe(0)
  })
})

describe('origTarball', () => {
  it('picks the upstream tarball and its upstream version', () => {
    expect(origTarball(['php8.2_8.2.32-1~deb12u1.debian.tar.xz', 'php8.2_8.2.32.orig.tar.xz.asc', 'php8.2_8.2.32.orig.tar.xz'])).toEqual({
      file: 'php8.2_8.2.32.orig.tar.xz',
      upstreamVersion: '8.2.32',
    })
    expect(origTarball(['nginx_1.22.1.orig.tar.gz'])).toEqual({file: 'nginx_1.22.1.orig.tar.gz', upstreamVersion: '1.22.1'})
  })

  it('ignores component tarballs and signatures', () => {
    expect(origTarball(['nginx_1.22.1.orig-module.tar.gz', 'nginx_1.22.1.orig.tar.gz.asc'])).toBeUndefined()
  })
})
