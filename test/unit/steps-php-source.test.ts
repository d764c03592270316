import {describe, expect, it} from 'vitest'

import {ConfigError} from '../../src/errors.js'
import {SEED_PHP_FLAGS} from '../../src/php/flags.js'
import {missingModules, phpSource, phpSourceInputs} from '../../src/steps/php-source.js'
import {buildScript} from '../../src/steps/support/build.js'
import {describeStepFixtures, loadStepFixtures, stepFixtureFolder} from './step-fixtures.js'
import {FACTS, webCtx} from './steps-support-fixtures.js'

describe('php-source inputs', () => {
  it("builds the seed's features (translated for 8.2, plus sodium) into a versioned dir with its own conf.d", () => {
    const want = phpSourceInputs(webCtx(FACTS.debian12, {php: {version: '8.2.32'}}))
    const dir = want.build.dir
    expect(dir).toMatch(/^\/application\/php-8\.2\.32-[0-9a-f]{8}$/)
    expect(want.job.configure).toEqual([
      './configure',
      `--prefix=${dir}`,
      `--with-config-file-scan-dir=${dir}/etc/conf.d`,
      '--enable-option-checking=fatal',
      '--with-mysqli=mysqlnd',
      '--with-pdo-mysql=mysqlnd',
      '--enable-gd',
      '--with-freetype',
      '--with-jpeg',
      '--with-zlib',
      '--enable-xml',
      '--disable-rpath',
      '--enable-bcmath',
      '--enable-shmop',
      '--enable-sysvsem',
      '--with-curl',
      '--enable-mbregex',
      '--enable-fpm',
      '--enable-mbstring',
      '--with-openssl',
      '--with-mhash',
      '--enable-pcntl',
      '--enable-sockets',
      '--enable-soap',
      '--enable-short-tags',
      '--with-xsl',
      '--with-fpm-user=www',
      '--with-fpm-group=www',
      '--enable-ftp',
      '--with-sodium',
      '--disable-opcache',
    ])
    expect(want.build.home).toBe('/application/php')
    expect(want.job.id).toBe(dir.slice('/application/'.length))
    expect(want.iniPath).toBe(`${dir}/lib/php.ini`)
    expect(want.modules).toEqual([
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
  })

  it("leaves the host name out of php_config.h, so a second host hits the first one's ccache", () => {
    const want = phpSourceInputs(webCtx(FACTS.debian12))
    expect(want.job.prepare).toEqual(['export PHP_UNAME="$(uname -srm)"'])
    const script = buildScript(want.job)
    expect(script.indexOf('export PHP_UNAME="$(uname -srm)"\n')).toBeLessThan(script.indexOf('./configure'))
  })

  it('copies php.ini-production as the procedure does, and keeps a copy to restore it from', () => {
    const want = phpSourceInputs(webCtx(FACTS.debian12))
    expect(want.job.afterInstall).toEqual([
      `install -m 0644 /usr/local/src/lnmp-deploy/php-8.4.24/php.ini-production ${want.build.dir}/lib/php.ini-production`,
      `if [ ! -e ${want.build.dir}/lib/php.ini ]; then cp ${want.build.dir}/lib/php.ini-production ${want.build.dir}/lib/php.ini; fi`,
      `mkdir -p ${want.build.dir}/etc/conf.d`,
    ])
  })

  it('a version or a feature change is another directory', () => {
    const base = phpSourceInputs(webCtx(FACTS.debian12)).build.dir
    const zip = phpSourceInputs(webCtx(FACTS.debian12, {php: {features: ['fpm', 'mysqli', 'zip']}})).build.dir
    const newer = phpSourceInputs(webCtx(FACTS.debian12, {php: {version: '8.2.36'}})).build.dir
    expect(new Set([base, zip, newer]).size).toBe(3)
    expect(newer).toMatch(/^\/application\/php-8\.2\.36-/)
  })

  it("refuses the seed's PHP 5.5 flags, every one with its replacement, before anything is built", () => {
    let error: unknown
    try {
      phpSourceInputs(webCtx(FACTS.debian12, {php: {flags: [...SEED_PHP_FLAGS]}}))
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(ConfigError)
    const message = (error as Error).message
    for (const line of [
      '--with-mysql=mysqlnd: removed in PHP 7.0; use --with-mysqli=mysqlnd',
      '--with-mcrypt: removed in PHP 7.2; drop it',
      '--enable-gd-native-ttf: removed in PHP 7.2; drop it',
      '--with-freetype-dir: removed in PHP 7.4; use --with-freetype',
      '--with-gd: removed in PHP 7.4; use --enable-gd',
      '--with-xmlrpc: removed in PHP 8.0; drop it',
      '--enable-inline-optimization: removed in PHP 8.0; drop it',
      '--with-libxml-dir=/usr: removed in PHP 7.4; drop it',
    ]) {
      expect(message).toContain(line)
    }
  })

  it("refuses the seed's PHP 5.5.32 with the reason, on every current target", () => {
    for (const facts of [FACTS.debian12, FACTS.debian13, FACTS.ubuntu2404, FACTS.rocky9]) {
      expect(() => phpSourceInputs(webCtx(facts, {php: {version: '5.5.32'}}))).toThrow(ConfigError)
    }
    expect(() => phpSourceInputs(webCtx(FACTS.debian12, {php: {version: '5.5.32'}}))).toThrow(
      'web01: php 5.5.32 cannot be built on debian 12: PHP before 7.1 builds only against OpenSSL 1.0',
    )
  })

  it('literal flags that 8.2 accepts are used as given, plus sodium for phpMyAdmin', () => {
    const want = phpSourceInputs(
      webCtx(FACTS.debian12, {php: {flags: ['--enable-fpm', '--with-mysqli=mysqlnd']}, app: {kind: 'phpmyadmin'}}),
    )
    expect(want.job.configure.slice(3)).toEqual([
      '--enable-option-checking=fatal',
      '--enable-fpm',
      '--with-mysqli=mysqlnd',
      '--with-sodium',
      '--with-fpm-user=www',
      '--with-fpm-group=www',
    ])
    expect(want.modules).toEqual(['mysqli', 'mysqlnd', 'sodium'])
  })
})

// the plan as data: test/unit/fixtures/php-source/*.json, run by test/unit/step-fixtures.ts
describeStepFixtures(phpSource, stepFixtureFolder('php-source'))

describe('php-source stages its build', () => {
  it('never points the link anywhere: php-switch does', () => {
    for (const {fixture} of loadStepFixtures(stepFixtureFolder('php-source'))) {
      expect(fixture.expected.actions.map((a) => a.kind)).not.toContain('switch-link')
      expect(JSON.stringify(fixture.expected.actions)).not.toMatch(/ln -sfn|mv -T/)
    }
  })
  it('runs after the build dependencies and the www user, before anything configures the build', () => {
    expect(phpSource.after).toEqual(['build-deps', 'www-user', 'builder:php-source'])
  })
})

describe('php -m', () => {
  it('names the modules a build lacks', () => {
    expect(missingModules('[PHP Modules]\nCore\ncurl\nmysqli\n\n[Zend Modules]\n', ['curl', 'gd', 'mysqli'])).toEqual(['gd'])
  })
})

describe('hosts without systemd', () => {
  it('are refused before PHP is compiled', () => {
    expect(() => phpSourceInputs(webCtx({...FACTS.debian12, initSystem: 'other'}))).toThrow('web01: PHP-FPM needs systemd as PID 1')
  })
})
