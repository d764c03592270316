import type {Config} from '../config/schema.js'
import type {CheckResult, ClusterHost, StepContext} from '../engine/step.js'
import type {Remote} from '../ssh/remote.js'

/** What a check found: a step's CheckResult, which may also say it did not apply. */
export interface VerifyResult extends CheckResult {
  /** the check did not apply (config, missing prerequisite); `detail` says why */
  skipped?: boolean
}

export type CheckStatus = 'pass' | 'fail' | 'skipped'

/** One row of the verify report: a named result of one check (a step's verify or a cluster check) on one host. */
export interface CheckOutcome {
  host: string
  /** the id `--check` selects: a step id (its own verify) or a cluster check id */
  check: string
  /** stable name of this result, e.g. 'session-proof' or 'memcache-connect-to-db01' */
  name: string
  status: CheckStatus
  /** status === 'pass' */
  ok: boolean
  durationMs: number
  detail?: string
  hint?: string
  command?: string
  output?: string
}

/** What cluster checks may use: the whole cluster, its config and secrets, and connections to its hosts. */
export interface CheckEnv {
  config: Config
  cluster: readonly ClusterHost[]
  secrets: ReadonlyMap<string, string>
  remoteOf(hostName: string): Promise<Remote>
  contextFor(host: ClusterHost): Promise<StepContext>
  /** tells the user, before it happens, that a check changes the cluster (stderr in the human output) */
  notice?(message: string): void
}

/**
 * A check across hosts. `targets` are the hosts its rows belong to (the host at fault when it fails: the web
 * host that cannot reach the store, db01 whose ports are open to lb01), so `--host` narrows checks too.
 */
export interface ClusterCheck {
  id: string
  title: string
  /** changes the cluster while it runs (stops a service): only when `--check` names it, never in a plain verify */
  onlyWhenAsked?: boolean
  targets(env: CheckEnv): ClusterHost[]
  run(env: CheckEnv, target: ClusterHost): Promise<VerifyResult[]>
}

export function statusOf(r: VerifyResult): CheckStatus {
  if (r.skipped) return 'skipped'
  return r.ok ? 'pass' : 'fail'
}

/** The tail of a command's output that a failure shows: enough to see the error, not a whole build log. */
export function outputTail(text: string, lines = 15): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n')
}
