import {describe, expect, it} from 'vitest'

import {sha256Of} from '../../src/engine/actions.js'
import {ConfigError} from '../../src/errors.js'
import {judgeConnectTest, peclMemcacheInputs, planPeclMemcache, sessionStore} from '../../src/steps/pecl-memcache.js'
import {buildScript} from '../../src/steps/support/build.js'
import {phpBuild} from '../../src/steps/support/php-build.js'
import {FACTS, webCtx} from './steps-support-fixtures.js'

describe('pecl-memcache inputs', () => {
  it('memcache 8.2 for PHP 8: phpize, configure against this build\'s php-config', () => {
    const ctx = webCtx(FACTS.debian12)
    const php = phpBuild(ctx)
    const want = peclMemcacheInputs(ctx)
    expect(want.version).toBe('8.2')
    expect(want.job.prepare).toEqual([`${php.dir}/bin/phpize`])
    expect(want.job.configure).toEqual(['./configure', '--enable-memcache', `--with-php-config=${php.dir}/bin/php-config`])
    expect(want.job.id).toBe(`memcache-8.2-for-${php.id}`)
    expect(want.iniPath).toBe(`${php.dir}/etc/conf.d/memcache.ini`)
    expect(want.ini).toContain('\nextension=memcache.so\n')
  })

  it('a PHP rebuild (version or flag) is a new build of the extension too', () => {
    const a = peclMemcacheInputs(webCtx(FACTS.debian12))
    const b = peclMemcacheInputs(webCtx(FACTS.debian12, {php: {features: ['fpm', 'mysqli', 'zip']}}))
    expect(b.job.id).not.toBe(a.job.id)
    expect(b.job.markerPath).not.toBe(a.job.markerPath)
    expect(b.iniPath).not.toBe(a.iniPath)
  })

  it('the session store is the cache host\'s private address', () => {
    const store = sessionStore(webCtx(FACTS.debian12))
    expect([store.host.name, store.address, store.port]).toEqual(['db01', '172.16.1.51', 11211])
    expect(() =>
      sessionStore({...webCtx(FACTS.debian12), cluster: [{name: 'web01', address: 'a', privateAddress: 'a', roles: ['web']}]}),
    ).toThrow(ConfigError)
  })
})

describe('pecl-memcache plan', () => {
  for (const [os, facts] of Object.entries(FACTS)) {
    it(`${os}: download, build, load, restart php-fpm until it answers`, () => {
      const want = peclMemcacheInputs(webCtx(facts))
      expect(planPeclMemcache({marker: undefined, tarballSha256: undefined, iniSha256: undefined}, want).actions).toEqual([
        {kind: 'run', description: 'download memcache 8.2 and check its sha256', command: expect.stringContaining('php-memcache_8.2.orig.tar.gz') as string},
        {kind: 'run', description: `forget an earlier result of job ${want.job.id} whose install is gone`, command: expect.any(String) as string},
        {kind: 'run', description: `build PECL memcache 8.2 for ${want.phpDir}`, command: buildScript(want.job), job: want.job.id, build: true},
        {kind: 'write-file', path: want.iniPath, content: want.ini, mode: 0o644},
        {kind: 'service', service: 'php-fpm', op: 'restart', ready: {tcp: {host: '127.0.0.1', port: 9000}}},
      ])
    })
  }

  it('is a no-op once built and loaded', () => {
    const want = peclMemcacheInputs(webCtx(FACTS.debian12))
    expect(planPeclMemcache({marker: want.job.marker, tarballSha256: want.tarball.sha256, iniSha256: sha256Of(want.ini)}, want)).toEqual({
      actions: [],
      reason: `memcache 8.2 built for ${want.phpDir} and loaded by ${want.iniPath}`,
    })
  })
})

describe('the connect test judges values, not exit codes', () => {
  it('passes only with the value read back', () => {
    expect(judgeConnectTest('{"ok":true,"value":"Memcache connect OK 0011"}\n')).toEqual({ok: true, detail: 'set, get and delete: Memcache connect OK 0011'})
    expect(judgeConnectTest('{"ok":false,"step":"connect","error":"cannot connect to 172.16.1.51:11211"}\n')).toEqual({
      ok: false,
      detail: 'failed at connect: cannot connect to 172.16.1.51:11211',
    })
    // the seed's test prints nothing and exits 0 when it cannot connect
    expect(judgeConnectTest('').ok).toBe(false)
    expect(judgeConnectTest('{"ok":true}').ok).toBe(false)
  })
})
