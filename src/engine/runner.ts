import {ExitCode} from '../errors.js'
import type {Remote} from '../ssh/remote.js'
import type {ServiceCommand} from './actions.js'
import {emptyCounts} from './events.js'
import type {EventSink, HostOutline, RunSummary, StepResult} from './events.js'
import {type RunFilters, type UnitRef, schedule} from './graph.js'
import {HostJournal, type JournalStore, remoteJournalStore} from './journal.js'
import {type HostLock, type LockOptions, acquireLock} from './lock.js'
import {RunLogs, type StepLog, loggingRemote} from './logs.js'
import {findInputProblems, inputProblemsError} from './preflight.js'
import {groupProblems, problemKey} from './problems.js'
import type {Rotation} from './rotation.js'
import {Slots} from '../slots.js'
import {UP_TO_DATE, allUpToDate, applyStep, planStep, type StepRun, toFailure} from './step-exec.js'
import type {AnyStep, ClusterHost, StepContext} from './step.js'

export interface RunOptions {
  /** 'plan' probes and plans only: no lock, no writes */
  mode: 'run' | 'plan'
  steps: readonly AnyStep[]
  hosts: readonly ClusterHost[]
  /** one connection per host, shared by every step (and by verify across hosts) */
  remoteOf(hostName: string): Promise<Remote>
  contextFor(host: ClusterHost): Promise<StepContext>
  filters?: RunFilters
  lock?: Omit<LockOptions, 'command'> & {command?: string}
  /** `<configDir>/.lnmp-deploy/runs/<timestamp>`; no logs are written without it */
  logDir?: string
  onEvent?: EventSink
  /** how long a restarted service may take to answer */
  readyTimeoutMs?: number
  /** how many hosts may compile at once; 0 or absent: no limit */
  parallelBuilds?: number
  /** the balancer's rotation, for restarts of services that answer users (a run only) */
  rotation?: Rotation
  /** how services are restarted (src/platform's adapter); systemd by default */
  serviceCommand?: ServiceCommand
  /** the state folder on each host (journal, lock); /var/lib/lnmp-deploy unless a test isolates itself */
  stateDir?: string
  now?: () => Date
  /** where each host's journal lives and how its lock is taken; the remote ones unless a test says otherwise */
  journalStoreOf?: (remote: Remote) => JournalStore
  lockOf?: (remote: Remote, options: LockOptions) => Promise<HostLock>
}

type Settled = StepResult['status']

/** names the result of a host that stays out of the balancer's rotation at the end of a run */
export const ROTATION_STEP = 'rotation'

/** A (host, step) outcome other hosts can wait for. */
class Outcomes {
  private readonly waiting = new Map<string, {promise: Promise<Settled>; resolve: (s: Settled) => void}>()

  private entry(ref: UnitRef) {
    const key = `${ref.host}\u0000${ref.stepId}`
    let entry = this.waiting.get(key)
    if (!entry) {
      let resolve!: (s: Settled) => void
      const promise = new Promise<Settled>((r) => (resolve = r))
      entry = {promise, resolve}
      this.waiting.set(key, entry)
    }
    return entry
  }

  settle(ref: UnitRef, status: Settled): void {
    this.entry(ref).resolve(status)
  }

  wait(ref: UnitRef): Promise<Settled> {
    return this.entry(ref).promise
  }
}

/**
 * Runs (or plans) the steps: hosts in parallel, steps in dependency order within each host, a step that
 * depends on steps of other hosts waiting for them. One host's failure never stops the others; only the
 * dependents of a failed step are skipped. A run whose config cannot work (a step's inputs refuse it)
 * throws before anything starts: see preflight.ts.
 */
export async function runSteps(options: RunOptions): Promise<RunSummary> {
  const now = options.now ?? (() => new Date())
  const started = now()
  const sink = options.onEvent ?? (() => {})
  const emit: EventSink = (event) => {
    try {
      sink(event)
    } catch {
      // a rendering problem must not leave a host half deployed; the summary still tells everything
    }
  }
  const byId = new Map(options.steps.map((s) => [s.id, s]))
  const schedules = schedule(options.steps, options.hosts, options.filters)
  const shared: Shared = {
    options,
    now,
    buildSlots: new Slots(options.parallelBuilds ?? 0),
    contextOf: onePerHost(options.contextFor),
  }
  if (options.mode === 'run') {
    const problems = await findInputProblems(schedules, byId, options.hosts, shared.contextOf)
    if (problems.length > 0) throw inputProblemsError(problems)
  }
  const outline: HostOutline[] = schedules.map((h) => ({
    host: h.host,
    steps: h.units.map((u) => ({id: u.stepId, title: byId.get(u.stepId)?.title ?? u.stepId})),
  }))
  emit({
    type: 'run-start',
    mode: options.mode,
    at: started.toISOString(),
    ...(options.logDir ? {logDir: options.logDir} : {}),
    hosts: outline,
  })

  const stepsOf = (units: readonly UnitRef[]) => units.map((u) => byId.get(u.stepId) as AnyStep)
  const outcomes = new Outcomes()
  const results: StepResult[] = []
  const finish = (ended: StepResult): void => {
    // a failure names its problem from the start, so a renderer can say a cause it already showed in short
    const result = ended.error ? {...ended, error: {...ended.error, problem: problemKey(ended.error)}} : ended
    results.push(result)
    emit({type: 'step-end', ...result})
    outcomes.settle({host: result.host, stepId: result.step}, result.status)
  }

  await Promise.all(
    schedules.map(async (hostSchedule) => {
      const host = options.hosts.find((h) => h.name === hostSchedule.host) as ClusterHost
      let opened: OpenedHost | undefined
      let openError: unknown
      try {
        opened = await openHost(host, options, shared.contextOf)
      } catch (error) {
        openError = error
      }
      try {
        if (opened && options.mode === 'run' && (await hostUpToDate(shared, opened, stepsOf(hostSchedule.units)))) {
          // nothing to do here: no step waits for another host's, whose changes this host does not need
          for (const unit of hostSchedule.units) {
            const step = byId.get(unit.stepId) as AnyStep
            emit({type: 'step-start', host: host.name, step: step.id, title: step.title})
            finish({host: host.name, step: step.id, title: step.title, status: 'unchanged', reason: UP_TO_DATE, actions: [], durationMs: 0})
          }
        } else
          for (const unit of hostSchedule.units) {
            const step = byId.get(unit.stepId) as AnyStep
            const base = {host: host.name, step: step.id, title: step.title, actions: []}
            const t0 = Date.now()
            if (!opened) {
              // the host itself is out (connection, lock, journal): every step on it says why
              finish({...base, status: 'failed', durationMs: 0, error: toFailure(host.name, step.id, openError)})
              continue
            }
            const blocked = options.mode === 'run' ? await blockedBy(unit.needs, outcomes) : undefined
            if (blocked) {
              finish({...base, status: 'skipped', durationMs: 0, reason: blocked})
              continue
            }
            emit({type: 'step-start', host: host.name, step: step.id, title: step.title})
            const logs = new RunLogs(options.mode === 'run' ? options.logDir : undefined, opened.secretValues)
            let log: StepLog | undefined
            try {
              log = logs.stepLog(host.name, step.id, (text) => emit({type: 'step-output', host: host.name, step: step.id, text}))
              const run = stepRun(shared, opened, step, log, loggingRemote(opened.remote, log), options.remoteOf)
              const result = options.mode === 'run' ? await applyStep(run) : await planStep(run)
              finish({...result, durationMs: Date.now() - t0})
            } catch (error) {
              // a bug in a step (inputs threw, ...) still becomes a failure of that step alone
              finish({
                ...base,
                status: 'failed',
                durationMs: Date.now() - t0,
                error: toFailure(host.name, step.id, error, log, opened.secretValues),
              })
            } finally {
              log?.close()
            }
          }
        // out of the balancer's rotation since a restart of this run: back in once it answers
        if (opened && options.mode === 'run' && options.rotation) {
          const back = await options.rotation.rejoin(host.name, (text) =>
            emit({type: 'step-output', host: host.name, step: ROTATION_STEP, text}),
          )
          if (!back.ok) {
            finish({
              host: host.name,
              step: ROTATION_STEP,
              title: "Back into the balancer's rotation",
              status: 'failed',
              durationMs: 0,
              actions: [],
              error: {host: host.name, step: ROTATION_STEP, message: back.message, hint: back.hint, exitCode: ExitCode.stepFailed},
            })
          }
        }
      } finally {
        await opened?.lock?.release().catch(() => undefined)
      }
    }),
  )

  const counts = emptyCounts()
  for (const r of results) counts[r.status]++
  const failures = results.flatMap((r) => (r.error ? [r.error] : []))
  const ordered = orderLike(
    results,
    schedules.flatMap((h) => h.units),
  )
  const summary: RunSummary = {
    mode: options.mode,
    startedAt: started.toISOString(),
    durationMs: now().getTime() - started.getTime(),
    ...(options.logDir && options.mode === 'run' ? {logDir: options.logDir} : {}),
    results: ordered,
    counts,
    failures,
    // by host and step, as the results: a problem's steps read in the order they run
    problems: groupProblems(ordered.flatMap((r) => (r.error ? [r.error] : []))),
    // skipped steps only follow failures; 'unknown' in a plan is normal (a dependency not done yet)
    ok: failures.length === 0,
  }
  emit({type: 'run-end', summary})
  return summary
}

/** What every step run of one `runSteps` shares. */
interface Shared {
  options: RunOptions
  now: () => Date
  buildSlots: Slots
  /** one context per host in a run: preflight, the host's look and its steps share it */
  contextOf: RunOptions['contextFor']
}

function onePerHost(contextFor: RunOptions['contextFor']): RunOptions['contextFor'] {
  const made = new Map<string, Promise<StepContext>>()
  return (host) => {
    let ctx = made.get(host.name)
    if (!ctx) {
      ctx = contextFor(host)
      made.set(host.name, ctx)
    }
    return ctx
  }
}

/** `make`'s value, made on the first call and the same object after. */
function once<T>(make: () => T): () => T {
  let made: {value: T} | undefined
  return () => {
    made ??= {value: make()}
    return made.value
  }
}

function stepRun(
  shared: Shared,
  opened: OpenedHost,
  step: AnyStep,
  log: StepLog,
  remote: Remote,
  remoteOf: RunOptions['remoteOf'],
): StepRun {
  const {options} = shared
  return {
    step,
    ctx: opened.ctx,
    // per StepRun, not per run: preflight, the host's look before any wait and the step's own turn each work them
    // out, since they may differ between (a builder fills the controller's package cache its followers ship from);
    // probe, plan and verify of one turn share one object
    inputs: once(() => step.inputs(opened.ctx)),
    remote,
    remoteOf,
    journal: opened.journal,
    log,
    secretValues: opened.secretValues,
    readyTimeoutMs: options.readyTimeoutMs,
    buildSlots: shared.buildSlots,
    serviceCommand: options.serviceCommand,
    ...(options.stateDir ? {stateDir: options.stateDir} : {}),
    ...(options.mode === 'run' && options.rotation ? {rotation: options.rotation} : {}),
    now: shared.now,
  }
}

/**
 * A host whose every step is up to date needs nothing that another host's steps would change, so it is checked
 * before any of its steps waits for another host: a run that changes nothing costs one round of probes, not its
 * longest chain of waits (a follower waits for its builder's builds, lb01 for every web host). A host with
 * anything to do runs its steps in order with their waits, as always, each probed again, since another host's
 * change may come first. The probes log nowhere: the steps' own runs log what they do.
 */
async function hostUpToDate(shared: Shared, opened: OpenedHost, steps: readonly AnyStep[]): Promise<boolean> {
  const quiet = new RunLogs(undefined, opened.secretValues).stepLog(opened.ctx.host.name, 'up-to-date', () => {})
  try {
    return await allUpToDate(steps.map((step) => stepRun(shared, opened, step, quiet, opened.remote, shared.options.remoteOf)))
  } finally {
    quiet.close()
  }
}

/** A host opened for a run: its connection, context and journal, and its lock when the run changes it. */
interface OpenedHost {
  remote: Remote
  ctx: StepContext
  journal: HostJournal
  lock?: HostLock
  secretValues: string[]
}

async function openHost(host: ClusterHost, options: RunOptions, contextOf: RunOptions['contextFor']): Promise<OpenedHost> {
  const remote = await options.remoteOf(host.name)
  const store = options.journalStoreOf ? options.journalStoreOf(remote) : remoteJournalStore(remote, options.stateDir)
  if (options.mode === 'plan') {
    const ctx = await contextOf(host)
    const secretValues = secretValuesOf(ctx)
    // plan reads the journal only to say "up to date"; it must never write, so writes are refused
    const journal = await HostJournal.load({read: () => store.read(), write: async () => refuseWrite(host.name)})
    return {remote, ctx, journal, secretValues}
  }
  // the host's facts are asked while its lock is taken and its journal read: round trips at once, not in turn
  const context = contextOf(host)
  context.catch(() => undefined)
  const lockOptions: LockOptions = {
    ...options.lock,
    command: options.lock?.command ?? 'lnmp-deploy run',
    ...(options.stateDir ? {stateDir: options.stateDir} : {}),
  }
  const lock = await (options.lockOf ?? acquireLock)(remote, lockOptions)
  try {
    const [ctx, journal] = await Promise.all([context, HostJournal.load(store)])
    return {remote, ctx, journal, lock, secretValues: secretValuesOf(ctx)}
  } catch (error) {
    await lock.release().catch(() => undefined)
    throw error
  }
}

const secretValuesOf = (ctx: StepContext): string[] => [...ctx.secrets.values()]

function refuseWrite(host: string): never {
  throw new Error(`${host}: plan tried to write the journal (a bug: plan never writes)`)
}

async function blockedBy(needs: UnitRef[], outcomes: Outcomes): Promise<string | undefined> {
  const settled = await Promise.all(needs.map(async (ref) => ({ref, status: await outcomes.wait(ref)})))
  const bad = settled.filter((s) => s.status === 'failed' || s.status === 'skipped')
  if (bad.length === 0) return undefined
  return `waits for ${bad.map((b) => `${b.ref.stepId} on ${b.ref.host} (${b.status})`).join(', ')}`
}

function orderLike(results: StepResult[], units: UnitRef[]): StepResult[] {
  const index = new Map(units.map((u, i) => [`${u.host}\u0000${u.stepId}`, i]))
  return [...results].sort((a, b) => (index.get(`${a.host}\u0000${a.step}`) ?? 0) - (index.get(`${b.host}\u0000${b.step}`) ?? 0))
}
