import {describe, expect, it} from 'vitest'

import {fpmReady, phpFpm, phpFpmInputs, poolValidateCommand} from '../../src/steps/php-fpm.js'
import {phpBuild} from '../../src/steps/support/php-build.js'
import {describeStepFixtures, loadStepFixtures, stepFixtureFolder} from './step-fixtures.js'
import {FACTS, webCtx} from './steps-support-fixtures.js'

const ready = {tcp: {host: '127.0.0.1', port: 9000}}

describe('php-fpm inputs', () => {
  it('writes the www pool, then php-fpm.conf naming the build dir, into the build; the unit names the symlink', () => {
    const ctx = webCtx(FACTS.debian12)
    const want = phpFpmInputs(ctx)
    const dir = phpBuild(ctx).dir
    expect(want.dir).toBe(dir)
    expect(want.home).toBe('/application/php')
    expect(want.files.map((f) => f.path)).toEqual([`${dir}/etc/php-fpm.d/www.conf`, `${dir}/etc/php-fpm.conf`])
    expect(want.files[0]?.content).toContain('\nlisten = 127.0.0.1:9000\n')
    expect(want.files[0]?.content).toContain('\nuser = www\ngroup = www\n')
    // the build's own paths: a staged build is checked with its own pool, and never shares the live one's pid
    expect(want.files[1]?.content).toContain(`\npid = ${dir}/var/run/php-fpm.pid\n`)
    expect(want.files[1]?.content).toContain(`\ninclude = ${dir}/etc/php-fpm.d/*.conf\n`)
    expect(want.files[1]?.content).not.toContain('/application/php/')
    expect(want.unitPath).toBe('/etc/systemd/system/php-fpm.service')
    expect(want.unit).toContain('ExecStart=/application/php/sbin/php-fpm --nodaemonize --fpm-config /application/php/etc/php-fpm.conf')
    expect(want.unit).not.toContain(dir)
  })

  it('a new build is another directory with its own files; the unit stays the same', () => {
    const a = phpFpmInputs(webCtx(FACTS.debian12))
    const b = phpFpmInputs(webCtx(FACTS.debian12, {php: {features: ['fpm', 'mysqli', 'zip']}}))
    expect(b.dir).not.toBe(a.dir)
    expect(b.files.map((f) => f.path).some((p) => a.files.some((f) => f.path === p))).toBe(false)
    expect(b.unit).toBe(a.unit)
  })

  it("checks a pool with this build's php-fpm, inside a minimal main config; the engine fills the one {}", () => {
    expect(poolValidateCommand('/application/php-8.2.32-c21145b2')).toBe(
      't=$(mktemp) && printf \'[global]\\nerror_log = /dev/null\\ninclude = %s\\n\' {} > "$t" && /application/php-8.2.32-c21145b2/sbin/php-fpm -t -y "$t"; rc=$?; rm -f "$t"; exit $rc',
    )
    expect(poolValidateCommand('/d').split('{}')).toHaveLength(2)
  })

  it('waits for a TCP listen on its port, a socket by testing it', () => {
    expect(fpmReady('127.0.0.1:9000')).toEqual(ready)
    expect(fpmReady('/run/php/fpm.sock')).toEqual({command: 'test -S /run/php/fpm.sock'})
  })

  it('configures a build once it is compiled; php-switch starts it', () => {
    expect(phpFpm.after).toEqual(['php-source', 'www-user'])
  })
})

// the plan as data: test/unit/fixtures/php-fpm/*.json, run by test/unit/step-fixtures.ts
describeStepFixtures(phpFpm, stepFixtureFolder('php-fpm'))

describe('php-fpm never starts FPM', () => {
  it("no case enables or starts it, and every restart is out of the balancer's rotation", () => {
    for (const {fixture} of loadStepFixtures(stepFixtureFolder('php-fpm'))) {
      for (const a of fixture.expected.actions.filter((x) => x.kind === 'service')) {
        expect(a).toMatchObject({kind: 'service', service: 'php-fpm', op: 'restart', behindBalancer: true})
      }
    }
  })
})
