import {generateKeyPairSync} from 'node:crypto'
import {mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {Writable} from 'node:stream'

import {afterAll, describe, expect, it} from 'vitest'

import {formatPlan, formatRunSummary} from '../../src/cli/format-reports.js'
import {clusterHosts} from '../../src/config/hosts.js'
import {PRESETS} from '../../src/config/presets.js'
import {configSchema} from '../../src/config/schema.js'
import type {EngineEvent, RunSummary} from '../../src/engine/events.js'
import {emptyJournal} from '../../src/engine/journal.js'
import {listrSink} from '../../src/engine/renderers.js'
import {runSteps} from '../../src/engine/runner.js'
import type {AnyStep, StepContext} from '../../src/engine/step.js'
import {ExitCode} from '../../src/errors.js'
import {SEED_PHP_FLAGS} from '../../src/php/flags.js'
import {exitCodeOf} from '../../src/services/deploy.js'
import {HostKeyPolicy} from '../../src/ssh/host-key-policy.js'
import type {Remote} from '../../src/ssh/remote.js'
import {STEPS} from '../../src/steps/index.js'
import {FACTS} from './steps-support-fixtures.js'

/**
 * One problem, said once (issue 11): a cause that several steps meet is one block naming the hosts and steps
 * it stops, not one block per step. The two cases of the issue, as the runner produces them: the seed's
 * PHP 5.5 flags in `plan`, and web02's changed host key in `run`.
 */

const config = configSchema.parse({version: 1, hosts: PRESETS.tutorial.hosts, php: {flags: [...SEED_PHP_FLAGS]}})
const cluster = clusterHosts(config)
const secrets = new Map([
  ['database.rootPassword', 'root-pw-for-tests'],
  ['database.appPassword', 'app-pw-for-tests'],
  ['app.blowfishSecret', 'b'.repeat(32)],
])

/** A host that answers every command with a failure: probes cannot tell, writes never happen. */
function silentHost(name: string): Remote {
  return {
    name,
    exec: async () => ({code: 1, stdout: '', stderr: 'not in this test'}),
    run: async () => {
      throw new Error('not in this test')
    },
  } as unknown as Remote
}

const contextFor = async (host: StepContext['host']): Promise<StepContext> => ({
  config,
  host,
  cluster,
  facts: FACTS.debian12,
  secrets,
  artifacts: new Map(),
})

const occurrences = (text: string, part: string): number => text.split(part).length - 1

function captured(): {stream: NodeJS.WriteStream; text: () => string} {
  let text = ''
  const stream = new Writable({
    write(chunk, _encoding, callback) {
      text += String(chunk)
      callback()
    },
  }) as unknown as NodeJS.WriteStream
  // biome-ignore lint/suspicious/noControlCharactersInRegex: strips ANSI colour escapes
  return {stream, text: () => text.replaceAll(/\u001B\[[0-9;]*m/g, '')}
}

describe("plan with the seed's PHP 5.5 flags", () => {
  const plan = () =>
    runSteps({
      mode: 'plan',
      steps: STEPS,
      hosts: cluster,
      remoteOf: async (name) => silentHost(name),
      contextFor,
      journalStoreOf: () => ({read: async () => emptyJournal(), write: async () => {}}),
    })

  it('says the flags once, naming every step on both web hosts they stop', async () => {
    const summary = await plan()
    const text = formatPlan(summary)
      .join('\n')
      // biome-ignore lint/suspicious/noControlCharactersInRegex: strips ANSI colour escapes
      .replaceAll(/\u001B\[[0-9;]*m/g, '')
    expect(occurrences(text, '--with-mcrypt: removed in PHP 7.2')).toBe(1)
    expect(occurrences(text, 'hint: or list php.features')).toBe(1)
    const stopped = ['build-deps', 'php-source', 'php-fpm', 'pecl-memcache', 'php-session', 'php-switch'].join(', ')
    expect(text).toContain(`stops web01: ${stopped}\nstops web02: ${stopped}\n`)
    // each step's own line still says it failed, and why in short
    expect(text).toContain('web02  php-fpm: failed: php.flags: 11 flag(s) PHP 8.4.24 does not accept\n')
    expect(text.split('\n').length).toBeLessThan(60)
  })

  it('carries the grouping in JSON: one problem, every failure pointing at it, the exit code as before', async () => {
    const summary: RunSummary = JSON.parse(JSON.stringify(await plan()))
    expect(summary.counts.failed).toBe(12)
    expect(summary.problems).toHaveLength(1)
    const [problem] = summary.problems
    expect(problem?.message).toMatch(/^php\.flags: 11 flag\(s\) PHP 8\.4\.24 does not accept:\n/)
    expect(problem?.exitCode).toBe(ExitCode.config)
    const failed = summary.results.filter((r) => r.status === 'failed')
    expect(problem?.steps.map((s) => `${s.host} ${s.step}`)).toEqual(failed.map((r) => `${r.host} ${r.step}`))
    expect(failed.map((r) => r.error?.problem)).toEqual(failed.map(() => problem?.id))
    expect(summary.failures.every((f) => f.problem === problem?.id)).toBe(true)
    expect(exitCodeOf(summary)).toBe(ExitCode.config)
  })
})

describe("run with web02's host key changed", () => {
  const dirs: string[] = []
  afterAll(async () => {
    for (const dir of dirs) await rm(dir, {recursive: true, force: true})
  })

  /** web02's host key as HostKeyPolicy judges it each time it is met: another key than known_hosts holds. */
  async function changedHostKey(): Promise<() => Promise<void>> {
    const dir = await mkdtemp(join(tmpdir(), 'lnmp-problems-'))
    dirs.push(dir)
    const knownHosts = join(dir, 'known_hosts')
    const field = (b: Buffer) => {
      const length = Buffer.alloc(4)
      length.writeUInt32BE(b.length)
      return Buffer.concat([length, b])
    }
    const blob = () => {
      const raw = generateKeyPairSync('ed25519').publicKey.export({format: 'der', type: 'spki'}).subarray(-32)
      return Buffer.concat([field(Buffer.from('ssh-ed25519')), field(raw)])
    }
    await writeFile(knownHosts, `10.0.0.8 ssh-ed25519 ${blob().toString('base64')}\n`)
    const policy = new HostKeyPolicy({name: 'web02', address: '10.0.0.8', port: 22, projectKnownHosts: knownHosts})
    const presented = blob()
    return () => policy.check(presented)
  }

  /**
   * The seed's steps as the engine schedules them (ids, roles, order), each changing nothing; the db steps
   * check from every web host, as mariadb, memcached and db-firewall do, so they meet web02's key too.
   */
  const shaped = (): AnyStep[] =>
    STEPS.map(
      (s): AnyStep => ({
        id: s.id,
        title: s.title,
        roles: s.roles,
        after: s.after,
        inputs: () => ({}),
        probe: async () => ({}),
        plan: () => ({actions: [], reason: 'as wanted'}),
        verify: async ({remoteOf}, ctx) => {
          if (['mariadb', 'memcached', 'db-firewall'].includes(s.id)) {
            for (const web of ctx.cluster.filter((h) => h.roles.includes('web'))) await remoteOf(web.name)
          }
          return []
        },
      }),
    )

  async function run(onEvent?: (e: EngineEvent) => void) {
    const meetWeb02 = await changedHostKey()
    return runSteps({
      mode: 'run',
      steps: shaped(),
      hosts: cluster,
      remoteOf: async (name) => {
        // like Connections: every attempt meets the key again, and is refused again
        if (name === 'web02') await meetWeb02()
        return silentHost(name)
      },
      contextFor: async (host) => ({host, cluster, secrets: new Map()}) as unknown as StepContext,
      journalStoreOf: () => ({read: async () => emptyJournal(), write: async () => {}}),
      lockOf: async () => ({release: async () => {}}),
      ...(onEvent ? {onEvent} : {}),
    })
  }

  it('says the changed key once in the summary, with the steps it stops on web02 and db01', async () => {
    const events: EngineEvent[] = []
    const summary = await run((e) => events.push(e))
    const text = formatRunSummary(summary)
      .join('\n')
      // biome-ignore lint/suspicious/noControlCharactersInRegex: strips ANSI colour escapes
      .replaceAll(/\u001B\[[0-9;]*m/g, '')
    expect(occurrences(text, 'HOST KEY CHANGED for 10.0.0.8:22')).toBe(1)
    expect(occurrences(text, 'hint: someone may be intercepting')).toBe(1)
    expect(text).toContain(
      'stops web02: www-user, build-deps, nginx-source, php-source, php-fpm, pecl-memcache, php-session, php-switch, app\nstops db01: db-firewall\n',
    )
    expect(summary.problems).toHaveLength(1)
    // --json: each failed step's event points at the problem the run-end summary says once
    const failedEnds = events.flatMap((e) => (e.type === 'step-end' && e.status === 'failed' ? [e] : []))
    expect(failedEnds).toHaveLength(10)
    expect(new Set(failedEnds.map((e) => e.error?.problem))).toEqual(new Set([summary.problems[0]?.id]))
    expect(summary.counts).toMatchObject({failed: 10, skipped: 7})
    expect(exitCodeOf(summary)).toBe(ExitCode.connection)
  })

  it('shows it in full on the first step that meets it, and in short on the others', async () => {
    const out = captured()
    const render = listrSink({renderer: 'simple', stdout: out.stream, stderr: out.stream})
    await run(render.sink)
    await render.done()
    // web02's 9 steps and db01's db-firewall (its check connects from web02); db01's services wait for that one
    expect(occurrences(out.text(), 'HOST KEY CHANGED for 10.0.0.8:22')).toBe(10)
    expect(occurrences(out.text(), 'expected ssh-ed25519')).toBe(1)
    // which step meets it first is up to the hosts' timing (web02's www-user, or db01's db-firewall under load)
    expect(out.text().match(/same as (web02|db01) [a-z-]+: web02: HOST KEY CHANGED/g)?.length).toBe(9)
  })
})
