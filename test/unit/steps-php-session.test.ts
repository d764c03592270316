import {describe, expect, it} from 'vitest'

import {ConfigError} from '../../src/errors.js'
import type {ExecOptions, ExecResult, Remote} from '../../src/ssh/remote.js'
import {parseFpmAnswer, phpSession, phpSessionInputs} from '../../src/steps/php-session.js'
import {phpBuild} from '../../src/steps/support/php-build.js'
import {describeStepFixtures, fixtureContext, loadStepFixtures, stepFixtureFolder} from './step-fixtures.js'
import {FACTS, webCtx} from './steps-support-fixtures.js'

describe('php-session inputs', () => {
  it("memcache on the cache host, in the memcache extension's tcp:// syntax, as a conf.d file of the build", () => {
    const ctx = webCtx(FACTS.debian12)
    const want = phpSessionInputs(ctx)
    expect(want.phpDir).toBe(phpBuild(ctx).dir)
    expect(want.phpHome).toBe('/application/php')
    expect(want.iniPath).toBe(`${phpBuild(ctx).dir}/etc/conf.d/session.ini`)
    expect(want.ini).toContain('\nsession.save_handler = memcache\nsession.save_path = "tcp://172.16.1.51:11211?timeout=4"\n')
    expect(want.savePath).toBe('tcp://172.16.1.51:11211?timeout=4')
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

// the plan as data: test/unit/fixtures/php-session/*.json, run by test/unit/step-fixtures.ts
describeStepFixtures(phpSession, stepFixtureFolder('php-session'))

describe('php-session and the live build', () => {
  it("restarts FPM only for a changed session.ini of the build the link names, out of the balancer's rotation", () => {
    for (const {fixture} of loadStepFixtures(stepFixtureFolder('php-session'))) {
      // each case's own config: the ones recorded on a live 8.2.32 build pin that version
      const want = phpSessionInputs(fixtureContext(fixture))
      const restarts = fixture.expected.actions.filter((a) => a.kind === 'service')
      const live = (fixture.facts as {linkTarget?: string}).linkTarget === want.phpDir
      const iniWritten = fixture.expected.actions.some((a) => a.kind === 'write-file' && String(a.path).endsWith('/etc/conf.d/session.ini'))
      expect(restarts).toEqual(
        live && iniWritten
          ? [{kind: 'service', service: 'php-fpm', op: 'restart', ready: {tcp: {host: '127.0.0.1', port: 9000}}, behindBalancer: true}]
          : [],
      )
    }
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

/** web01 answering from a table of commands; every command it was asked is kept. */
function scriptedRemote(answers: Record<string, string>): Remote & {asked: Array<{command: string; options?: ExecOptions}>} {
  const asked: Array<{command: string; options?: ExecOptions}> = []
  const exec = async (command: string, options?: ExecOptions): Promise<ExecResult> => {
    asked.push({command, ...(options ? {options} : {})})
    const stdout = answers[command]
    return stdout === undefined ? {code: 1, stdout: '', stderr: `unexpected: ${command}`} : {code: 0, stdout, stderr: ''}
  }
  return {
    name: 'web01',
    asked,
    exec,
    run: exec,
    writeFile: async () => {},
    upload: async () => {},
    download: async () => Promise.reject(new Error('not used')),
    runJob: async () => Promise.reject(new Error('not used')),
    close: async () => {},
  }
}

describe("php-session verify: the running FPM when the build is live, the staged build's CLI otherwise", () => {
  const ctx = webCtx(FACTS.debian12)
  const dir = phpBuild(ctx).dir
  const probe = '/var/lib/lnmp-deploy/fpm-probe/fpm-ini.php'
  const answer = '{"sapi":"fpm-fcgi","save_handler":"memcache","save_path":"tcp://172.16.1.51:11211?timeout=4","memcache":true}\n'
  const verify = (remote: Remote) => phpSession.verify({remote, remoteOf: async () => remote}, ctx, phpSessionInputs(ctx))

  it("live: one FastCGI request to FPM on its listen address, through the symlink's php", async () => {
    const remote = scriptedRemote({
      'readlink /application/php': `${dir}\n`,
      [`/application/php/bin/php -- 127.0.0.1:9000 ${probe}`]: answer,
    })
    expect(await verify(remote)).toEqual([
      {
        name: 'fpm-session-settings',
        ok: true,
        detail: 'FPM uses memcache tcp://172.16.1.51:11211?timeout=4',
        command: `/application/php/bin/php -- 127.0.0.1:9000 ${probe} < fastcgi-client.php`,
      },
    ])
    expect(remote.asked[1]?.options?.stdin).toContain('stream_socket_client')
  })

  it("staged: the build's own CLI runs the probe (same php.ini and conf.d), memcache loaded; FPM is not asked", async () => {
    const cli = answer.replace('fpm-fcgi', 'cli')
    const remote = scriptedRemote({'readlink /application/php': '/application/php-8.2.32-0a1b2c3d\n', [`${dir}/bin/php ${probe}`]: cli})
    expect(await verify(remote)).toEqual([
      {
        name: 'staged-session-settings',
        ok: true,
        detail: `${dir} uses memcache tcp://172.16.1.51:11211?timeout=4 (memcache loaded)`,
        command: `${dir}/bin/php ${probe}`,
      },
    ])
    expect(remote.asked.map((a) => a.command)).toEqual(['readlink /application/php', `${dir}/bin/php ${probe}`])
  })

  it('staged without the memcache extension: fails, pointing at session.ini', async () => {
    const remote = scriptedRemote({
      'readlink /application/php': '',
      [`${dir}/bin/php ${probe}`]: answer.replace('"memcache":true', '"memcache":false'),
    })
    const [result] = await verify(remote)
    expect(result).toMatchObject({
      name: 'staged-session-settings',
      ok: false,
      hint: `see ${dir}/etc/conf.d/session.ini: lnmp-deploy run --step php-session --host web01`,
    })
  })

  it('live but FPM does not answer: fails, pointing at php-switch', async () => {
    const remote = scriptedRemote({'readlink /application/php': `${dir}\n`})
    const [result] = await verify(remote)
    expect(result).toMatchObject({
      name: 'fpm-session-settings',
      ok: false,
      detail: 'PHP-FPM did not answer the probe',
      hint: 'is php-fpm running on 127.0.0.1:9000? (lnmp-deploy run --step php-switch --host web01)',
    })
  })
})
