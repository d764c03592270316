import {rename, writeFile} from 'node:fs/promises'

import {appliesTo, orderSteps} from '../engine/graph.js'
import type {AnyStep, ClusterHost} from '../engine/step.js'
import {DeployError, ExitCode, type ExitCodeValue} from '../errors.js'
import {phpVersionWarnings} from '../php/eol.js'
import {redact} from '../redact.js'
import {STEPS} from '../steps/index.js'
import {toJUnit} from '../verify/junit.js'
import {selectChecks} from '../verify/registry.js'
import {type CheckEnv, type CheckOutcome, type ClusterCheck, outputTail, statusOf, type VerifyResult} from '../verify/types.js'
import type {ClusterAccess} from './cluster-access.js'

export type {CheckOutcome} from '../verify/types.js'

export interface HostUnreachable {
  host: string
  message: string
  hint?: string
}

export interface VerifyReport {
  ok: boolean
  /** 0 all passed, 6 a check failed, 4 a host could not be reached */
  exitCode: ExitCodeValue
  durationMs: number
  /** the hosts verified, in config order */
  hosts: string[]
  checks: CheckOutcome[]
  unreachable: HostUnreachable[]
  counts: {passed: number; failed: number; skipped: number}
  /** what the config should change soon (its PHP near or past end of life); never a failure, never the exit code */
  warnings: string[]
}

export interface VerifyRequest {
  hosts?: string[]
  /** step ids, cluster check ids or aliases (src/verify/registry.ts); none = all */
  checks?: string[]
  /** also write the report as JUnit XML here */
  junit?: string
  /** what a check says before it changes the cluster */
  notice?: (message: string) => void
}

/** `lnmp-deploy verify`: every step's own verify on its hosts and the cluster checks, as one report. */
export async function verifyCluster(access: ClusterAccess, request: VerifyRequest = {}): Promise<VerifyReport> {
  const steps = orderSteps(STEPS)
  const selection = selectChecks(
    request.checks,
    steps.map((s) => s.id),
  )
  const env: CheckEnv = {
    config: access.config,
    cluster: access.hosts,
    secrets: access.secrets,
    remoteOf: access.remoteOf,
    contextFor: access.contextFor,
    ...(request.notice ? {notice: request.notice} : {}),
  }
  const report = await runVerify(env, {
    secretValues: access.secretValues(),
    hosts: access.select(request.hosts),
    steps: steps.filter((s) => selection.steps.includes(s.id)),
    clusterChecks: selection.clusterChecks,
    today: new Date(),
  })
  if (request.junit) await writeJUnitReport(request.junit, report)
  return report
}

interface Unit {
  host: string
  check: string
  /** report order: host, then steps before cluster checks, each in its own order */
  order: number
  run(): Promise<VerifyResult[]>
}

/**
 * Hosts in parallel, every step verify and cluster check at once (each connection queues its channels). A
 * host that cannot be reached is reported once, and what needed it is skipped, not failed: exit 4 says
 * "could not look".
 */
export async function runVerify(
  env: CheckEnv,
  what: {
    hosts: ClusterHost[]
    steps: readonly AnyStep[]
    clusterChecks: readonly ClusterCheck[]
    secretValues?: readonly string[]
    today?: Date
  },
): Promise<VerifyReport> {
  const t0 = Date.now()
  const unreachable = new Map<string, HostUnreachable>()
  const noteUnreachable = (host: string, error: DeployError) => {
    if (!unreachable.has(host)) unreachable.set(host, {host, message: error.message, ...(error.hint ? {hint: error.hint} : {})})
  }

  // connect to the selected hosts and learn their facts first, all at once: the checks then share both
  const reachable = new Set<string>()
  await Promise.all(
    what.hosts.map(async (h) => {
      try {
        await env.contextFor(h)
        reachable.add(h.name)
      } catch (error) {
        if (!isConnectionError(error)) throw error
        noteUnreachable(h.name, error)
      }
    }),
  )

  const selected = new Set(what.hosts.map((h) => h.name))
  const hostOrder = new Map(env.cluster.map((h, i) => [h.name, i]))
  const stepUnits: Unit[][] = what.hosts
    .filter((h) => reachable.has(h.name))
    .map((host) =>
      what.steps
        .filter((s) => appliesTo(s, host))
        .map((step, i) => ({
          host: host.name,
          check: step.id,
          order: i,
          run: async () => {
            const remote = await env.remoteOf(host.name)
            const ctx = await env.contextFor(host)
            // the inputs a run would plan from, computed here as the engine does
            return step.verify({remote, remoteOf: env.remoteOf}, ctx, step.inputs(ctx))
          },
        })),
    )
  const clusterUnits: Unit[] = what.clusterChecks.flatMap((check, i) =>
    check
      .targets(env)
      .filter((t) => selected.has(t.name) && reachable.has(t.name))
      .map((target) => ({host: target.name, check: check.id, order: 1000 + i, run: () => check.run(env, target)})),
  )

  const runUnit = async (unit: Unit): Promise<CheckOutcome[]> => {
    const started = Date.now()
    let results: VerifyResult[]
    try {
      results = await unit.run()
    } catch (error) {
      if (isConnectionError(error)) {
        const who = error.host ?? unit.host
        noteUnreachable(who, error)
        results = [{name: unit.check, ok: false, skipped: true, detail: `${who} could not be reached`}]
      } else {
        results = [{name: unit.check, ok: false, detail: `could not check: ${(error as Error).message}`}]
      }
    }
    const durationMs = Date.now() - started
    return results.map((r) => toOutcome(unit, r, durationMs, what.secretValues ?? []))
  }

  const rows = (
    await Promise.all([
      ...stepUnits.map(async (units) =>
        // all at once: each SSH connection queues what it cannot open yet (CHANNELS_PER_CONNECTION)
        (await Promise.all(units.map(runUnit))).flatMap((outcomes, i) => outcomes.map((o) => ({...o, order: units[i]?.order ?? 0}))),
      ),
      ...clusterUnits.map(async (unit) => (await runUnit(unit)).map((o) => ({...o, order: unit.order}))),
    ])
  ).flat()
  rows.sort((a, b) => (hostOrder.get(a.host) ?? 0) - (hostOrder.get(b.host) ?? 0) || a.order - b.order)
  const checks = rows.map(({order: _order, ...o}) => o)

  const counts = {
    passed: checks.filter((c) => c.status === 'pass').length,
    failed: checks.filter((c) => c.status === 'fail').length,
    skipped: checks.filter((c) => c.status === 'skipped').length,
  }
  const partial = {checks, unreachable: [...unreachable.values()]}
  const exitCode = verifyExitCode(partial)
  const warnings = phpVersionWarnings(env.config, what.today ?? new Date())
  return {
    ok: exitCode === ExitCode.ok,
    exitCode,
    durationMs: Date.now() - t0,
    hosts: what.hosts.map((h) => h.name),
    ...partial,
    counts,
    warnings,
  }
}

/** A row as reported: secrets never leave (a login's output may echo a password), output cut to its tail. */
function toOutcome(unit: Unit, r: VerifyResult, durationMs: number, secretValues: readonly string[]): CheckOutcome {
  const clean = (text: string) => redact(text, secretValues)
  return {
    host: unit.host,
    check: unit.check,
    name: r.name,
    status: statusOf(r),
    ok: statusOf(r) === 'pass',
    durationMs,
    ...(r.detail === undefined ? {} : {detail: clean(r.detail)}),
    ...(r.hint === undefined ? {} : {hint: clean(r.hint)}),
    ...(r.command === undefined ? {} : {command: clean(r.command)}),
    ...(r.output === undefined || r.ok ? {} : {output: clean(outputTail(r.output))}),
  }
}

function isConnectionError(error: unknown): error is DeployError {
  return error instanceof DeployError && error.exitCode === ExitCode.connection
}

/** 4 when a host could not be reached (the checks are incomplete), else 6 when any check failed, else 0. */
export function verifyExitCode(report: {checks: readonly Pick<CheckOutcome, 'status'>[]; unreachable: readonly unknown[]}): ExitCodeValue {
  if (report.unreachable.length > 0) return ExitCode.connection
  return report.checks.some((c) => c.status === 'fail') ? ExitCode.verifyFailed : ExitCode.ok
}

/** The report as JUnit XML in `file` (for CI), written whole or not at all. */
export async function writeJUnitReport(file: string, report: VerifyReport): Promise<void> {
  const xml = toJUnit({
    name: 'lnmp-deploy verify',
    durationMs: report.durationMs,
    checks: report.checks,
    unreachable: report.unreachable,
    hosts: report.hosts,
    warnings: report.warnings,
    timestamp: new Date(),
  })
  const tmp = `${file}.${process.pid}.tmp`
  await writeFile(tmp, xml, 'utf8')
  await rename(tmp, file)
}
