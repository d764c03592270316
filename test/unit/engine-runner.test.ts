import {describe, expect, it} from 'vitest'

import {ConfigError, DeployError, ExitCode, LockedError} from '../../src/errors.js'
import type {EngineEvent} from '../../src/engine/events.js'
import {type JournalData, type JournalStore, emptyJournal} from '../../src/engine/journal.js'
import {type RunOptions, runSteps} from '../../src/engine/runner.js'
import type {AnyStep, ClusterHost, StepContext} from '../../src/engine/step.js'
import type {ExecOptions, ExecResult, Remote} from '../../src/ssh/remote.js'
import {RemoteCommandError} from '../../src/ssh/remote.js'

/**
 * The runner's bookkeeping only (ordering, skipping, journal, events), with steps as plain objects and a
 * host that is a few maps in memory. Everything that really happens over SSH is in test/integration.
 */
class MemoryHost implements Remote {
  readonly commands: string[] = []
  readonly files = new Map<string, string>()
  journal: JournalData = emptyJournal()
  /** commands matching this fail with exit 1 */
  failing: RegExp | undefined

  constructor(readonly name: string) {}

  async exec(command: string, options?: ExecOptions): Promise<ExecResult> {
    this.commands.push(command)
    const cat = /^if \[ -e (\S+) \]; then echo present; cat \S+; fi$/.exec(command)
    if (cat?.[1] !== undefined) {
      const content = this.files.get(cat[1])
      return {code: 0, stdout: content === undefined ? '' : `present\n${content}`, stderr: ''}
    }
    if (this.failing?.test(command)) {
      options?.onOutput?.('line 1\nit broke\n', 'stderr')
      return {code: 1, stdout: '', stderr: 'line 1\nit broke\n'}
    }
    return {code: 0, stdout: '', stderr: ''}
  }

  async run(command: string, options?: ExecOptions): Promise<ExecResult> {
    const result = await this.exec(command, options)
    if (result.code !== 0) throw new RemoteCommandError(this.name, command, result)
    return result
  }

  async writeFile(): Promise<void> {
    throw new Error('not used by these tests')
  }

  async upload(): Promise<void> {
    throw new Error('not used by these tests')
  }

  async download(): Promise<void> {
    throw new Error('not used by these tests')
  }

  async runJob(): Promise<never> {
    throw new Error('not used by these tests')
  }

  async close(): Promise<void> {}
}

const cluster: ClusterHost[] = [
  {name: 'web01', address: '10.0.0.2', privateAddress: '10.0.0.2', roles: ['web']},
  {name: 'web02', address: '10.0.0.3', privateAddress: '10.0.0.3', roles: ['web']},
  {name: 'db01', address: '10.0.0.4', privateAddress: '10.0.0.4', roles: ['db', 'cache']},
]

interface Probe {
  probes: string[]
  verifyOk: boolean
  version: string
  /** `host/step` whose probe finds it undone again, whatever ran before */
  drifted?: Set<string>
  verified?: string[]
}

function testSteps(state: Probe): AnyStep[] {
  const step = (id: string, roles: AnyStep['roles'], after: string[] = []): AnyStep => ({
    id,
    title: `Title of ${id}`,
    roles,
    after,
    inputs: (ctx) => ({id, host: ctx.host.name, version: state.version}),
    probe: async (remote) => {
      state.probes.push(`${remote.name}/${id}`)
      // what ran on the host, as the test's memory of it says (the runner hands probes a logging wrapper)
      const ran = latestHosts.get(remote.name)?.commands.includes(`do-${id}`) === true
      return {done: ran && !state.drifted?.has(`${remote.name}/${id}`)}
    },
    plan: (facts: {done: boolean}) => ({actions: facts.done ? [] : [{kind: 'run', description: `do ${id}`, command: `do-${id}`}]}),
    verify: async (_env, ctx) => {
      state.verified?.push(`${ctx.host.name}/${id}`)
      return [{name: `${id}-ok`, ok: state.verifyOk}]
    },
  })
  return [step('www-user', ['web']), step('memcached', ['cache']), step('php-session', ['web'], ['www-user', 'cache:memcached'])]
}

function memoryStore(host: MemoryHost): JournalStore {
  return {
    read: async () => structuredClone(host.journal),
    write: async (data) => {
      host.journal = structuredClone(data)
    },
  }
}

function options(hosts: Map<string, MemoryHost>, steps: AnyStep[], extra: Partial<RunOptions> = {}): RunOptions & {events: EngineEvent[]} {
  const events: EngineEvent[] = []
  return {
    events,
    mode: 'run',
    steps,
    hosts: cluster,
    remoteOf: async (name) => hosts.get(name) as MemoryHost,
    contextFor: async (host) => ({host, cluster, secrets: new Map([['database.appPassword', 'hunter2']])}) as unknown as StepContext,
    journalStoreOf: (remote) => memoryStore(remote as MemoryHost),
    lockOf: async () => ({release: async () => {}}),
    onEvent: (e) => events.push(e),
    ...extra,
  }
}

/** the hosts of the test running now, for the test steps' probes */
let latestHosts = new Map<string, MemoryHost>()

function memoryHosts(): Map<string, MemoryHost> {
  latestHosts = new Map(cluster.map((h) => [h.name, new MemoryHost(h.name)]))
  return latestHosts
}

const statuses = (summary: Awaited<ReturnType<typeof runSteps>>) => summary.results.map((r) => `${r.host}/${r.step}: ${r.status}`)

/** The memcached step on db01, alone in its run, with a plan each test sets. */
function memcachedOnDb01() {
  const hosts = memoryHosts()
  const db = hosts.get('db01') as MemoryHost
  const steps = testSteps({probes: [], verifyOk: true, version: '1'})
  return {hosts, db, steps, memcached: steps[1] as AnyStep}
}

describe('runSteps', () => {
  it('applies every step once, then finds them all unchanged: done in the journal, nothing to do for the probe', async () => {
    const hosts = memoryHosts()
    const state: Probe = {probes: [], verifyOk: true, version: '1', verified: []}
    const first = await runSteps(options(hosts, testSteps(state)))
    expect(statuses(first)).toEqual([
      'web01/www-user: changed',
      'web01/php-session: changed',
      'web02/www-user: changed',
      'web02/php-session: changed',
      'db01/memcached: changed',
    ])
    expect(hosts.get('db01')?.commands).toEqual(['do-memcached'])
    expect(Object.keys(hosts.get('web01')?.journal.steps ?? {})).toEqual(['www-user', 'php-session'])
    expect(hosts.get('web01')?.journal.steps['www-user']).toMatchObject({
      result: 'ok',
      fingerprint: expect.stringMatching(/^[a-f0-9]{64}$/),
    })
    expect(state.verified).toHaveLength(5)

    state.probes = []
    state.verified = []
    const second = await runSteps(options(hosts, testSteps(state)))
    expect(second.counts).toMatchObject({changed: 0, unchanged: 5, failed: 0})
    expect(second.results[0]?.reason).toBe('the journal has this input done, and the probe finds nothing to do')
    // each probed once; verified when it changed, not on a run that changes nothing (`lnmp-deploy verify` does that)
    expect(state.probes.sort()).toEqual(['db01/memcached', 'web01/php-session', 'web01/www-user', 'web02/php-session', 'web02/www-user'])
    expect(state.verified).toEqual([])
    expect(hosts.get('db01')?.commands).toEqual(['do-memcached'])
  })

  it('runs a step again when its inputs change or its probe finds it drifted', async () => {
    const hosts = memoryHosts()
    const state: Probe = {probes: [], verifyOk: true, version: '1', drifted: new Set()}
    await runSteps(options(hosts, testSteps(state)))

    // new inputs: the journal differs, so no look before its turn; probed, nothing to do, verified and recorded
    state.version = '2'
    state.probes = []
    const changedInputs = await runSteps(options(hosts, testSteps(state), {filters: {hosts: ['db01']}}))
    expect(state.probes).toEqual(['db01/memcached'])
    expect(changedInputs.results[0]).toMatchObject({status: 'unchanged', reason: 'nothing to do'})

    // the journal matches, but the host drifted: its probe sees it, so the step runs (and fails its verify)
    state.drifted?.add('db01/memcached')
    state.verifyOk = false
    state.probes = []
    const drifted = await runSteps(options(hosts, testSteps(state), {filters: {hosts: ['db01']}}))
    // once in the host's look before it waits for anyone, once in its turn
    expect(state.probes).toEqual(['db01/memcached', 'db01/memcached'])
    expect(drifted.results[0]).toMatchObject({
      status: 'failed',
      error: {host: 'db01', step: 'memcached', message: 'verify failed: memcached-ok', exitCode: 5},
    })
    expect(hosts.get('db01')?.journal.steps.memcached).toMatchObject({result: 'failed', error: 'verify failed: memcached-ok'})
  })

  it('skips only the dependents of a failed step, on every host, and keeps the others going', async () => {
    const hosts = memoryHosts()
    const db = hosts.get('db01') as MemoryHost
    db.failing = /^do-memcached$/
    const state: Probe = {probes: [], verifyOk: true, version: '1'}
    const summary = await runSteps(options(hosts, testSteps(state)))
    expect(statuses(summary)).toEqual([
      'web01/www-user: changed',
      'web01/php-session: skipped',
      'web02/www-user: changed',
      'web02/php-session: skipped',
      'db01/memcached: failed',
    ])
    expect(summary.results[1]?.reason).toBe('waits for memcached on db01 (failed)')
    expect(summary.failures).toEqual([
      {
        host: 'db01',
        step: 'memcached',
        message: 'db01: command failed with exit code 1: do-memcached\nline 1\nit broke',
        outputTail: 'line 1\nit broke',
        exitCode: 5,
        problem: summary.problems[0]?.id,
      },
    ])
    expect(summary.problems).toEqual([
      {
        id: expect.stringMatching(/^[0-9a-f]{12}$/),
        message: summary.failures[0]?.message,
        exitCode: 5,
        steps: [{host: 'db01', step: 'memcached'}],
      },
    ])
    expect(summary.ok).toBe(false)
  })

  it('makes a cross-host dependent wait for the step on the other host', async () => {
    const hosts = memoryHosts()
    const state: Probe = {probes: [], verifyOk: true, version: '1'}
    const steps = testSteps(state)
    const memcached = steps[1] as AnyStep
    const slowProbe = memcached.probe.bind(memcached)
    memcached.probe = async (remote, ctx, inputs) => {
      await new Promise((r) => setTimeout(r, 50))
      return slowProbe(remote, ctx, inputs)
    }
    const run = options(hosts, steps)
    await runSteps(run)
    const order = run.events.flatMap((e) => (e.type === 'step-start' || e.type === 'step-end' ? [`${e.type} ${e.host}/${e.step}`] : []))
    const memcachedEnd = order.indexOf('step-end db01/memcached')
    expect(order.indexOf('step-start web01/php-session')).toBeGreaterThan(memcachedEnd)
    expect(order.indexOf('step-start web02/php-session')).toBeGreaterThan(memcachedEnd)
    expect(order.indexOf('step-end web01/www-user')).toBeLessThan(memcachedEnd)
  })

  it("waits for the builder's step ('builder:x'), and is held back when it fails: identical hosts would fail alike", async () => {
    const hosts = memoryHosts()
    const web01 = hosts.get('web01') as MemoryHost
    web01.failing = /^do-php-source$/
    const state: Probe = {probes: [], verifyOk: true, version: '1'}
    const step = testSteps(state)[0] as AnyStep
    const phpSource: AnyStep = {
      ...step,
      id: 'php-source',
      after: ['builder:php-source'],
      plan: () => ({actions: [{kind: 'run', description: 'do php-source', command: 'do-php-source'}]}),
    }
    const shipped = cluster.map((h) => (h.roles.includes('web') ? {...h, builder: 'web01'} : h))
    const run = options(hosts, [phpSource], {hosts: shipped})
    const summary = await runSteps(run)
    expect(statuses(summary)).toEqual(['web01/php-source: failed', 'web02/php-source: skipped'])
    expect(summary.results[1]?.reason).toBe('waits for php-source on web01 (failed)')
    // web02 never started: it waited, then was told why
    expect(run.events.some((e) => e.type === 'step-start' && e.host === 'web02')).toBe(false)
  })

  it('finds a host with nothing to do up to date without waiting for other hosts, whose steps may still run', async () => {
    const hosts = memoryHosts()
    const state: Probe = {probes: [], verifyOk: true, version: '1'}
    const steps = testSteps(state)
    await runSteps(options(hosts, steps))
    // db01's memcached drifted and takes its time; the web hosts have nothing to do
    state.drifted = new Set(['db01/memcached'])
    const memcached = steps[1] as AnyStep
    let release!: () => void
    const held = new Promise<void>((r) => (release = r))
    const plan = memcached.plan.bind(memcached)
    memcached.plan = (facts, inputs) => ({
      ...plan(facts, inputs),
      actions: [{kind: 'run', description: 'wait', command: 'wait-here'}, ...plan(facts, inputs).actions],
    })
    const db = hosts.get('db01') as MemoryHost
    const exec = db.exec.bind(db)
    db.exec = async (command, options) => {
      if (command === 'wait-here') await held
      return exec(command, options)
    }
    const run = options(hosts, steps)
    const running = runSteps(run)
    await new Promise((r) => setTimeout(r, 20))
    const ended = () => run.events.flatMap((e) => (e.type === 'step-end' ? [`${e.host}/${e.step}: ${e.status}`] : []))
    // php-session waits for memcached on db01 when it has work; up to date, it does not
    expect(ended()).toEqual([
      'web01/www-user: unchanged',
      'web01/php-session: unchanged',
      'web02/www-user: unchanged',
      'web02/php-session: unchanged',
    ])
    release()
    expect(statuses(await running)).toContain('db01/memcached: changed')
  })

  it('runs a host with one step to do in order, with its waits, each step probed again in its turn', async () => {
    const hosts = memoryHosts()
    const state: Probe = {probes: [], verifyOk: true, version: '1', verified: []}
    const steps = testSteps(state)
    await runSteps(options(hosts, steps))
    state.drifted = new Set(['web01/php-session'])
    state.probes = []
    state.verified = []
    const run = options(hosts, steps)
    const summary = await runSteps(run)
    expect(statuses(summary)).toEqual([
      'web01/www-user: unchanged',
      'web01/php-session: changed',
      'web02/www-user: unchanged',
      'web02/php-session: unchanged',
      'db01/memcached: unchanged',
    ])
    // web01: both probed in its look before any wait, then again in their turns; only the changed step verified
    expect(state.probes.filter((p) => p.startsWith('web01/'))).toEqual([
      'web01/www-user',
      'web01/php-session',
      'web01/www-user',
      'web01/php-session',
    ])
    expect(state.verified).toEqual(['web01/php-session'])
    const order = run.events.flatMap((e) => (e.type === 'step-start' || e.type === 'step-end' ? [`${e.type} ${e.host}/${e.step}`] : []))
    expect(order.indexOf('step-start web01/php-session')).toBeGreaterThan(order.indexOf('step-end db01/memcached'))
  })

  it("works a follower's inputs out in its turn: what its builder kept during the run is there (not what preflight saw)", async () => {
    const hosts = memoryHosts()
    // the controller's package cache, filled by the builder's step as it runs
    const kept = new Set<string>()
    const planned: string[] = []
    const phpSource: AnyStep = {
      id: 'php-source',
      title: 'Title of php-source',
      roles: ['web'],
      after: ['builder:php-source'],
      inputs: (ctx) => ({host: ctx.host.name, shipping: kept.has('php') ? 'install' : 'compile'}),
      probe: async () => ({}),
      plan: (_facts, inputs: {host: string; shipping: string}) => {
        planned.push(`${inputs.host} ${inputs.shipping}`)
        if (inputs.host === 'web01') kept.add('php')
        return {actions: [{kind: 'run', description: `${inputs.shipping} php`, command: `${inputs.shipping}-php`}]}
      },
      verify: async () => [{name: 'php-ok', ok: true}],
    }
    const shipped = cluster.map((h) => (h.roles.includes('web') ? {...h, builder: 'web01'} : h))
    const summary = await runSteps(options(hosts, [phpSource], {hosts: shipped}))
    expect(summary.failures).toEqual([])
    expect(planned).toEqual(['web01 compile', 'web02 install'])
    expect(hosts.get('web02')?.commands).toEqual(['install-php'])
  })

  it('fails every step of a locked host with the lock error, and runs the others', async () => {
    const hosts = memoryHosts()
    const state: Probe = {probes: [], verifyOk: true, version: '1'}
    const summary = await runSteps(
      options(hosts, testSteps(state), {
        lockOf: async (remote) => {
          if (remote.name === 'web02') throw new LockedError('web02', 'bob@ctl (pid 7, since t, running: lnmp-deploy run)')
          return {release: async () => {}}
        },
      }),
    )
    expect(statuses(summary)).toEqual([
      'web01/www-user: changed',
      'web01/php-session: changed',
      'web02/www-user: failed',
      'web02/php-session: failed',
      'db01/memcached: changed',
    ])
    expect(summary.failures[0]).toMatchObject({
      host: 'web02',
      message: 'web02: locked by bob@ctl (pid 7, since t, running: lnmp-deploy run)',
      exitCode: 7,
    })
  })

  it('pays a restart an earlier run owed once the step re-planned, and clears it', async () => {
    const hosts = memoryHosts()
    const db = hosts.get('db01') as MemoryHost
    const state: Probe = {probes: [], verifyOk: true, version: '1'}
    const steps = testSteps(state)
    const memcached = steps[1] as AnyStep
    memcached.plan = () => ({actions: [{kind: 'service', service: 'memcached', op: 'restart', ready: {command: 'memcached-ready'}}]})

    db.failing = /memcached-ready/
    const first = await runSteps(options(hosts, steps, {filters: {hosts: ['db01']}, readyTimeoutMs: 0}))
    expect(first.results[0]?.status).toBe('failed')
    expect(first.results[0]?.error?.message).toBe(
      'db01: step memcached failed: memcached did not become ready within 0 s (`memcached-ready`)',
    )
    expect(db.journal.owed).toMatchObject([{stepId: 'memcached', service: 'memcached', op: 'restart'}])

    db.failing = undefined
    db.commands.length = 0
    memcached.plan = () => ({actions: [], reason: 'memcached is configured'})
    const second = await runSteps(options(hosts, steps, {filters: {hosts: ['db01']}}))
    expect(second.results[0]).toMatchObject({
      status: 'changed',
      actions: [{description: 'owed by an earlier run: restart memcached, then wait for `memcached-ready`'}],
    })
    expect(db.commands).toEqual(['systemctl restart memcached', 'memcached-ready'])
    expect(state.probes.at(-1)).toBe('db01/memcached')
    expect(db.journal.owed).toEqual([])
  })

  it('owes a planned restart from the start: an earlier action failing still leaves it owed', async () => {
    const {hosts, db, steps, memcached} = memcachedOnDb01()
    memcached.plan = () => ({
      actions: [
        {kind: 'run', description: 'write the new config', command: 'write-config'},
        {kind: 'run', description: 'then break', command: 'break-here'},
        {kind: 'service', service: 'memcached', op: 'restart', ready: {command: 'memcached-ready'}},
      ],
    })
    db.failing = /break-here/
    const first = await runSteps(options(hosts, steps, {filters: {hosts: ['db01']}}))
    expect(first.results[0]?.status).toBe('failed')
    expect(db.commands).not.toContain('systemctl restart memcached')
    expect(db.journal.owed).toMatchObject([{stepId: 'memcached', service: 'memcached', op: 'restart', ready: {command: 'memcached-ready'}}])

    // the next run finds the config already written (nothing to do) yet still restarts onto it
    db.failing = undefined
    memcached.plan = () => ({actions: [], reason: 'memcached is configured'})
    const second = await runSteps(options(hosts, steps, {filters: {hosts: ['db01']}}))
    expect(second.results[0]?.status).toBe('changed')
    expect(db.commands.slice(-2)).toEqual(['systemctl restart memcached', 'memcached-ready'])
    expect(db.journal.owed).toEqual([])
  })

  it('owes nothing when the first change is refused whole (a file or link that failed its check changed nothing)', async () => {
    const {hosts, db, steps, memcached} = memcachedOnDb01()
    memcached.plan = () => ({
      actions: [
        {kind: 'switch-link', link: '/opt/memcached', target: '/opt/memcached-2'},
        {kind: 'service', service: 'memcached', op: 'restart', ready: {command: 'memcached-ready'}},
      ],
    })
    db.failing = /^ln -sfn/
    const first = await runSteps(options(hosts, steps, {filters: {hosts: ['db01']}}))
    expect(first.results[0]?.status).toBe('failed')
    expect(db.commands).not.toContain('systemctl restart memcached')
    expect(db.journal.owed).toEqual([])
  })

  it('plans without locking or writing: will run, up to date, unknown, with file diffs', async () => {
    const hosts = memoryHosts()
    const web01 = hosts.get('web01') as MemoryHost
    web01.files.set('/etc/app.conf', 'a=1\n')
    const state: Probe = {probes: [], verifyOk: true, version: '1'}
    const steps = testSteps(state)
    await runSteps(options(hosts, steps, {filters: {steps: ['www-user']}}))

    ;(steps[1] as AnyStep).plan = () => ({actions: [], reason: 'already running'})
    ;(steps[2] as AnyStep).plan = () => ({
      actions: [
        {kind: 'write-file', path: '/etc/app.conf', content: 'a=2\n', mode: 0o644},
        {kind: 'write-file', path: '/etc/secret.conf', content: 'pw=hunter2\n', mode: 0o600, sensitive: true},
      ],
    })
    ;(steps[2] as AnyStep).probe = async (remote) => {
      if (remote.name === 'web02') throw new Error('php is not installed yet')
      return {}
    }
    const plan = await runSteps(
      options(hosts, steps, {
        mode: 'plan',
        journalStoreOf: (remote) => ({...memoryStore(remote as MemoryHost), write: async () => expect.fail('plan wrote the journal')}),
        lockOf: async () => expect.fail('plan took a lock'),
      }),
    )
    expect(statuses(plan)).toEqual([
      'web01/www-user: up to date',
      'web01/php-session: will run',
      'web02/www-user: up to date',
      'web02/php-session: unknown',
      'db01/memcached: up to date',
    ])
    expect(plan.results[4]?.reason).toBe('already running')
    expect(plan.results[3]?.reason).toBe('php is not installed yet')
    expect(plan.results[1]?.actions).toEqual([
      {description: 'write /etc/app.conf (mode 0644)', diff: '--- /etc/app.conf\n+++ /etc/app.conf\n@@ -1 +1 @@\n-a=1\n+a=2'},
      {description: 'write /etc/secret.conf (mode 0600, content hidden)', diff: '--- /dev/null\n+++ /etc/secret.conf\n(content hidden)'},
    ])
    expect(JSON.stringify(plan)).not.toContain('hunter2')
  })

  it('computes the inputs once per unit and hands that one object to probe, plan and verify', async () => {
    const {hosts, steps, memcached} = memcachedOnDb01()
    // a fresh (equal) object per call, so which call's object reached each function can be told apart
    const made: object[] = []
    const seen: {fn: string; inputs: unknown}[] = []
    memcached.inputs = (ctx) => {
      const inputs = {id: 'memcached', host: ctx.host.name}
      made.push(inputs)
      return inputs
    }
    memcached.probe = async (_remote, _ctx, inputs) => {
      seen.push({fn: 'probe', inputs})
      return {}
    }
    memcached.plan = (_facts, inputs) => {
      seen.push({fn: 'plan', inputs})
      return {actions: [{kind: 'run', description: 'do memcached', command: 'do-memcached'}]}
    }
    memcached.verify = async (_env, _ctx, inputs) => {
      seen.push({fn: 'verify', inputs})
      return [{name: 'memcached-ok', ok: true}]
    }
    const unitRun = async (mode: RunOptions['mode']) => {
      made.length = 0
      seen.length = 0
      const summary = await runSteps(options(hosts, steps, {mode, filters: {hosts: ['db01']}}))
      expect(summary.failures).toEqual([])
      // preflight (refusing a config that cannot work), the host's look before any wait and the step's own turn
      // each work them out: they may differ between (a builder keeps its package during the run); probe, plan and
      // verify of the turn all get its one object
      expect(made).toHaveLength(mode === 'run' ? 3 : 1)
      for (const s of seen.slice(-3)) expect(s.inputs, s.fn).toBe(made.at(-1))
      return seen.map((s) => s.fn)
    }

    expect(await unitRun('run')).toEqual(['probe', 'plan', 'verify'])
    // recorded, and its plan still has work: the host's look before any wait (probe, plan), then its turn
    expect(await unitRun('run')).toEqual(['probe', 'plan', 'probe', 'plan', 'verify'])
    expect(await unitRun('plan')).toEqual(['probe', 'plan'])
  })

  it('emits run-start with the outline, then step events, then run-end with the summary', async () => {
    const hosts = memoryHosts()
    const state: Probe = {probes: [], verifyOk: true, version: '1'}
    const run = options(hosts, testSteps(state), {filters: {hosts: ['db01']}})
    const summary = await runSteps(run)
    expect(run.events.map((e) => e.type)).toEqual(['run-start', 'step-start', 'step-end', 'run-end'])
    expect(run.events[0]).toMatchObject({
      type: 'run-start',
      mode: 'run',
      hosts: [{host: 'db01', steps: [{id: 'memcached', title: 'Title of memcached'}]}],
    })
    expect(run.events.at(-1)).toEqual({type: 'run-end', summary})
  })
})

describe('runSteps refuses a config that cannot work before anything starts', () => {
  it('collects the input problems of every host and step, touches no host, and exits with the config code', async () => {
    const hosts = memoryHosts()
    const state: Probe = {probes: [], verifyOk: true, version: '1'}
    const steps = testSteps(state)
    const phpSession = steps[2] as AnyStep
    phpSession.inputs = () => {
      throw new ConfigError('php.flags: --with-mcrypt was removed in PHP 7.2', {hint: 'drop it: use sodium'})
    }
    const run = options(hosts, steps)
    const error = await runSteps(run).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(DeployError)
    expect((error as DeployError).exitCode).toBe(ExitCode.config)
    expect((error as DeployError).message).toBe(
      'nothing was changed on any host: the config cannot be deployed as it is\n' +
        '  web01 php-session, web02 php-session: php.flags: --with-mcrypt was removed in PHP 7.2\n    hint: drop it: use sodium',
    )
    // www-user comes before php-session on the web hosts, memcached on db01: none of them ran
    for (const h of hosts.values()) expect(h.commands).toEqual([])
    expect(state.probes).toEqual([])
    expect(run.events).toEqual([])
  })

  it('leaves plan alone: there the step shows its own failure', async () => {
    const hosts = memoryHosts()
    const state: Probe = {probes: [], verifyOk: true, version: '1'}
    const steps = testSteps(state)
    ;(steps[1] as AnyStep).inputs = () => {
      throw new ConfigError('memcached.port: 0 is not a port')
    }
    const summary = await runSteps(options(hosts, steps, {mode: 'plan'}))
    expect(summary.results.find((r) => r.step === 'memcached')).toMatchObject({status: 'failed', error: {exitCode: ExitCode.config}})
  })
})
