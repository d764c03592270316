import {describe, expect, it} from 'vitest'

import {sha256Of} from '../../src/engine/actions.js'
import {ConfigError} from '../../src/errors.js'
import {buildScript} from '../../src/steps/support/build.js'
import {type NginxSourceFacts, nginxConfigureArgs, nginxSourceInputs, planNginxSource} from '../../src/steps/nginx-source.js'
import {FACTS, webCtx} from './steps-support-fixtures.js'

const fresh: NginxSourceFacts = {marker: undefined, linkTarget: '', tarballSha256: undefined, confSha256: undefined, unitSha256: undefined, active: false, enabled: false}

describe('nginx-source inputs', () => {
  it('configures as the procedure does, into a directory named by version and flags', () => {
    const want = nginxSourceInputs(webCtx(FACTS.debian12))
    expect(want.dir).toMatch(/^\/application\/nginx-1\.22\.1-[0-9a-f]{8}$/)
    expect(want.job.configure).toEqual([
      './configure',
      `--prefix=${want.dir}`,
      '--user=www',
      '--group=www',
      '--with-http_ssl_module',
      '--with-http_stub_status_module',
    ])
    expect(want.job.id).toBe(want.dir.slice('/application/'.length))
    expect(want.job.srcDir).toBe('/usr/local/src/lnmp-deploy/nginx-1.22.1')
    expect(want.unit).toContain('ExecStart=/application/nginx/sbin/nginx')
  })

  it('adds the user\'s flags, and they move the build to another directory', () => {
    const base = nginxSourceInputs(webCtx(FACTS.debian12))
    const extra = nginxSourceInputs(webCtx(FACTS.debian12, {nginx: {extraFlags: ['--with-http_v2_module']}}))
    expect(extra.job.configure.at(-1)).toBe('--with-http_v2_module')
    expect(extra.dir).not.toBe(base.dir)
    expect(nginxConfigureArgs('/d', ['--x'])).toEqual(['--prefix=/d', '--user=www', '--group=www', '--with-http_ssl_module', '--with-http_stub_status_module', '--x'])
  })

  it('refuses the seed\'s nginx 1.14.2 where it cannot build, before anything runs', () => {
    for (const facts of [FACTS.debian12, FACTS.ubuntu2404, FACTS.rocky9]) {
      expect(() => nginxSourceInputs(webCtx(facts, {nginx: {version: '1.14.2'}}))).toThrow(ConfigError)
    }
    expect(() => nginxSourceInputs(webCtx(FACTS.debian12, {nginx: {version: '1.14.2'}}))).toThrow(
      'web01: nginx 1.14.2 cannot be built on debian 12: nginx before 1.21.5 knows neither PCRE2 nor OpenSSL 3',
    )
  })
})

describe('nginx-source plan', () => {
  for (const [os, facts] of Object.entries(FACTS)) {
    it(`${os}: a fresh host gets download, build, config, link, unit, start`, () => {
      const want = nginxSourceInputs(webCtx(facts))
      const plan = planNginxSource(fresh, want)
      expect(plan.actions).toEqual([
        {
          kind: 'run',
          description: 'download nginx 1.22.1 and check its sha256',
          command: expect.stringContaining('curl -fsSL --retry 3 -o /var/lib/lnmp-deploy/src/nginx_1.22.1.orig.tar.gz.download') as string,
        },
        {kind: 'run', description: `forget an earlier result of job ${want.job.id} whose install is gone`, command: expect.any(String) as string},
        {kind: 'run', description: `build nginx 1.22.1 into ${want.dir}`, command: buildScript(want.job), job: want.job.id, build: true},
        {kind: 'write-file', path: `${want.dir}/conf/nginx.conf`, content: want.conf, mode: 0o644, validate: `${want.dir}/sbin/nginx -t -q -c {}`},
        {kind: 'run', description: `switch /application/nginx to ${want.dir}`, command: expect.stringContaining(`mv -T /application/.nginx.lnmp-new /application/nginx`) as string},
        {kind: 'write-file', path: '/etc/systemd/system/nginx.service', content: want.unit, mode: 0o644},
        {kind: 'run', description: 'reload systemd units', command: 'systemctl daemon-reload'},
        {kind: 'service', service: 'nginx', op: 'enable-now', ready: {tcp: {host: '127.0.0.1', port: 80}}},
      ])
      expect(buildScript(want.job)).toContain(facts.cores > 1 ? `make -j${facts.cores} ||` : '\nmake\n')
    })
  }

  const want = nginxSourceInputs(webCtx(FACTS.debian12))
  const done: NginxSourceFacts = {
    marker: want.job.marker,
    linkTarget: want.dir,
    tarballSha256: want.tarball.sha256,
    confSha256: sha256Of(want.conf),
    unitSha256: sha256Of(want.unit),
    active: true,
    enabled: true,
  }

  it('is a no-op with a reason when built, linked, configured and running', () => {
    expect(planNginxSource(done, want)).toEqual({actions: [], reason: `nginx 1.22.1 built in ${want.dir}, linked, configured and running`})
  })

  it('a changed config is written after `nginx -t` accepts it, then reloaded', () => {
    const plan = planNginxSource({...done, confSha256: 'old'}, want)
    expect(plan.actions.map((a) => (a.kind === 'service' ? `service:${a.op}` : a.kind))).toEqual(['write-file', 'service:reload'])
  })

  it('a new version builds beside the old one, switches the link keeping the vhosts, and restarts', () => {
    const newer = nginxSourceInputs(webCtx(FACTS.debian12, {nginx: {version: '1.26.3'}}))
    const plan = planNginxSource({...done, marker: undefined, confSha256: undefined, tarballSha256: undefined}, newer)
    const switchAction = plan.actions.find((a) => a.kind === 'run' && a.description.startsWith('switch'))
    expect(switchAction).toEqual({
      kind: 'run',
      description: `switch /application/nginx to ${newer.dir}`,
      command:
        `if [ -d /application/nginx/conf/extra ] && [ "$(readlink -f /application/nginx)" != ${newer.dir} ]; then cp -an /application/nginx/conf/extra/. ${newer.dir}/conf/extra/; fi && ` +
        `ln -sfn ${newer.dir} /application/.nginx.lnmp-new && mv -T /application/.nginx.lnmp-new /application/nginx`,
    })
    expect(plan.actions.at(-1)).toEqual({kind: 'service', service: 'nginx', op: 'restart', ready: {tcp: {host: '127.0.0.1', port: 80}}})
    expect(newer.dir).toMatch(/^\/application\/nginx-1\.26\.3-/)
  })

  it('a build whose marker names other flags is rebuilt', () => {
    const plan = planNginxSource({...done, marker: {...want.job.marker, args: ['--prefix=x']}}, want)
    expect(plan.actions.filter((a) => a.kind === 'run' && a.job)).toHaveLength(1)
  })

  it('starts a stopped nginx without touching anything else', () => {
    expect(planNginxSource({...done, active: false}, want).actions).toEqual([
      {kind: 'service', service: 'nginx', op: 'enable-now', ready: {tcp: {host: '127.0.0.1', port: 80}}},
    ])
  })
})

describe('hosts without systemd', () => {
  it('are refused before anything is compiled', () => {
    const facts = {...FACTS.debian12, initSystem: 'other' as const}
    expect(() => nginxSourceInputs(webCtx(facts))).toThrow('web01: nginx needs systemd as PID 1')
  })
})
