import {existsSync} from 'node:fs'
import {mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {ExitCode} from '../../src/errors.js'
import {readJournal} from '../../src/engine/journal.js'
import {acquireLock} from '../../src/engine/lock.js'
import {runLogDir} from '../../src/engine/logs.js'
import {type RunOptions, runSteps} from '../../src/engine/runner.js'
import type {EngineEvent, RunSummary} from '../../src/engine/events.js'
import type {AnyStep, ClusterHost, StepContext} from '../../src/engine/step.js'
import {SshRemote} from '../../src/ssh/connection.js'
import {SUDO_USER, startSshd, type Sshd} from '../helpers/sshd.js'

/**
 * The whole runner over a real sshd on 127.0.0.1: a failed run owes its restart, the next run pays it,
 * the run after that changes nothing; plan shows diffs without writing; a held lock refuses the run.
 */
let sshd: Sshd
let dir: string
let r: SshRemote
let folder: string
let stateDir: string

const SECRET = 'pa55-w0rd-xyz'
const host: ClusterHost = {name: 'web01', address: '127.0.0.1', privateAddress: '127.0.0.1', roles: ['web']}

function steps(content: string): AnyStep[] {
  const conf = (): string => join(folder, 'app.conf')
  return [
    {
      id: 'demo-file',
      title: 'Write the demo config and restart its service',
      roles: ['web'],
      inputs: () => ({content}),
      probe: async (remote) => ({current: (await remote.exec(`cat ${conf()}`, {sudo: true})).stdout}),
      plan: (facts: {current: string}, inputs: {content: string}) => ({
        actions:
          facts.current === inputs.content
            ? []
            : [
                {kind: 'write-file', path: conf(), content: inputs.content, mode: 0o644, validate: 'test -s {}'},
                {kind: 'service', service: 'demo', op: 'restart', ready: {command: `test -e ${join(folder, 'ready')}`}},
              ],
      }),
      verify: async ({remote}) => {
        const found = await remote.exec(`cat ${conf()}`, {sudo: true})
        return [{name: 'demo-conf', ok: found.stdout === content, detail: found.stdout.trim()}]
      },
    },
    {
      id: 'demo-after',
      title: 'Use the config',
      roles: ['web'],
      after: ['demo-file'],
      inputs: () => ({}),
      probe: async (remote) => ({used: (await remote.exec(`test -s ${join(folder, 'after')}`, {sudo: true})).code === 0}),
      plan: (facts: {used: boolean}) => ({
        actions: facts.used ? [] : [{kind: 'run', description: 'record a use', command: `echo used ${SECRET} >> ${join(folder, 'after')}`}],
      }),
      verify: async () => [{name: 'demo-after', ok: true}],
    },
  ]
}

function options(extra: Partial<RunOptions> & {content?: string} = {}): RunOptions & {events: EngineEvent[]} {
  const events: EngineEvent[] = []
  return {
    events,
    mode: 'run',
    steps: steps(extra.content ?? 'listen 80;\n'),
    hosts: [host],
    remoteOf: async () => r,
    contextFor: async (h) => ({host: h, cluster: [h], secrets: new Map([['database.appPassword', SECRET]])}) as unknown as StepContext,
    stateDir,
    readyTimeoutMs: 1000,
    serviceCommand: (service, op) => `echo ${op} ${service} >> ${join(folder, 'restarts')}`,
    lock: {command: 'lnmp-deploy run (test)'},
    onEvent: (e) => events.push(e),
    ...extra,
  }
}

const statuses = (s: RunSummary): string[] => s.results.map((x) => `${x.step}: ${x.status}`)

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lnmp-engine-runner-'))
  folder = await mkdtemp(join(dir, 'host-'))
  stateDir = join(dir, 'state')
  sshd = await startSshd()
  const knownHosts = join(dir, 'known_hosts')
  await writeFile(knownHosts, `${sshd.knownHostsLine}\n`)
  r = new SshRemote(
    {name: 'web01', address: sshd.host, port: sshd.port, user: SUDO_USER, identityFiles: [sshd.clientKeyPath], identityExplicit: true},
    {projectKnownHosts: knownHosts, connectTimeoutMs: 5000, keepaliveMs: 5000},
  )
})

afterAll(async () => {
  await r?.close()
  await sshd?.stop()
  await rm(dir, {recursive: true, force: true})
})

describe('runSteps over SSH', () => {
  it('owes a restart after a failed run, pays it in the next, then changes nothing', async () => {
    const logDir = runLogDir(dir, new Date('2025-01-31T12:00:00.000Z'))
    const first = await runSteps(options({logDir}))
    expect(statuses(first)).toEqual(['demo-file: failed', 'demo-after: skipped'])
    const failure = first.failures[0]
    expect(failure).toMatchObject({
      host: 'web01',
      step: 'demo-file',
      exitCode: ExitCode.stepFailed,
      logPath: join(logDir, 'web01', 'demo-file.log'),
    })
    expect(failure?.message).toContain('demo did not become ready within 1 s')
    expect(first.results[1]?.reason).toBe('waits for demo-file on web01 (failed)')
    const journal = await readJournal(r, stateDir)
    expect(journal.steps['demo-file']).toMatchObject({result: 'failed'})
    expect(journal.owed).toMatchObject([{stepId: 'demo-file', service: 'demo', op: 'restart'}])
    const log = await readFile(failure?.logPath as string, 'utf8')
    expect(log).toContain('# write ')
    expect(log).toContain(`$ echo restart demo >> ${join(folder, 'restarts')}`)
    expect(existsSync(join(stateDir, 'lock'))).toBe(false)

    // the file was new: putting the previous state back removed it, and the restart on that failed too
    expect(failure?.message).toContain('putting the previous state back failed too')
    expect(existsSync(join(folder, 'app.conf'))).toBe(false)

    await writeFile(join(folder, 'ready'), '')
    const second = await runSteps(options({logDir: runLogDir(dir, new Date('2025-01-31T12:01:00.000Z'))}))
    expect(second.failures).toEqual([])
    expect(statuses(second)).toEqual(['demo-file: changed', 'demo-after: changed'])
    // re-planned first: the file is written again, and the plan's own restart pays what the first run owed
    expect(second.results[0]?.actions.map((a) => a.description)).toEqual([
      `write ${join(folder, 'app.conf')} (mode 0644, validated by test -s {})`,
      `restart demo, then wait for \`test -e ${join(folder, 'ready')}\``,
    ])
    expect(await readFile(join(folder, 'restarts'), 'utf8')).toBe('restart demo\nrestart demo\nrestart demo\n')
    expect((await readJournal(r, stateDir)).owed).toEqual([])
    const afterLog = await readFile(join(dir, '.lnmp-deploy/runs/2025-01-31T12-01-00-000Z/web01/demo-after.log'), 'utf8')
    expect(afterLog).toContain(`$ echo used *** >> ${join(folder, 'after')}`)
    expect(afterLog).not.toContain(SECRET)
    expect(JSON.stringify(second.results)).not.toContain(SECRET)

    const third = await runSteps(options())
    expect(statuses(third)).toEqual(['demo-file: unchanged', 'demo-after: unchanged'])
    expect(third.counts.changed).toBe(0)
    expect(await readFile(join(folder, 'after'), 'utf8')).toBe(`used ${SECRET}\n`)
  })

  it('plans a changed file with its diff, writing nothing', async () => {
    const before = await readFile(join(stateDir, 'state.json'), 'utf8')
    const plan = await runSteps(options({mode: 'plan', content: 'listen 8080;\n'}))
    expect(statuses(plan)).toEqual(['demo-file: will run', 'demo-after: up to date'])
    expect(plan.results[0]?.actions[0]).toEqual({
      description: `write ${join(folder, 'app.conf')} (mode 0644, validated by test -s {})`,
      diff: [`--- ${join(folder, 'app.conf')}`, `+++ ${join(folder, 'app.conf')}`, '@@ -1 +1 @@', '-listen 80;', '+listen 8080;'].join(
        '\n',
      ),
    })
    expect(await readFile(join(folder, 'app.conf'), 'utf8')).toBe('listen 80;\n')
    expect(await readFile(join(stateDir, 'state.json'), 'utf8')).toBe(before)
  })

  it('refuses a host another run holds, naming the holder', async () => {
    const held = await acquireLock(r, {command: 'lnmp-deploy run --step demo-file', stateDir})
    try {
      const run = await runSteps(options())
      expect(statuses(run)).toEqual(['demo-file: failed', 'demo-after: failed'])
      expect(run.failures[0]?.exitCode).toBe(ExitCode.locked)
      expect(run.failures[0]?.message).toMatch(
        /^web01: locked by \S+@\S+ \(pid \d+, since \S+, lease until \S+, running: lnmp-deploy run --step demo-file\)$/,
      )
    } finally {
      await held.release()
    }
  })
  it('a restart that fails on the new file puts the old one back and restarts on it; the fixed config then goes through', async () => {
    // ready only while the file on disk says "good": the service "fails to start" on a bad config
    const ready = {command: `grep -q good ${join(folder, 'app.conf')}`}
    const withReady = (content: string): AnyStep[] => {
      const [first, ...rest] = steps(content)
      const plan = (first as AnyStep).plan
      return [
        {
          ...(first as AnyStep),
          plan: (f: unknown, i: unknown) => ({
            actions: plan(f, i).actions.map((a) => (a.kind === 'service' ? {...a, ready} : a)),
          }),
        },
        ...rest,
      ]
    }
    const good = await runSteps(options({steps: withReady('good 1\n')}))
    expect(good.failures).toEqual([])

    const bad = await runSteps(options({steps: withReady('bad\n')}))
    expect(statuses(bad)).toEqual(['demo-file: failed', 'demo-after: skipped'])
    const backups = join(stateDir, 'backups')
    expect(bad.failures[0]?.message).toMatch(
      new RegExp(
        `^web01: step demo-file failed: demo did not become ready within 1 s .*; the previous state is back \\(${join(folder, 'app.conf')} put back from ${backups}/.*app\\.conf\\.\\d{8}T\\d{6}Z\\) and demo runs on it again$`,
      ),
    )
    expect(bad.failures[0]?.hint).toBe(
      'the new configuration does not start demo: fix the config and run again (lnmp-deploy run --step demo-file --host web01)',
    )
    expect(await readFile(join(folder, 'app.conf'), 'utf8')).toBe('good 1\n')
    // the restart on the old file answered: nothing is owed, the next run has nothing stuck to pay
    expect((await readJournal(r, stateDir)).owed).toEqual([])

    const fixed = await runSteps(options({steps: withReady('good 2\n')}))
    expect(fixed.failures).toEqual([])
    expect(statuses(fixed)[0]).toBe('demo-file: changed')
    expect(await readFile(join(folder, 'app.conf'), 'utf8')).toBe('good 2\n')
  })

  it('re-plans before paying what an earlier run owes: a restart owed on a bad file is paid after the fix', async () => {
    const ready = {command: `grep -q good ${join(folder, 'app.conf')}`}
    // a run that died after writing a bad file, before its restart: the restart is owed, the file is bad
    await writeFile(join(folder, 'app.conf'), 'bad\n')
    const journal = await readJournal(r, stateDir)
    journal.owed.push({stepId: 'demo-file', service: 'demo', op: 'restart', ready, since: '2025-01-31T12:00:00.000Z'})
    await r.writeFile(join(stateDir, 'state.json'), JSON.stringify(journal), {sudo: true, mode: 0o600})
    const before = (await readFile(join(folder, 'restarts'), 'utf8')).split('\n').length

    const [first, ...rest] = steps('good 3\n')
    const plan = (first as AnyStep).plan
    const healed = await runSteps(
      options({
        steps: [
          {
            ...(first as AnyStep),
            plan: (f: unknown, i: unknown) => ({
              actions: plan(f, i).actions.map((a) => (a.kind === 'service' ? {...a, ready} : a)),
            }),
          },
          ...rest,
        ],
      }),
    )
    expect(healed.failures).toEqual([])
    expect(await readFile(join(folder, 'app.conf'), 'utf8')).toBe('good 3\n')
    // one restart, after the corrected file: not the owed one first on the bad file
    expect((await readFile(join(folder, 'restarts'), 'utf8')).split('\n').length).toBe(before + 1)
    expect((await readJournal(r, stateDir)).owed).toEqual([])
  })
})
