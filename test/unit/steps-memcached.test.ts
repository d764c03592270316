import {describe, expect, it} from 'vitest'

import {configSchema} from '../../src/config/schema.js'
import {sha256Of} from '../../src/hash.js'
import type {StepContext} from '../../src/engine/step.js'
import type {HostFacts} from '../../src/platform/facts.js'
import {judgeSetGet, memcachedInputs, planMemcached} from '../../src/steps/memcached.js'
import {FACTS} from './steps-support-fixtures.js'

function ctxFor(facts: HostFacts, memcached = {}): StepContext {
  const config = configSchema.parse({
    version: 1,
    hosts: [
      {name: 'web01', address: '10.0.0.7', roles: ['web']},
      {name: 'db01', address: '10.0.0.51', privateAddress: '172.16.1.51', roles: ['db', 'cache']},
    ],
    memcached,
  })
  const db01 = {name: 'db01', address: '10.0.0.51', privateAddress: '172.16.1.51', roles: ['db' as const, 'cache' as const]}
  return {
    config,
    host: db01,
    cluster: [{name: 'web01', address: '10.0.0.7', privateAddress: '10.0.0.7', roles: ['web']}, db01],
    facts,
    secrets: new Map(),
    artifacts: new Map(),
  }
}

describe('memcached inputs', () => {
  it('binds the private address with UDP off on Debian 12 and 13', () => {
    for (const facts of [FACTS.debian12, FACTS.debian13]) {
      const want = memcachedInputs(ctxFor(facts))
      expect(want.configPath).toBe('/etc/memcached.conf')
      expect(want.config).toContain('\n-l 172.16.1.51\n')
      expect(want.config).toContain('\n-U 0\n')
      expect(want.config).toContain('\n-p 11211\n')
      expect(want.listen).toBe('172.16.1.51')
    }
  })

  it('uses /etc/sysconfig/memcached on Rocky', () => {
    const want = memcachedInputs(ctxFor(FACTS.rocky9))
    expect(want.configPath).toBe('/etc/sysconfig/memcached')
    expect(want.config).toMatch(/OPTIONS=".*-l 172\.16\.1\.51.*-U 0/)
    expect(want.installCommand).toBe('dnf install -y memcached')
  })

  it('binds every address only when asked', () => {
    expect(memcachedInputs(ctxFor(FACTS.debian12, {listenAll: true})).listen).toBe('0.0.0.0')
  })
})

describe('memcached plan', () => {
  const want = memcachedInputs(ctxFor(FACTS.debian12))
  const ready = {tcp: {host: '172.16.1.51', port: 11211}}

  it('installs, configures and restarts on a fresh host', () => {
    const plan = planMemcached({missingPackages: ['memcached'], configSha256: undefined, enabled: false, active: false}, want)
    // the package starts memcached on its own config: restart onto ours, and only then is it ready
    expect(plan.actions.map((a) => a.kind + (a.kind === 'service' ? `:${a.op}` : ''))).toEqual([
      'run',
      'write-file',
      'service:restart',
      'service:enable-now',
    ])
    expect(plan.actions[2]).toEqual({kind: 'service', service: 'memcached', op: 'restart', ready})
    expect(plan.actions[3]).toEqual({kind: 'service', service: 'memcached', op: 'enable-now'})
  })

  it('restarts after a config change only', () => {
    const plan = planMemcached({missingPackages: [], configSha256: 'old', enabled: true, active: true}, want)
    expect(plan.actions.map((a) => a.kind)).toEqual(['write-file', 'service'])
  })

  it('starts a stopped service without rewriting its config', () => {
    const plan = planMemcached({missingPackages: [], configSha256: sha256Of(want.config), enabled: true, active: false}, want)
    expect(plan.actions).toEqual([{kind: 'service', service: 'memcached', op: 'enable-now', ready}])
  })

  it('is a no-op with a reason when everything is in place', () => {
    const plan = planMemcached({missingPackages: [], configSha256: sha256Of(want.config), enabled: true, active: true}, want)
    expect(plan).toEqual({actions: [], reason: 'memcached installed, configured for 172.16.1.51:11211, enabled and running'})
  })
})

describe('memcached set/get judgement', () => {
  it('needs the stored value back, not just a connection', () => {
    expect(judgeSetGet('STORED\nVALUE k 0 2\nhi\nEND\nDELETED\n', 'k', 'hi').ok).toBe(true)
    expect(judgeSetGet('STORED\nEND\nDELETED\n', 'k', 'hi')).toEqual({ok: false, detail: 'unexpected reply: STORED | END | DELETED'})
    expect(judgeSetGet('', 'k', 'hi')).toEqual({ok: false, detail: 'unexpected reply: (none)'})
  })
})
