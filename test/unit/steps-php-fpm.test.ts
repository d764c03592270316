import {describe, expect, it} from 'vitest'

import {sha256Of} from '../../src/engine/actions.js'
import {fpmReady, type PhpFpmFacts, phpFpmInputs, planPhpFpm} from '../../src/steps/php-fpm.js'
import {phpBuild} from '../../src/steps/support/php-build.js'
import {FACTS, webCtx} from './steps-support-fixtures.js'

const ready = {tcp: {host: '127.0.0.1', port: 9000}}

describe('php-fpm inputs', () => {
  it('writes php-fpm.conf and the www pool into the build, the unit names the symlink', () => {
    const ctx = webCtx(FACTS.debian12)
    const want = phpFpmInputs(ctx)
    const dir = phpBuild(ctx).dir
    expect(want.files.map((f) => f.path)).toEqual([`${dir}/etc/php-fpm.d/www.conf`, `${dir}/etc/php-fpm.conf`])
    expect(want.files[0]?.content).toContain('\nlisten = 127.0.0.1:9000\n')
    expect(want.files[0]?.content).toContain('\nuser = www\ngroup = www\n')
    expect(want.files[1]?.content).toContain('include = /application/php/etc/php-fpm.d/*.conf')
    expect(want.unit).toContain('ExecStart=/application/php/sbin/php-fpm --nodaemonize --fpm-config /application/php/etc/php-fpm.conf')
  })

  it('waits for a TCP listen on its port, a socket by testing it', () => {
    expect(fpmReady('127.0.0.1:9000')).toEqual(ready)
    expect(fpmReady('/run/php/fpm.sock')).toEqual({command: 'test -S /run/php/fpm.sock'})
  })
})

describe('php-fpm plan', () => {
  for (const [os, facts] of Object.entries(FACTS)) {
    it(`${os}: pool, validated php-fpm.conf, unit, then start and wait for :9000`, () => {
      const want = phpFpmInputs(webCtx(facts))
      const [pool, conf] = want.files
      expect(planPhpFpm({sums: {}, unitSha256: undefined, active: false, enabled: false, runningExe: ''}, want).actions).toEqual([
        {kind: 'write-file', path: pool?.path, content: pool?.content, mode: 0o644},
        {kind: 'write-file', path: conf?.path, content: conf?.content, mode: 0o644, validate: `${want.dir}/sbin/php-fpm -t -y {}`},
        {kind: 'write-file', path: '/etc/systemd/system/php-fpm.service', content: want.unit, mode: 0o644},
        {kind: 'run', description: 'reload systemd units', command: 'systemctl daemon-reload'},
        {kind: 'service', service: 'php-fpm', op: 'enable-now', ready},
      ])
    })
  }

  const want = phpFpmInputs(webCtx(FACTS.debian12))
  const done: PhpFpmFacts = {
    sums: Object.fromEntries(want.files.map((f) => [f.path, sha256Of(f.content)])),
    unitSha256: sha256Of(want.unit),
    active: true,
    enabled: true,
    runningExe: `${want.dir}/sbin/php-fpm`,
  }

  it('is a no-op when configured and running the current build', () => {
    expect(planPhpFpm(done, want)).toEqual({actions: [], reason: `php-fpm of ${want.dir} configured, enabled and answering on 127.0.0.1:9000`})
  })

  it('restarts onto a new build even when no file changed, and waits until it answers', () => {
    expect(planPhpFpm({...done, runningExe: '/application/php-8.2.32-00000000/sbin/php-fpm'}, want).actions).toEqual([
      {kind: 'service', service: 'php-fpm', op: 'restart', ready},
    ])
  })

  it('restarts after a pool change', () => {
    const pool = want.files[0]?.path ?? ''
    expect(planPhpFpm({...done, sums: {...done.sums, [pool]: 'old'}}, want).actions.map((a) => (a.kind === 'service' ? a.op : a.kind))).toEqual([
      'write-file',
      'restart',
    ])
  })
})
