import {describe, expect, it} from 'vitest'

import {ConfigError} from '../../src/errors.js'
import {nginxConfigureArgs, nginxSource, nginxSourceInputs, stageVhostsCommand} from '../../src/steps/nginx-source.js'
import {describeStepFixtures, loadStepFixtures, stepFixtureFolder} from './step-fixtures.js'
import {FACTS, webCtx} from './steps-support-fixtures.js'

describe('nginx-source inputs', () => {
  it('configures as the procedure does, into a directory named by version and flags', () => {
    const want = nginxSourceInputs(webCtx(FACTS.debian12))
    expect(want.dir).toMatch(/^\/application\/nginx-1\.26\.3-[0-9a-f]{8}$/)
    expect(want.job.configure).toEqual([
      './configure',
      `--prefix=${want.dir}`,
      '--user=www',
      '--group=www',
      '--with-http_ssl_module',
      '--with-http_stub_status_module',
    ])
    expect(want.job.id).toBe(want.dir.slice('/application/'.length))
    expect(want.job.srcDir).toBe('/usr/local/src/lnmp-deploy/nginx-1.26.3')
    expect(want.home).toBe('/application/nginx')
    expect(want.confPath).toBe(`${want.dir}/conf/nginx.conf`)
    expect(want.job.afterInstall).toEqual([`mkdir -p ${want.dir}/conf/extra`])
    expect(want.unit).toContain('ExecStart=/application/nginx/sbin/nginx')
    expect(want.unit).not.toContain(want.dir)
  })

  it("adds the user's flags, and they move the build to another directory", () => {
    const base = nginxSourceInputs(webCtx(FACTS.debian12))
    const extra = nginxSourceInputs(webCtx(FACTS.debian12, {nginx: {extraFlags: ['--with-http_v2_module']}}))
    expect(extra.job.configure.at(-1)).toBe('--with-http_v2_module')
    expect(extra.dir).not.toBe(base.dir)
    expect(nginxConfigureArgs('/d', ['--x'])).toEqual([
      '--prefix=/d',
      '--user=www',
      '--group=www',
      '--with-http_ssl_module',
      '--with-http_stub_status_module',
      '--x',
    ])
  })

  it("refuses the seed's nginx 1.14.2 where it cannot build, before anything runs", () => {
    for (const facts of [FACTS.debian12, FACTS.debian13, FACTS.ubuntu2404, FACTS.rocky9]) {
      expect(() => nginxSourceInputs(webCtx(facts, {nginx: {version: '1.14.2'}}))).toThrow(ConfigError)
    }
    expect(() => nginxSourceInputs(webCtx(FACTS.debian12, {nginx: {version: '1.14.2'}}))).toThrow(
      'web01: nginx 1.14.2 cannot be built on debian 12: nginx before 1.21.5 knows neither PCRE2 nor OpenSSL 3',
    )
  })
})

describe('nginx-source: the running vhosts come along into a new build', () => {
  it("copied without overwriting the new tree's own, then the new binary checks the whole new tree", () => {
    expect(stageVhostsCommand('/application/nginx', '/application/nginx-1.26.3-a9ed7533')).toBe(
      'if [ -d /application/nginx/conf/extra ]; then cp -an /application/nginx/conf/extra/. /application/nginx-1.26.3-a9ed7533/conf/extra/; fi && /application/nginx-1.26.3-a9ed7533/sbin/nginx -t -q',
    )
  })
})

// the plan as data: test/unit/fixtures/nginx-source/*.json, run by test/unit/step-fixtures.ts
describeStepFixtures(nginxSource, stepFixtureFolder('nginx-source'))

describe('nginx-source: what every case keeps', () => {
  const cases = loadStepFixtures(stepFixtureFolder('nginx-source'))
  it("a restart or reload of a running nginx is always out of the balancer's rotation; a start is not", () => {
    for (const {file, fixture} of cases) {
      for (const a of fixture.expected.actions.filter((x) => x.kind === 'service'))
        expect(a.behindBalancer, file).toBe(a.op === 'enable-now' ? undefined : true)
    }
  })
  it('the link moves only after the new tree was checked whole, with the running vhosts in it, when something runs', () => {
    for (const {file, fixture} of cases) {
      const at = fixture.expected.actions.findIndex((a) => a.kind === 'switch-link')
      if (at === -1 || (fixture.facts as {linkTarget: string}).linkTarget === '') continue
      const target = String(fixture.expected.actions[at]?.target)
      expect(fixture.expected.actions[at - 1], file).toMatchObject({
        kind: 'run',
        description: `bring the running vhosts into ${target} and check its whole tree`,
      })
    }
  })
  it("the build compiles the configured version with the host's cores", () => {
    for (const {fixture} of cases.filter((c) => c.file.startsWith('fresh-'))) {
      const job = fixture.expected.actions.find((a) => a.kind === 'run' && a.job)
      const cores = FACTS[fixture.platform].cores
      expect(String(job?.command)).toContain(cores > 1 ? `make -j${cores} ||` : '\nmake\n')
    }
  })
})

describe('hosts without systemd', () => {
  it('are refused before anything is compiled', () => {
    const facts = {...FACTS.debian12, initSystem: 'other' as const}
    expect(() => nginxSourceInputs(webCtx(facts))).toThrow('web01: nginx needs systemd as PID 1')
  })
})
