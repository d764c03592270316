/**
 * What the engine tells the world, as plain data: the listr2 renderer, the plain renderer and `--json`
 * all read the same events, and the command maps the summary to an exit code.
 */
export type StepStatus = 'changed' | 'unchanged' | 'failed' | 'skipped'
export type PlanStatus = 'will run' | 'up to date' | 'unknown'

/** A step that failed on a host: what a user needs to look into it. */
export interface StepFailure {
  host: string
  step: string
  message: string
  /** the last lines of the failing command's output, redacted */
  outputTail?: string
  /** the step's log on this machine */
  logPath?: string
  hint?: string
  /** the exit code this failure maps to (src/errors.ts): locked, connection, artifact, step failed ... */
  exitCode: number
  /** the id of its Problem: failures with the same cause share one (problems.ts) */
  problem?: string
}

/**
 * One cause behind failed steps, said once. A config that several steps read (php.flags) or a host that
 * cannot be reached (its changed host key) fails every step that meets it with the same error: those
 * failures are one problem, naming the hosts and steps it stops, instead of the same text per step.
 */
export interface Problem {
  /** StepFailure.problem of each failure it caused */
  id: string
  message: string
  hint?: string
  exitCode: number
  /** the steps it failed, in the run's order */
  steps: Array<{host: string; step: string}>
}

export interface PlannedAction {
  /** one line, secrets redacted */
  description: string
  /** for a file write: the unified diff against the file on the host ('(content hidden)' when sensitive) */
  diff?: string
}

export interface StepResult {
  host: string
  step: string
  title: string
  status: StepStatus | PlanStatus
  durationMs: number
  /** why a step is unchanged, skipped, up to date or unknown */
  reason?: string
  /** run: what was applied; plan: what would be */
  actions: PlannedAction[]
  error?: StepFailure
}

export interface RunSummary {
  mode: 'run' | 'plan'
  startedAt: string
  durationMs: number
  logDir?: string
  results: StepResult[]
  counts: Record<StepStatus | PlanStatus, number>
  failures: StepFailure[]
  /** the failures by cause: each said once, with the steps it failed */
  problems: Problem[]
  ok: boolean
}

export interface HostOutline {
  host: string
  steps: Array<{id: string; title: string}>
}

export type EngineEvent =
  | {type: 'run-start'; mode: 'run' | 'plan'; at: string; logDir?: string; hosts: HostOutline[]}
  | {type: 'step-start'; host: string; step: string; title: string}
  | {type: 'step-output'; host: string; step: string; text: string}
  | ({type: 'step-end'} & StepResult)
  | {type: 'run-end'; summary: RunSummary}

export type EventSink = (event: EngineEvent) => void

export function emptyCounts(): Record<StepStatus | PlanStatus, number> {
  return {changed: 0, unchanged: 0, failed: 0, skipped: 0, 'will run': 0, 'up to date': 0, unknown: 0}
}
