import {describe, expect, it} from 'vitest'

import {clusterHosts} from '../../src/config/hosts.js'
import {configSchema} from '../../src/config/schema.js'
import type {AnyStep, ClusterHost, StepContext} from '../../src/engine/step.js'
import {ConfigError, ConnectionError, ExitCode} from '../../src/errors.js'
import {runVerify, verifyExitCode} from '../../src/services/verify.js'
import type {Remote} from '../../src/ssh/remote.js'
import {CLUSTER_CHECKS, selectChecks} from '../../src/verify/registry.js'
import type {CheckEnv, ClusterCheck} from '../../src/verify/types.js'

const STEP_IDS = ['www-user', 'build-deps', 'php-fpm', 'pecl-memcache', 'memcached', 'mariadb', 'db-firewall']

describe('selectChecks', () => {
  it('selects everything when no --check is given', () => {
    const s = selectChecks(undefined, STEP_IDS)
    expect(s.steps).toEqual(STEP_IDS)
    expect(s.clusterChecks.map((c) => c.id)).toEqual(['services', 'session-proof', 'closed-ports', 'web-root-clean'])
  })

  it('never runs session-failover (it stops memcached) unless --check names it', () => {
    expect(selectChecks(['session-failover'], STEP_IDS).clusterChecks.map((c) => c.id)).toEqual(['session-failover'])
    expect(selectChecks(['session-failover'], STEP_IDS).steps).toEqual([])
  })

  it('takes step ids, cluster check ids and the aliases of checks a step already makes', () => {
    const s = selectChecks(['session-proof', 'php-fpm', 'memcache-connect', 'mariadb-login', 'closed-ports'], STEP_IDS)
    expect(s.steps).toEqual(['php-fpm', 'pecl-memcache', 'mariadb', 'db-firewall'])
    expect(s.clusterChecks.map((c) => c.id)).toEqual(['session-proof', 'closed-ports'])
  })

  it('refuses an unknown id, listing the known ones', () => {
    expect(() => selectChecks(['sesion-proof', 'closed-ports'], STEP_IDS)).toThrow(ConfigError)
    try {
      selectChecks(['sesion-proof'], STEP_IDS)
    } catch (error) {
      expect((error as ConfigError).message).toBe('--check sesion-proof: no such check')
      expect((error as ConfigError).hint).toContain(
        'db-firewall, services, session-proof, closed-ports, web-root-clean, session-failover, memcache-connect, mariadb-login, lb-proxy',
      )
    }
  })

  it('has unique ids', () => {
    const ids = CLUSTER_CHECKS.map((c) => c.id)
    expect(new Set(ids).size).toBe(ids.length)
  })
})

describe('verifyExitCode', () => {
  it('is 0 when all passed or were skipped, 6 when a check failed, 4 when a host was unreachable', () => {
    expect(verifyExitCode({checks: [{status: 'pass'}, {status: 'skipped'}], unreachable: []})).toBe(ExitCode.ok)
    expect(verifyExitCode({checks: [{status: 'pass'}, {status: 'fail'}], unreachable: []})).toBe(ExitCode.verifyFailed)
    expect(verifyExitCode({checks: [{status: 'fail'}], unreachable: [{host: 'web02'}]})).toBe(ExitCode.connection)
    expect([ExitCode.ok, ExitCode.verifyFailed, ExitCode.connection]).toEqual([0, 6, 4])
  })
})

/**
 * runVerify with checks that are plain functions: how rows are ordered, timed, skipped, redacted and
 * turned into an exit code. The checks never reach a host; the one "unreachable" host is the error the SSH
 * layer raises for it.
 */
describe('runVerify', () => {
  const config = configSchema.parse({
    version: 1,
    hosts: [
      {name: 'lb01', address: '10.77.0.11', roles: ['lb']},
      {name: 'web01', address: '10.77.0.21', roles: ['web']},
      {name: 'web02', address: '10.77.0.22', roles: ['web']},
    ],
  })
  const cluster = clusterHosts(config)
  const envFor = (down: string[] = []): CheckEnv => ({
    config,
    cluster,
    secrets: new Map([['database.appPassword', 's3cret-pw']]),
    // the checks here never use a connection: a name tag stands for one
    remoteOf: async (name) => ({name}) as unknown as Remote,
    contextFor: async (host: ClusterHost) => {
      if (down.includes(host.name)) throw new ConnectionError(host.name, 'connect ECONNREFUSED', {hint: 'is sshd running?'})
      return {host} as unknown as StepContext
    },
  })
  const step = (id: string, verify: AnyStep['verify']): AnyStep => ({
    id,
    title: id,
    roles: ['web'],
    inputs: () => ({}),
    probe: async () => ({}),
    plan: () => ({actions: []}),
    verify,
  })
  const proof: ClusterCheck = {
    id: 'session-proof',
    title: 'proof',
    targets: (env) => env.cluster.filter((h) => h.roles.includes('lb')),
    run: async () => [{name: 'session-proof', ok: false, detail: 'value missing', output: 'login s3cret-pw failed', hint: 'memcached?'}],
  }
  const roots: ClusterCheck = {
    id: 'web-root-clean',
    title: 'roots',
    targets: (env) => env.cluster.filter((h) => h.roles.includes('web')),
    run: async (_env, host) =>
      host.name === 'web02' ? [{name: 'no-test-pages', ok: true, skipped: true, detail: 'no nginx'}] : [{name: 'no-test-pages', ok: true}],
  }
  const steps = [
    step('www-user', async () => [{name: 'www-uid', ok: true, detail: '666'}]),
    step('php-fpm', async () => {
      throw new Error('php-fpm: not found')
    }),
  ]

  it('reports every row in host order, steps before cluster checks, with failures, skips and an exit code of 6', async () => {
    const report = await runVerify(envFor(), {hosts: cluster, steps, clusterChecks: [proof, roots], secretValues: ['s3cret-pw']})
    expect(report.checks.map((c) => [c.host, c.check, c.name, c.status])).toEqual([
      ['lb01', 'session-proof', 'session-proof', 'fail'],
      ['web01', 'www-user', 'www-uid', 'pass'],
      ['web01', 'php-fpm', 'php-fpm', 'fail'],
      ['web01', 'web-root-clean', 'no-test-pages', 'pass'],
      ['web02', 'www-user', 'www-uid', 'pass'],
      ['web02', 'php-fpm', 'php-fpm', 'fail'],
      ['web02', 'web-root-clean', 'no-test-pages', 'skipped'],
    ])
    expect(report.checks[2]?.detail).toBe('could not check: php-fpm: not found')
    expect(report.checks[0]?.output).toBe('login *** failed')
    expect(report).toMatchObject({
      ok: false,
      exitCode: 6,
      counts: {passed: 3, failed: 3, skipped: 1},
      unreachable: [],
      hosts: ['lb01', 'web01', 'web02'],
    })
  })

  it('narrows to the selected hosts, cluster checks included', async () => {
    const report = await runVerify(envFor(), {
      hosts: cluster.filter((h) => h.name === 'web02'),
      steps: steps.slice(0, 1),
      clusterChecks: [proof, roots],
    })
    expect(report.checks.map((c) => `${c.host} ${c.name}`)).toEqual(['web02 www-uid', 'web02 no-test-pages'])
    expect(report.exitCode).toBe(0)
  })

  it('reports an unreachable host once, runs nothing on it, and exits 4', async () => {
    const report = await runVerify(envFor(['web02']), {hosts: cluster, steps: steps.slice(0, 1), clusterChecks: [roots]})
    expect(report.unreachable).toEqual([{host: 'web02', message: 'web02: connect ECONNREFUSED', hint: 'is sshd running?'}])
    expect(report.checks.map((c) => `${c.host} ${c.name}`)).toEqual(['web01 www-uid', 'web01 no-test-pages'])
    expect(report).toMatchObject({ok: false, exitCode: 4})
  })

  it('skips what needed a host that dropped during a check, and still exits 4', async () => {
    const viaLb: ClusterCheck = {
      id: 'closed-ports',
      title: 'closed',
      targets: (env) => env.cluster.filter((h) => h.name === 'web01'),
      run: async () => {
        throw new ConnectionError('lb01', 'connection lost')
      },
    }
    const report = await runVerify(envFor(), {hosts: cluster, steps: [], clusterChecks: [viaLb]})
    expect(report.checks).toMatchObject([{host: 'web01', name: 'closed-ports', status: 'skipped', detail: 'lb01 could not be reached'}])
    expect(report.unreachable.map((u) => u.host)).toEqual(['lb01'])
    expect(report.exitCode).toBe(4)
  })

  it('warns when the configured PHP nears its end of life, and still passes: a warning is not a failure', async () => {
    const today = new Date('2026-12-01T09:00:00Z')
    const on82 = {...envFor(), config: {...config, php: {...config.php, version: '8.2.32'}}}
    const report = await runVerify(on82, {hosts: cluster, steps: steps.slice(0, 1), clusterChecks: [], today})
    expect(report).toMatchObject({
      ok: true,
      exitCode: 0,
      warnings: ['PHP 8.2.32 reaches its end of life on 2026-12-31 (30 days): set php.version to 8.4.24'],
    })
    expect((await runVerify(envFor(), {hosts: cluster, steps: steps.slice(0, 1), clusterChecks: [], today})).warnings).toEqual([])
  })
})
