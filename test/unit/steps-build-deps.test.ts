import {describe, expect, it} from 'vitest'

import {buildDepsInputs, planBuildDeps} from '../../src/steps/build-deps.js'
import type {HostFacts} from '../../src/platform/facts.js'
import {FACTS, webCtx} from './steps-support-fixtures.js'

describe('build-deps inputs: the seed features, nginx, PECL, ccache and downloads, per family', () => {
  it('Debian 12: the measured package list plus sodium, ccache and curl', () => {
    const want = buildDepsInputs(webCtx(FACTS.debian12))
    expect(want.packages).toEqual([
      'build-essential',
      'pkg-config',
      'autoconf',
      'xz-utils',
      'libpcre2-dev',
      'libssl-dev',
      'zlib1g-dev',
      'libxml2-dev',
      'libsqlite3-dev',
      'libcurl4-openssl-dev',
      'libpng-dev',
      'libjpeg-dev',
      'libfreetype-dev',
      'libonig-dev',
      'libxslt1-dev',
      'libsodium-dev',
      'ccache',
      'curl',
      'ca-certificates',
    ])
    expect(want.installCommand).toContain('apt-get -o DPkg::Lock::Timeout=600')
  })

  it('Debian 13 and Ubuntu 24.04: the same apt names', () => {
    for (const facts of [FACTS.debian13, FACTS.ubuntu2404])
      expect(buildDepsInputs(webCtx(facts)).packages).toEqual(buildDepsInputs(webCtx(FACTS.debian12)).packages)
  })

  it('Rocky 9: -devel names, CRB and EPEL enabled first', () => {
    const want = buildDepsInputs(webCtx(FACTS.rocky9))
    expect(want.packages).toEqual([
      'gcc',
      'gcc-c++',
      'make',
      'pkgconf-pkg-config',
      'autoconf',
      'xz',
      'pcre2-devel',
      'openssl-devel',
      'zlib-devel',
      'libxml2-devel',
      'sqlite-devel',
      'libcurl-devel',
      'libpng-devel',
      'libjpeg-turbo-devel',
      'freetype-devel',
      'oniguruma-devel',
      'libxslt-devel',
      'libsodium-devel',
      'ccache',
      'ca-certificates',
    ])
    expect(want.installCommand).toBe(
      '{ rpm -q epel-release >/dev/null 2>&1 || dnf install -y epel-release; } && { rpm -q dnf-plugins-core >/dev/null 2>&1 || dnf install -y dnf-plugins-core; } && ' +
        `dnf config-manager --set-enabled crb && dnf install -y ${want.packages.join(' ')}`,
    )
  })

  it('CentOS 7: yum, pkgconfig, EPEL', () => {
    // PHP 8.4 needs OpenSSL 1.1.1, and CentOS 7 has 1.0: 8.2 is what builds there
    const want = buildDepsInputs(webCtx(FACTS.centos7, {php: {version: '8.2.32'}}))
    expect(want.packages.slice(0, 4)).toEqual(['gcc', 'gcc-c++', 'make', 'pkgconfig'])
    expect(want.installCommand).toBe(
      `{ rpm -q epel-release >/dev/null 2>&1 || yum install -y epel-release; } && yum install -y ${want.packages.join(' ')}`,
    )
  })

  it('follows the features: no gd, no mbregex, no ccache means no png/jpeg/freetype/onig/ccache', () => {
    const want = buildDepsInputs(
      webCtx(FACTS.debian12, {php: {features: ['fpm', 'mysqli', 'mbstring', 'openssl', 'zlib']}, build: {ccache: false}}),
    )
    expect(want.packages).toEqual([
      'build-essential',
      'pkg-config',
      'autoconf',
      'xz-utils',
      'libpcre2-dev',
      'libssl-dev',
      'zlib1g-dev',
      'libxml2-dev',
      'libsqlite3-dev',
      'curl',
      'ca-certificates',
    ])
  })

  it('adds sodium for phpMyAdmin even when the features leave it out', () => {
    const want = buildDepsInputs(webCtx(FACTS.debian12, {php: {features: ['fpm', 'mysqli']}, app: {kind: 'phpmyadmin'}}))
    expect(want.packages).toContain('libsodium-dev')
  })
})

describe('build-deps plan', () => {
  const ctx = webCtx(FACTS.debian12)
  const want = buildDepsInputs(ctx)

  it('installs only what is missing, waiting for a held dpkg lock', () => {
    const plan = planBuildDeps({missingPackages: ['ccache', 'libonig-dev']}, want)
    expect(plan.actions).toEqual([
      {
        kind: 'run',
        description: 'install ccache libonig-dev',
        command:
          'if ! ls /var/lib/apt/lists | grep -q _Packages; then apt-get -o DPkg::Lock::Timeout=600 update; fi && ' +
          '{ DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends ccache libonig-dev || ' +
          '{ apt-get -o DPkg::Lock::Timeout=600 update && DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends ccache libonig-dev; }; }',
      },
    ])
  })

  it("carries what its install command needs of the host's facts, and nothing else (cores, arch stay out of the fingerprint)", () => {
    expect(want.platform).toEqual({osId: 'debian', osVersion: '12', osFamily: 'debian', packageManager: 'apt'})
  })

  it('is a no-op with a reason when all are installed', () => {
    expect(planBuildDeps({missingPackages: []}, want)).toEqual({actions: [], reason: 'all 19 build packages are installed'})
  })
})

describe("build-deps on a host that installs its builder's packages", () => {
  const follower = (builderFacts: HostFacts) => ({
    ...webCtx(FACTS.debian13),
    packages: {cacheDir: '/cache', builder: {name: 'web01', facts: builderFacts}},
  })

  it('installs no compiler and no -dev package: only what unpacking and fetching need (the runtime comes with each package)', () => {
    const want = buildDepsInputs(follower(FACTS.debian13))
    expect(want).toMatchObject({compiles: false, packages: ['xz-utils', 'curl', 'ca-certificates']})
  })

  it('compiles, with everything, when its builder runs another release, or when it is the builder', () => {
    expect(buildDepsInputs(follower(FACTS.debian12)).compiles).toBe(true)
    const builder = buildDepsInputs({...webCtx(FACTS.debian13), packages: {cacheDir: '/cache'}})
    expect(builder.compiles).toBe(true)
    expect(builder.packages).toEqual(expect.arrayContaining(['build-essential', 'libxml2-dev', 'ccache']))
  })
})
