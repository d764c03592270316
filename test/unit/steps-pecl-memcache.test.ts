import {describe, expect, it} from 'vitest'

import {ConfigError} from '../../src/errors.js'
import {sessionStores} from '../../src/php/session-stores.js'
import {judgeConnectTest, peclMemcache, peclMemcacheInputs} from '../../src/steps/pecl-memcache.js'
import {phpBuild} from '../../src/steps/support/php-build.js'
import {describeStepFixtures, fixtureContext, loadStepFixtures, stepFixtureFolder} from './step-fixtures.js'
import {FACTS, webCtx} from './steps-support-fixtures.js'

describe('pecl-memcache inputs', () => {
  it("memcache 8.2 for PHP 8: phpize, configure against this build's php-config", () => {
    const ctx = webCtx(FACTS.debian12)
    const php = phpBuild(ctx)
    const want = peclMemcacheInputs(ctx)
    expect(want.version).toBe('8.2')
    expect(want.job.prepare).toEqual([`${php.dir}/bin/phpize`])
    expect(want.job.configure).toEqual(['./configure', '--enable-memcache', `--with-php-config=${php.dir}/bin/php-config`])
    expect(want.job.id).toBe(`memcache-8.2-for-${php.id}`)
    expect(want.iniPath).toBe(`${php.dir}/etc/conf.d/memcache.ini`)
    expect(want.ini).toContain('\nextension=memcache.so\n')
    expect(want.phpDir).toBe(php.dir)
    expect(want.phpHome).toBe('/application/php')
    expect(want.job.markerPath).toBe(`${php.dir}/lib/.lnmp-deploy-memcache.json`)
    expect(want.ready).toEqual({tcp: {host: '127.0.0.1', port: 9000}})
  })

  it('a PHP rebuild (version or flag) is a new build of the extension too', () => {
    const a = peclMemcacheInputs(webCtx(FACTS.debian12))
    const b = peclMemcacheInputs(webCtx(FACTS.debian12, {php: {features: ['fpm', 'mysqli', 'zip']}}))
    expect(b.job.id).not.toBe(a.job.id)
    expect(b.job.markerPath).not.toBe(a.job.markerPath)
    expect(b.iniPath).not.toBe(a.iniPath)
  })

  it("the session stores are the cache hosts' private addresses, in config order", () => {
    expect(sessionStores(webCtx(FACTS.debian12)).map((s) => [s.host.name, s.address, s.port])).toEqual([['db01', '172.16.1.51', 11211]])
    const seed = webCtx(FACTS.debian12).config.hosts
    const two = webCtx(FACTS.debian12, {
      hosts: [...seed, {name: 'cache01', address: '10.0.0.52', privateAddress: '172.16.1.52', roles: ['cache']}],
    })
    expect(sessionStores(two).map((s) => s.address)).toEqual(['172.16.1.51', '172.16.1.52'])
    expect(() =>
      sessionStores({...webCtx(FACTS.debian12), cluster: [{name: 'web01', address: 'a', privateAddress: 'a', roles: ['web']}]}),
    ).toThrow(ConfigError)
  })
})

// the plan as data: test/unit/fixtures/pecl-memcache/*.json, run by test/unit/step-fixtures.ts
describeStepFixtures(peclMemcache, stepFixtureFolder('pecl-memcache'))

describe('pecl-memcache and the live build', () => {
  it("restarts FPM only for the build the link names, always out of the balancer's rotation", () => {
    for (const {fixture} of loadStepFixtures(stepFixtureFolder('pecl-memcache'))) {
      // each case's own config: the ones recorded on a live 8.2.32 build pin that version
      const want = peclMemcacheInputs(fixtureContext(fixture))
      const restarts = fixture.expected.actions.filter((a) => a.kind === 'service')
      const live = (fixture.facts as {linkTarget?: string}).linkTarget === want.phpDir
      expect(restarts).toEqual(
        live && fixture.expected.actions.length > 0
          ? [{kind: 'service', service: 'php-fpm', op: 'restart', ready: want.ready, behindBalancer: true}]
          : [],
      )
    }
  })
  it('is built once PHP is, without waiting for FPM: php-switch starts it with the extension in place', () => {
    expect(peclMemcache.after).toEqual(['php-source', 'cache:memcached', 'builder:pecl-memcache'])
    expect(peclMemcache.after).not.toContain('php-fpm')
  })
})

describe('the connect test judges values, not exit codes', () => {
  it('passes only with the value read back', () => {
    expect(judgeConnectTest('{"ok":true,"value":"Memcache connect OK 0011"}\n')).toEqual({
      ok: true,
      detail: 'set, get and delete: Memcache connect OK 0011',
    })
    expect(judgeConnectTest('{"ok":false,"step":"connect","error":"cannot connect to 172.16.1.51:11211"}\n')).toEqual({
      ok: false,
      detail: 'failed at connect: cannot connect to 172.16.1.51:11211',
    })
    // the seed's test prints nothing and exits 0 when it cannot connect
    expect(judgeConnectTest('').ok).toBe(false)
    expect(judgeConnectTest('{"ok":true}').ok).toBe(false)
  })
})
