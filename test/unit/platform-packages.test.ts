import {spawnSync} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import type {HostFacts} from '../../src/platform/facts.js'
import {
  installCommand,
  installListedCommand,
  type PackageNeed,
  packageQueryCommand,
  packagesFor,
  parseMissingPackages,
  reposFor,
  runtimePackagesScript,
} from '../../src/platform/packages.js'
import {FACTS} from './steps-support-fixtures.js'

// nginx + the seed's PHP + PECL memcache, given in a scrambled order with a duplicate: the output order is fixed
const buildNeeds: PackageNeed[] = [
  'xslt',
  'oniguruma',
  'build-essentials',
  'autoconf',
  'xz',
  'pcre2',
  'openssl',
  'zlib',
  'libxml2',
  'sqlite3',
  'curl',
  'png',
  'jpeg',
  'freetype',
  'zlib',
]

describe('packagesFor', () => {
  it('Debian 12: the list proven to build nginx, the seed PHP and PECL memcache', () => {
    expect(packagesFor(buildNeeds, FACTS.debian12).join(' ')).toBe(
      'build-essential pkg-config autoconf xz-utils libpcre2-dev libssl-dev zlib1g-dev libxml2-dev libsqlite3-dev libcurl4-openssl-dev libpng-dev libjpeg-dev libfreetype-dev libonig-dev libxslt1-dev',
    )
    expect(packagesFor([...buildNeeds, 'sodium', 'zip'], FACTS.debian12).slice(-2)).toEqual(['libsodium-dev', 'libzip-dev'])
  })
  it('Rocky 9 and CentOS 7 names', () => {
    expect(packagesFor(buildNeeds, FACTS.rocky9).join(' ')).toBe(
      'gcc gcc-c++ make pkgconf-pkg-config autoconf xz pcre2-devel openssl-devel zlib-devel libxml2-devel sqlite-devel libcurl-devel libpng-devel libjpeg-turbo-devel freetype-devel oniguruma-devel libxslt-devel',
    )
    expect(packagesFor(['build-essentials'], FACTS.centos7)).toEqual(['gcc', 'gcc-c++', 'make', 'pkgconfig'])
  })
  it('db and lb packages per family', () => {
    const needs: PackageNeed[] = ['memcached', 'mariadb-server', 'mariadb-client', 'netcat', 'nftables', 'nginx']
    expect(packagesFor(needs, FACTS.debian12)).toEqual([
      'memcached',
      'mariadb-server',
      'mariadb-client',
      'nginx',
      'netcat-openbsd',
      'nftables',
    ])
    expect(packagesFor(needs, FACTS.rocky9)).toEqual(['memcached', 'mariadb-server', 'mariadb', 'nginx', 'nmap-ncat', 'nftables'])
  })
})

describe('reposFor', () => {
  const php = ['oniguruma-devel', 'libsodium-devel', 'libzip-devel']
  it('names the repository each -devel package needs', () => {
    expect(reposFor(php, FACTS.rocky9)).toEqual(['epel', 'crb'])
    expect(reposFor(php, FACTS.alma8)).toEqual(['epel', 'powertools'])
    expect(reposFor(php, FACTS.centos7)).toEqual(['epel'])
    expect(reposFor(['gcc'], FACTS.rocky9)).toEqual([])
    expect(reposFor(php, FACTS.debian12)).toEqual([])
  })
})

describe('installCommand', () => {
  it('Debian 12: waits for the dpkg lock, fetches missing lists, retries once after a refresh', () => {
    expect(installCommand(['build-essential', 'libssl-dev'], FACTS.debian12)).toBe(
      'if ! ls /var/lib/apt/lists | grep -q _Packages; then apt-get -o DPkg::Lock::Timeout=600 update; fi && ' +
        '{ DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends build-essential libssl-dev || ' +
        '{ apt-get -o DPkg::Lock::Timeout=600 update && DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends build-essential libssl-dev; }; }',
    )
  })
  it('Ubuntu 24.04 is the same apt command', () => {
    expect(installCommand(['memcached'], FACTS.ubuntu2404)).toBe(installCommand(['memcached'], FACTS.debian12))
  })
  it('Rocky 9: EPEL and CRB first, then dnf', () => {
    expect(installCommand(['gcc', 'oniguruma-devel', 'libsodium-devel'], FACTS.rocky9)).toBe(
      '{ rpm -q epel-release >/dev/null 2>&1 || dnf install -y epel-release; } && ' +
        '{ rpm -q dnf-plugins-core >/dev/null 2>&1 || dnf install -y dnf-plugins-core; } && dnf config-manager --set-enabled crb && ' +
        'dnf install -y gcc oniguruma-devel libsodium-devel',
    )
    expect(installCommand(['memcached'], FACTS.rocky9)).toBe('dnf install -y memcached')
  })
  it('AlmaLinux 8: PowerTools', () => {
    expect(installCommand(['oniguruma-devel'], FACTS.alma8)).toBe(
      '{ rpm -q dnf-plugins-core >/dev/null 2>&1 || dnf install -y dnf-plugins-core; } && dnf config-manager --set-enabled powertools && dnf install -y oniguruma-devel',
    )
  })
  it('CentOS 7: yum, EPEL for oniguruma', () => {
    expect(installCommand(['gcc', 'oniguruma-devel'], FACTS.centos7)).toBe(
      '{ rpm -q epel-release >/dev/null 2>&1 || yum install -y epel-release; } && yum install -y gcc oniguruma-devel',
    )
  })
  it('RHEL proper: EPEL by URL and CRB by subscription-manager', () => {
    // RHEL proper is no FACTS platform: Rocky 9 under RHEL's ID, which alone switches EPEL and CRB to RHEL's ways
    const rhel9: HostFacts = {...FACTS.rocky9, osId: 'rhel'}
    expect(installCommand(['libsodium-devel'], rhel9)).toBe(
      '{ rpm -q epel-release >/dev/null 2>&1 || dnf install -y https://dl.fedoraproject.org/pub/epel/epel-release-latest-9.noarch.rpm; } && ' +
        'subscription-manager repos --enable codeready-builder-for-rhel-9-$(arch)-rpms && dnf install -y libsodium-devel',
    )
  })
  it('nothing to install is a no-op command', () => {
    expect(installCommand([], FACTS.debian12)).toBe('true')
  })
})

describe('missing packages', () => {
  it('dpkg-query: only "install ok installed" counts', () => {
    const pkgs = ['build-essential', 'libssl-dev', 'libonig-dev', 'zlib1g-dev']
    expect(packageQueryCommand(pkgs, FACTS.debian12)).toBe(
      "dpkg-query -W -f '${Package} ${Status}\\n' build-essential libssl-dev libonig-dev zlib1g-dev 2>/dev/null",
    )
    const out = 'build-essential install ok installed\nlibssl-dev deinstall ok config-files\nzlib1g-dev:amd64 install ok installed\n'
    expect(parseMissingPackages(pkgs, out, FACTS.debian12)).toEqual(['libssl-dev', 'libonig-dev'])
  })
  it('rpm -q: names it prints as installed', () => {
    const pkgs = ['gcc', 'oniguruma-devel']
    expect(packageQueryCommand(pkgs, FACTS.rocky9)).toBe("rpm -q --qf '%{NAME} installed\\n' gcc oniguruma-devel")
    expect(parseMissingPackages(pkgs, 'gcc installed\npackage oniguruma-devel is not installed\n', FACTS.rocky9)).toEqual([
      'oniguruma-devel',
    ])
    expect(parseMissingPackages(pkgs, 'gcc installed\noniguruma-devel installed\n', FACTS.centos7)).toEqual([])
  })
})

describe('the runtime of a build, from the build itself', () => {
  it('lists the packages owning the libraries a binary loads, on this Debian machine, in a manifest', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lnmp-runtime-'))
    const manifest = join(dir, 'runtime')
    const script = runtimePackagesScript('/usr/sbin/sshd /bin/sh', manifest, FACTS.debian12)
    const r = spawnSync('bash', ['-c', script], {encoding: 'utf8'})
    expect(r.status, r.stderr).toBe(0)
    const listed = readFileSync(manifest, 'utf8').trim().split('\n')
    // sshd loads libc and OpenSSL's libcrypto, whatever else this machine's build links
    expect(listed).toEqual(expect.arrayContaining(['libc6', 'libssl3']))
    expect(listed).toEqual([...listed].sort())
    for (const name of listed) expect(name).toMatch(/^[a-z0-9][a-z0-9.+_-]*$/)
    rmSync(dir, {recursive: true, force: true})
  })

  it('installs only what the manifest lists, as one compound command that chains with &&', () => {
    expect(installListedCommand('/application/php-8.4.24-0123abcd/.lnmp-deploy-runtime', FACTS.rocky9)).toBe(
      "{ pkgs=$(grep -E '^[A-Za-z0-9][A-Za-z0-9.+_-]*$' /application/php-8.4.24-0123abcd/.lnmp-deploy-runtime | tr '\\n' ' '); if [ -n \"$pkgs\" ]; then dnf install -y $pkgs; fi; }",
    )
  })
})
