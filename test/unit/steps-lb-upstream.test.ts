import {describe, expect, it} from 'vitest'

import {clusterHosts} from '../../src/config/hosts.js'
import {configSchema} from '../../src/config/schema.js'
import {sha256Of} from '../../src/engine/actions.js'
import type {Action, StepContext} from '../../src/engine/step.js'
import type {HostFacts} from '../../src/platform/facts.js'
import {httpGetCommand, parseHttpResponse} from '../../src/platform/lb.js'
import {LB_CONF_VALIDATE, type LbUpstreamFacts, judgeBackends, lbUpstream, lbUpstreamInputs, planLbUpstream} from '../../src/steps/lb-upstream.js'

const debian12: HostFacts = {osId: 'debian', osVersion: '12', osFamily: 'debian', packageManager: 'apt', arch: 'x86_64', cores: 2, initSystem: 'systemd'}
const ubuntu2404: HostFacts = {osId: 'ubuntu', osVersion: '24.04', osFamily: 'debian', packageManager: 'apt', arch: 'x86_64', cores: 4, initSystem: 'systemd'}
const rocky9: HostFacts = {osId: 'rocky', osVersion: '9.4', osFamily: 'rhel', packageManager: 'dnf', arch: 'x86_64', cores: 2, initSystem: 'systemd'}
const centos7: HostFacts = {osId: 'centos', osVersion: '7', osFamily: 'rhel', packageManager: 'yum', arch: 'x86_64', cores: 2, initSystem: 'systemd'}

function ctxFor(facts: HostFacts): StepContext {
  const config = configSchema.parse({
    version: 1,
    hosts: [
      {name: 'lb01', address: '10.0.0.5', privateAddress: '172.16.1.5', roles: ['lb']},
      {name: 'web01', address: '10.0.0.7', privateAddress: '172.16.1.7', roles: ['web']},
      {name: 'web02', address: '10.0.0.8', privateAddress: '172.16.1.8', roles: ['web']},
      {name: 'db01', address: '10.0.0.51', privateAddress: '172.16.1.51', roles: ['db', 'cache']},
    ],
  })
  const cluster = clusterHosts(config)
  return {config, host: cluster[0] as StepContext['host'], cluster, facts, secrets: new Map(), artifacts: new Map()}
}

const fresh: LbUpstreamFacts = {missingPackages: ['nginx'], confSha256: undefined, defaultSitePresent: false, enabled: false, active: false}
const ready = {tcp: {host: '127.0.0.1', port: 80}}
const brief = (actions: Action[]) => actions.map((a) => (a.kind === 'run' ? `run:${a.command.startsWith('if ') || a.command.includes(' install ') ? 'install' : a.command}` : a.kind === 'service' ? `service:${a.op}` : a.kind === 'write-file' ? `write:${a.path}` : a.kind))

describe('lb-upstream', () => {
  it('runs on lb hosts once the app is on every web host', () => {
    expect(lbUpstream.roles).toEqual(['lb'])
    expect(lbUpstream.after).toEqual(['web:app'])
  })

  it('renders the seed\'s proxy over the web hosts\' private addresses', () => {
    const want = lbUpstreamInputs(ctxFor(debian12))
    expect(want.backends).toEqual(['172.16.1.7', '172.16.1.8'])
    expect(want.conf).toContain('upstream lnmp_web {\n    server 172.16.1.7:80;\n    server 172.16.1.8:80;\n}')
    expect(want.conf).toContain('proxy_set_header Host $host;')
    expect(want.conf).toContain('proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;')
  })

  it('fresh Debian 12: install, our file checked alone, default site removed, whole config checked, restart onto it', () => {
    const want = lbUpstreamInputs(ctxFor(debian12))
    const plan = planLbUpstream(fresh, want)
    expect(brief(plan.actions)).toEqual([
      'run:install',
      'write:/etc/nginx/conf.d/lnmp-upstream.conf',
      'run:rm -f /etc/nginx/sites-enabled/default',
      'run:nginx -t -q',
      'service:restart',
      'service:enable-now',
    ])
    expect(plan.actions[1]).toMatchObject({validate: LB_CONF_VALIDATE})
    expect(plan.actions[4]).toEqual({kind: 'service', service: 'nginx', op: 'restart', ready})
    // the engine substitutes every {} with the temp path: the command has exactly one
    expect(LB_CONF_VALIDATE.split('{}')).toHaveLength(2)
  })

  it('Ubuntu 24.04 in place: nothing; a web host added: write, check, reload (no restart)', () => {
    const want = lbUpstreamInputs(ctxFor(ubuntu2404))
    const done: LbUpstreamFacts = {missingPackages: [], confSha256: sha256Of(want.conf), defaultSitePresent: false, enabled: true, active: true}
    expect(planLbUpstream(done, want)).toEqual({actions: [], reason: 'nginx balances phpmyadmin.oldboy.com over 172.16.1.7, 172.16.1.8'})
    expect(brief(planLbUpstream({...done, confSha256: 'old'}, want).actions)).toEqual(['write:/etc/nginx/conf.d/lnmp-upstream.conf', 'run:nginx -t -q', 'service:reload'])
    // someone put the default site back
    expect(brief(planLbUpstream({...done, defaultSitePresent: true}, want).actions)).toEqual(['run:rm -f /etc/nginx/sites-enabled/default', 'run:nginx -t -q', 'service:reload'])
  })

  it('Rocky 9 and CentOS 7 (EPEL): no Debian default site to remove; the package does not start nginx', () => {
    const rocky = planLbUpstream(fresh, lbUpstreamInputs(ctxFor(rocky9)))
    expect(brief(rocky.actions)).toEqual(['run:install', 'write:/etc/nginx/conf.d/lnmp-upstream.conf', 'run:nginx -t -q', 'service:restart', 'service:enable-now'])
    expect((rocky.actions[0] as Extract<Action, {kind: 'run'}>).command).toBe('dnf install -y nginx')
    const centos = lbUpstreamInputs(ctxFor(centos7))
    expect(centos.installCommand).toBe('{ rpm -q epel-release >/dev/null 2>&1 || yum install -y epel-release; } && yum install -y nginx')
    expect(centos.defaultSite).toBeUndefined()
  })

  it('stopped but configured: enable and start it', () => {
    const want = lbUpstreamInputs(ctxFor(debian12))
    const stopped: LbUpstreamFacts = {missingPackages: [], confSha256: sha256Of(want.conf), defaultSitePresent: false, enabled: true, active: false}
    expect(planLbUpstream(stopped, want).actions).toEqual([{kind: 'service', service: 'nginx', op: 'enable-now', ready}])
  })
})

describe('answers through the balancer', () => {
  const answer = (status: number, upstream?: string) => `HTTP/1.1 ${status} X\r\nServer: nginx\r\n${upstream ? `X-Upstream: ${upstream}\r\n` : ''}\r\nbody`

  it('each backend must answer (the last address nginx tried is the one that did)', () => {
    const both = judgeBackends([answer(200, '172.16.1.7:80'), answer(200, '172.16.1.8:80')], ['172.16.1.7', '172.16.1.8'])
    expect(both.bad).toEqual([])
    const oneDown = judgeBackends([answer(200, '172.16.1.8:80, 172.16.1.7:80'), answer(200, '172.16.1.7:80')], ['172.16.1.7', '172.16.1.8'])
    expect(oneDown.bad).toEqual(['172.16.1.8 never answered'])
    expect(judgeBackends([answer(502, '172.16.1.7:80'), undefined], ['172.16.1.7']).bad).toEqual(['502 from 172.16.1.7:80', 'no HTTP answer', '172.16.1.7 never answered'])
  })

  it('parses a raw HTTP answer', () => {
    const r = parseHttpResponse('HTTP/1.1 200 OK\r\nX-Backend: web01\r\nContent-Type: text/html\r\n\r\n<p>hi</p>')
    expect(r?.status).toBe(200)
    expect(r?.headers.get('x-backend')).toBe('web01')
    expect(r?.body).toBe('<p>hi</p>')
    expect(parseHttpResponse('')).toBeUndefined()
  })

  it('asks with bash alone, the Host header only when given', () => {
    expect(httpGetCommand({address: '127.0.0.1', hostHeader: 'phpmyadmin.oldboy.com'})).toMatch(/^timeout 5 bash -c .* http-get 127\.0\.0\.1 80 \/ phpmyadmin\.oldboy\.com$/s)
    expect(httpGetCommand({address: '127.0.0.1'})).toMatch(/ http-get 127\.0\.0\.1 80 \/ ''$/)
  })
})
