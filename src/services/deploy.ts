import type {EventSink, RunSummary} from '../engine/events.js'
import {runLogDir} from '../engine/logs.js'
import {runSteps} from '../engine/runner.js'
import {ExitCode, type ExitCodeValue} from '../errors.js'
import {phpVersionWarnings} from '../php/eol.js'
import {STEPS} from '../steps/index.js'
import {BalancerRotation} from './balancer-rotation.js'
import type {ClusterAccess} from './cluster-access.js'

export interface DeployRequest {
  mode: 'run' | 'plan'
  hosts?: string[]
  steps?: string[]
  from?: string
  onEvent?: EventSink
  lockWaitSeconds?: number
  clearStaleLock?: boolean
  /** recorded in each host's lock so whoever meets it knows what holds it */
  commandLine: string
}

/** `run` and `plan`: the steps on the selected hosts, through the engine. */
export async function deploy(cluster: ClusterAccess, request: DeployRequest): Promise<RunSummary> {
  return runSteps({
    mode: request.mode,
    steps: STEPS,
    hosts: cluster.hosts,
    remoteOf: cluster.remoteOf,
    contextFor: cluster.contextFor,
    filters: {hosts: request.hosts, steps: request.steps, from: request.from},
    lock: {waitSeconds: request.lockWaitSeconds ?? 0, clearStale: request.clearStaleLock ?? false, command: request.commandLine},
    logDir: request.mode === 'run' ? runLogDir(cluster.loaded.dir, new Date()) : undefined,
    onEvent: request.onEvent,
    parallelBuilds: cluster.config.build.parallelHosts,
    rotation: new BalancerRotation({
      config: cluster.config,
      hosts: cluster.hosts,
      remoteOf: cluster.remoteOf,
      factsOf: (name) => cluster.factsOf(name),
    }),
  })
}

/** What `plan` reports: the run as it would go, and what the config should change soon. */
export interface PlanReport extends RunSummary {
  /** the configured PHP near or past its end of life; never a failure */
  warnings: string[]
}

/** `plan`: the steps planned on the selected hosts, and the config's warnings as of `today`. */
export async function planCluster(cluster: ClusterAccess, request: Omit<DeployRequest, 'mode'>, today = new Date()): Promise<PlanReport> {
  const summary = await deploy(cluster, {...request, mode: 'plan'})
  return {...summary, warnings: phpVersionWarnings(cluster.config, today)}
}

/**
 * One exit code for a run: the host-level causes (unreachable, locked, bad artifact) say more than
 * "a step failed", so they win when present.
 */
export function exitCodeOf(summary: RunSummary): ExitCodeValue {
  if (summary.ok) return ExitCode.ok
  const codes = new Set(summary.failures.map((f) => f.exitCode))
  for (const code of [ExitCode.config, ExitCode.connection, ExitCode.locked, ExitCode.artifact, ExitCode.stepFailed]) {
    if (codes.has(code)) return code
  }
  return ExitCode.stepFailed
}
