import {describe, expect, it} from 'vitest'

import {sha256Of} from '../../src/engine/actions.js'
import {ConfigError} from '../../src/errors.js'
import {parseFpmAnswer, phpSessionInputs, planPhpSession} from '../../src/steps/php-session.js'
import {phpBuild} from '../../src/steps/support/php-build.js'
import {FACTS, webCtx} from './steps-support-fixtures.js'

describe('php-session inputs', () => {
  it('memcache on the cache host, in the memcache extension\'s tcp:// syntax, as a conf.d file of its own', () => {
    const ctx = webCtx(FACTS.debian12)
    const want = phpSessionInputs(ctx)
    expect(want.iniPath).toBe(`${phpBuild(ctx).dir}/etc/conf.d/session.ini`)
    expect(want.ini).toContain('\nsession.save_handler = memcache\nsession.save_path = "tcp://172.16.1.51:11211"\n')
    expect(want.savePath).toBe('tcp://172.16.1.51:11211')
    expect(want.probePath).toBe('/var/lib/lnmp-deploy/fpm-probe/fpm-ini.php')
  })

  it('files puts the default handler back', () => {
    const want = phpSessionInputs(webCtx(FACTS.debian12, {session: {handler: 'files'}}))
    expect(want.ini).toContain('session.save_handler = files\n')
  })

  it('refuses the memcached handler, whose extension is not built', () => {
    expect(() => phpSessionInputs(webCtx(FACTS.debian12, {session: {handler: 'memcached'}}))).toThrow(ConfigError)
  })
})

describe('php-session plan', () => {
  for (const [os, facts] of Object.entries(FACTS)) {
    it(`${os}: writes the probe and the handler, restarts FPM until it answers`, () => {
      const want = phpSessionInputs(webCtx(facts))
      expect(planPhpSession({iniSha256: undefined, probeSha256: undefined}, want).actions).toEqual([
        {kind: 'write-file', path: '/var/lib/lnmp-deploy/fpm-probe/fpm-ini.php', content: want.probe, mode: 0o644},
        {kind: 'write-file', path: want.iniPath, content: want.ini, mode: 0o644},
        {kind: 'service', service: 'php-fpm', op: 'restart', ready: {tcp: {host: '127.0.0.1', port: 9000}}},
      ])
    })
  }

  it('is a no-op with both in place', () => {
    const want = phpSessionInputs(webCtx(FACTS.debian12))
    expect(planPhpSession({iniSha256: sha256Of(want.ini), probeSha256: sha256Of(want.probe)}, want)).toEqual({
      actions: [],
      reason: 'sessions go to memcache tcp://172.16.1.51:11211',
    })
  })
})

describe('what FPM answers', () => {
  it('reads the JSON line, or nothing', () => {
    expect(parseFpmAnswer('{"sapi":"fpm-fcgi","save_handler":"memcache","save_path":"tcp://a:1","memcache":true}\n')).toEqual({
      sapi: 'fpm-fcgi',
      save_handler: 'memcache',
      save_path: 'tcp://a:1',
      memcache: true,
    })
    expect(parseFpmAnswer('File not found.\n')).toBeUndefined()
  })
})
