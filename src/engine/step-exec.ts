import {DeployError, ExitCode, StepFailedError} from '../errors.js'
import {cmd, quote} from '../ssh/shell.js'
import type {Remote} from '../ssh/remote.js'
import {
  BACKUP_DIR,
  type ActionEnv,
  type ActionOutcome,
  type ServiceCommand,
  type Undo,
  describeUndo,
  executeAction,
  undoCommand,
} from './actions.js'
import {describeAction} from './describe.js'
import {fileDiff} from './diff.js'
import type {PlannedAction, StepFailure, StepResult} from './events.js'
import {fingerprint} from './fingerprint.js'
import type {HostJournal, OwedService} from './journal.js'
import type {StepLog} from './logs.js'
import type {Rotation} from './rotation.js'
import type {Slots} from '../slots.js'
import {messages} from '../messages.js'
import {redact} from '../redact.js'
import type {Action, AnyStep, CheckResult, StepContext, VerifyEnv} from './step.js'

/** Everything one step needs on one host. */
export interface StepRun {
  step: AnyStep
  ctx: StepContext
  /** the step's inputs on this host, worked out on first use, once for this StepRun; throws what step.inputs throws */
  inputs(): unknown
  /** the host's remote, already logging into `log` */
  remote: Remote
  remoteOf(hostName: string): Promise<Remote>
  journal: HostJournal
  log: StepLog
  secretValues: string[]
  readyTimeoutMs?: number
  buildSlots?: Slots
  serviceCommand?: ServiceCommand
  /** the state folder on the host (journal, lock, backups); STATE_DIR unless a test isolates itself */
  stateDir?: string
  /** the balancer's rotation, for restarts of services that answer users; none in tests without a balancer */
  rotation?: Rotation
  now: () => Date
}

export const UP_TO_DATE = 'the journal has this input done, and the probe finds nothing to do'

/** The journal says this exact input ran ok (its verify passed then) and nothing is still owed for it. */
function journalSaysDone(run: StepRun, print: string): boolean {
  const entry = run.journal.entry(run.step.id)
  return entry?.result === 'ok' && entry.fingerprint === print && run.journal.owedBy(run.step.id).length === 0
}

/**
 * Whether every one of a host's steps is up to date right now: the journal has its inputs done, and its probe
 * finds nothing to do (the plan has no action). The journals first (no remote call when one differs), then the
 * probes all at once. A step whose inputs refuse the config, or whose probe cannot answer, is not: its run says why.
 */
export async function allUpToDate(runs: readonly StepRun[]): Promise<boolean> {
  const wanted: Array<{run: StepRun; inputs: unknown}> = []
  for (const run of runs) {
    let inputs: unknown
    try {
      inputs = run.inputs()
    } catch {
      return false
    }
    if (!journalSaysDone(run, fingerprint(inputs))) return false
    wanted.push({run, inputs})
  }
  const nothingToDo = await Promise.all(
    wanted.map(async ({run, inputs}) => {
      try {
        return run.step.plan(await run.step.probe(run.remote, run.ctx, inputs), inputs).actions.length === 0
      } catch {
        return false
      }
    }),
  )
  return nothingToDo.every(Boolean)
}

function verifyEnv(run: StepRun): VerifyEnv {
  return {remote: run.remote, remoteOf: run.remoteOf}
}

function failedChecks(checks: CheckResult[]): CheckResult[] {
  return checks.filter((c) => !c.ok)
}

async function oweRestarts(actions: Action[], journal: HostJournal, stepId: string, now: () => Date): Promise<void> {
  for (const a of actions) {
    if (a.kind !== 'service' || a.op === 'enable-now') continue
    await journal.addOwed({
      stepId,
      service: a.service,
      op: a.op,
      ...(a.ready ? {ready: a.ready} : {}),
      ...(a.behindBalancer ? {behindBalancer: true} : {}),
      since: now().toISOString(),
    })
  }
}

/**
 * probe → plan → apply → verify → journal, unless the step is up to date (the journal has these inputs done and
 * the plan has no action). The inputs are computed once: probe, plan and verify get that one object, and the
 * journal records its fingerprint.
 */
export async function applyStep(run: StepRun): Promise<Omit<StepResult, 'durationMs'>> {
  const {step, ctx, journal, log} = run
  const base = {host: ctx.host.name, step: step.id, title: step.title}
  const inputs: unknown = run.inputs()
  const print = fingerprint(inputs)

  const actionEnv: ActionEnv = {
    remote: run.remote,
    journal,
    stepId: step.id,
    readyTimeoutMs: run.readyTimeoutMs,
    buildSlots: run.buildSlots,
    serviceCommand: run.serviceCommand,
    now: run.now,
    ...(run.stateDir ? {backupDir: `${run.stateDir}/backups`} : {}),
  }
  const applied: PlannedAction[] = []
  try {
    // Re-plan first: a restart an earlier run still owes may fail on the very files this plan corrects
    // (a pool on a socket in a missing directory); paying it before would keep every later run stuck on it.
    const earlierOwed = journal.owedBy(step.id)
    const facts: unknown = await step.probe(run.remote, ctx, inputs)
    const plan = step.plan(facts, inputs)
    // done before (its verify passed then) and nothing to do now: `lnmp-deploy verify` checks it works
    if (plan.actions.length === 0 && journalSaysDone(run, print)) return {...base, status: 'unchanged', reason: UP_TO_DATE, actions: []}
    // A restart a plan asks for is owed from the moment its first action runs: if a later action fails,
    // the config it was meant to pick up may already be on disk, and the next run's probe cannot tell.
    await oweRestarts(plan.actions, journal, step.id, run.now)
    let changed = false
    // what this step changed so far, so a restart that fails on it can put the previous state back
    const undo: Undo[] = []
    for (const action of plan.actions) {
      const description = describeAction(action, run.secretValues)
      log.note(description)
      let outcome: ActionOutcome
      try {
        outcome = action.kind === 'service' ? await restartService(run, action, actionEnv, undo) : await executeAction(action, actionEnv)
      } catch (error) {
        // a refused file (its check failed) changed nothing: when nothing before it did either, nothing is owed
        if (!changed && ATOMIC.has(action.kind)) await forgetOwed(journal, step.id, plan.actions, earlierOwed)
        throw error
      }
      if (outcome.undo) undo.push(outcome.undo)
      if (outcome.changed) {
        changed = true
        applied.push({description})
      } else {
        log.note('already as wanted')
      }
    }
    // what an earlier run owed and this plan did not do itself: the host is still in that state
    for (const owed of earlierOwed.filter(
      (o) => !plan.actions.some((a) => a.kind === 'service' && a.service === o.service && a.op === o.op),
    )) {
      const description = `owed by an earlier run: ${describeAction(owedAction(owed))}`
      log.note(description)
      await restartService(run, owedAction(owed), actionEnv, [])
      applied.push({description})
      changed = true
    }
    const failed = failedChecks(await step.verify(verifyEnv(run), ctx, inputs))
    if (failed.length > 0) {
      throw new DeployError(
        `verify failed: ${failed.map((c) => `${c.name}${c.detail ? ` (${c.detail})` : ''}`).join(', ')}`,
        ExitCode.stepFailed,
        {
          host: ctx.host.name,
          hint: failed.find((c) => c.hint)?.hint,
          cause: failed
            .map((c) => c.output)
            .filter(Boolean)
            .join('\n'),
        },
      )
    }
    await journal.recordStep(step.id, {fingerprint: print, at: run.now().toISOString(), result: 'ok'})
    return changed
      ? {...base, status: 'changed', actions: applied}
      : {
          ...base,
          status: 'unchanged',
          reason: plan.reason ?? (plan.actions.length > 0 ? 'the host already was as wanted' : 'nothing to do'),
          actions: [],
        }
  } catch (error) {
    const failure = toFailure(ctx.host.name, step.id, error, log, run.secretValues)
    // best effort: the failure itself matters more than recording it
    await journal
      .recordStep(step.id, {fingerprint: print, at: run.now().toISOString(), result: 'failed', error: failure.message})
      .catch((journalError: unknown) => log.note(`could not record the failure in the journal: ${(journalError as Error).message}`))
    return {...base, status: 'failed', actions: applied, error: failure}
  }
}

type ServiceAction = Extract<Action, {kind: 'service'}>

/** actions that either happen whole or not at all: when one fails, the host is as it was */
const ATOMIC: ReadonlySet<Action['kind']> = new Set(['write-file', 'upload', 'upload-package', 'keep-package', 'switch-link'])

/** Drops the restarts this plan recorded as owed, keeping what an earlier run owed. */
async function forgetOwed(
  journal: HostJournal,
  stepId: string,
  actions: readonly Action[],
  earlier: readonly OwedService[],
): Promise<void> {
  for (const a of actions) {
    if (a.kind !== 'service' || earlier.some((o) => o.service === a.service && o.op === a.op)) continue
    await journal.clearOwed({stepId, service: a.service, op: a.op})
  }
}

function owedAction(owed: OwedService): ServiceAction {
  return {
    kind: 'service',
    service: owed.service,
    op: owed.op,
    ...(owed.ready ? {ready: owed.ready} : {}),
    ...(owed.behindBalancer ? {behindBalancer: true} : {}),
  }
}

/**
 * A restart or reload, out of the balancer's rotation when the service answers users. When it fails on what
 * this step just changed, the previous files and links are put back and the service restarted on them: the
 * host keeps serving its old working state, and the step fails saying so.
 */
async function restartService(run: StepRun, action: ServiceAction, env: ActionEnv, undo: readonly Undo[]): Promise<ActionOutcome> {
  const attempt = async (): Promise<ActionOutcome> => {
    try {
      return await executeAction(action, env)
    } catch (error) {
      // a service that was not running before has no previous state to go back to
      if (undo.length === 0 || action.op === 'enable-now') throw error
      throw await putBack(run, action, env, undo, error)
    }
  }
  if (action.behindBalancer && run.rotation) await run.rotation.leave(run.ctx.host.name, (line) => run.log.note(line))
  return attempt()
}

async function putBack(run: StepRun, action: ServiceAction, env: ActionEnv, undo: readonly Undo[], cause: unknown): Promise<Error> {
  const host = run.ctx.host.name
  const reason = (cause as Error).message.replace(`${host}: step ${run.step.id} failed: `, '')
  const restored = [...undo].reverse()
  try {
    for (const u of restored) {
      run.log.note(`putting back: ${describeUndo(u)}`)
      await run.remote.run(undoCommand(u), {sudo: true})
    }
    if (restored.some((u) => 'path' in u && u.path.startsWith('/etc/systemd/')))
      await run.remote.run('systemctl daemon-reload', {sudo: true})
    // a unit that failed again and again meanwhile (Restart=on-failure) may have hit its start limit
    await run.remote.exec(cmd('systemctl', 'reset-failed', action.service), {sudo: true}).catch(() => undefined)
    // the restart again, on the previous state: it must answer as it did before this run
    const {readyBefore, ...again} = action
    await executeAction(readyBefore ? {...again, ready: readyBefore} : again, env)
  } catch (second) {
    return new StepFailedError(host, run.step.id, `${reason}; putting the previous state back failed too: ${(second as Error).message}`, {
      outputTail: (cause as {outputTail?: string}).outputTail,
      hint: `${action.service} on ${host} needs a hand: see systemctl status ${action.service}; the backups are in ${env.backupDir ?? BACKUP_DIR}`,
    })
  }
  return new StepFailedError(
    host,
    run.step.id,
    `${reason}; the previous state is back (${restored.map(describeUndo).join('; ')}) and ${action.service} runs on it again`,
    {
      outputTail: (cause as {outputTail?: string}).outputTail,
      hint: `the new configuration does not start ${action.service}: fix the config and run again (${messages.rerun.command(run.step.id, host)})`,
    },
  )
}

/** `plan` mode: probe and plan only, from inputs computed once as in applyStep. Nothing is written, no lock is taken. */
export async function planStep(run: StepRun): Promise<Omit<StepResult, 'durationMs'>> {
  const {step, ctx, journal} = run
  const base = {host: ctx.host.name, step: step.id, title: step.title}
  let inputs: unknown
  try {
    inputs = run.inputs()
  } catch (error) {
    // the config asks for something this step refuses: `run` would refuse it too, before starting
    return {...base, status: 'failed', actions: [], error: toFailure(ctx.host.name, step.id, error, undefined, run.secretValues)}
  }
  try {
    const facts: unknown = await step.probe(run.remote, ctx, inputs)
    const plan = step.plan(facts, inputs)
    const owed: PlannedAction[] = journal
      .owedBy(step.id)
      .filter((o) => !plan.actions.some((a) => a.kind === 'service' && a.service === o.service && a.op === o.op))
      .map((o) => ({description: `owed by an earlier run: ${describeAction(owedAction(o))}`}))
    if (plan.actions.length === 0 && owed.length === 0) {
      return {...base, status: 'up to date', reason: plan.reason ?? 'nothing to do', actions: []}
    }
    const actions: PlannedAction[] = []
    for (const action of plan.actions) actions.push(await plannedAction(run, action))
    actions.push(...owed)
    return {...base, status: 'will run', actions}
  } catch (error) {
    // typically a dependency that is not done yet: its probe cannot answer
    return {...base, status: 'unknown', reason: redact((error as Error).message, run.secretValues), actions: []}
  }
}

async function plannedAction(run: StepRun, action: Action): Promise<PlannedAction> {
  const description = describeAction(action, run.secretValues)
  if (action.kind !== 'write-file') return {description}
  const current = await readRemoteFile(run.remote, action.path)
  // a file not marked sensitive may still carry a run secret: the diff is redacted all the same
  const diff = redact(fileDiff(action.path, current, action.content, {sensitive: action.sensitive}), run.secretValues)
  return diff === '' ? {description: `${description} [content already current]`} : {description, diff}
}

/** The file's text, or undefined when it does not exist. */
export async function readRemoteFile(remote: Remote, path: string): Promise<string | undefined> {
  const result = await remote.exec(`if [ -e ${quote(path)} ]; then echo present; ${cmd('cat', path)}; fi`, {sudo: true})
  if (result.code !== 0) throw new Error(`${remote.name}: cannot read ${path}: ${result.stderr.trim() || `exit ${result.code}`}`)
  if (!result.stdout.startsWith('present\n')) return undefined
  return result.stdout.slice('present\n'.length)
}

export function toFailure(host: string, step: string, error: unknown, log?: StepLog, secretValues: string[] = []): StepFailure {
  const e = error as Partial<DeployError> & {outputTail?: string; message?: string}
  const rawTail = e.outputTail ?? (log ? log.tail() : undefined)
  const tail = rawTail === undefined ? undefined : redact(rawTail, secretValues)
  return {
    host,
    step,
    message: redact(e.message ?? String(error), secretValues),
    ...(tail ? {outputTail: tail} : {}),
    ...(log?.path ? {logPath: log.path} : {}),
    ...(e.hint ? {hint: e.hint} : {}),
    exitCode: error instanceof DeployError ? error.exitCode : ExitCode.stepFailed,
  }
}
