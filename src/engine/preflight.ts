import {DeployError, ExitCode} from '../errors.js'
import type {HostSchedule} from './graph.js'
import type {AnyStep, ClusterHost, StepContext} from './step.js'

/** The causes that are the user's input, not the host's state: the config, a flag, an artifact. */
const INPUT_CODES = new Set<number>([ExitCode.config, ExitCode.artifact])

export interface InputProblem {
  host: string
  step: string
  error: DeployError
}

/**
 * Every step that is about to run works out its inputs from its host's facts first. A problem there (a PHP
 * flag the chosen version no longer knows, a version that cannot build on that OS, a missing tarball) is
 * the same problem whenever it is met: met here, it stops the run before any host is locked or changed,
 * instead of after nginx was already compiled. Hosts that cannot be reached, and anything that is not an
 * input problem, are left to the run itself, which reports them per host and step.
 */
export async function findInputProblems(
  schedules: readonly HostSchedule[],
  steps: ReadonlyMap<string, AnyStep>,
  hosts: readonly ClusterHost[],
  contextFor: (host: ClusterHost) => Promise<StepContext>,
): Promise<InputProblem[]> {
  const perHost = await Promise.all(
    schedules.map(async (hostSchedule) => {
      const host = hosts.find((h) => h.name === hostSchedule.host)
      if (!host) return []
      const ctx = await contextFor(host).catch(() => undefined)
      if (!ctx) return []
      return hostSchedule.units.flatMap((unit): InputProblem[] => {
        const step = steps.get(unit.stepId)
        if (!step) return []
        try {
          step.inputs(ctx)
          return []
        } catch (error) {
          return error instanceof DeployError && INPUT_CODES.has(error.exitCode) ? [{host: host.name, step: step.id, error}] : []
        }
      })
    }),
  )
  return perHost.flat()
}

/** One error for all the problems, each said once with the hosts and steps it stops. */
export function inputProblemsError(problems: readonly InputProblem[]): DeployError {
  const byMessage = new Map<string, {where: string[]; error: DeployError}>()
  for (const p of problems) {
    const key = p.error.message
    const entry = byMessage.get(key) ?? {where: [], error: p.error}
    entry.where.push(`${p.host} ${p.step}`)
    byMessage.set(key, entry)
  }
  const entries = [...byMessage.values()]
  const first = entries[0]?.error
  const lines = entries.map((e) => `  ${e.where.join(', ')}: ${e.error.message}${e.error.hint ? `\n    hint: ${e.error.hint}` : ''}`)
  return new DeployError(
    `nothing was changed on any host: the config cannot be deployed as it is\n${lines.join('\n')}`,
    first?.exitCode ?? ExitCode.config,
    {
      ...(problems.length > 0 && new Set(problems.map((p) => p.host)).size === 1 ? {host: problems[0]?.host} : {}),
      hint: 'fix the config (or the artifact) and run again; `lnmp-deploy plan` shows each step on its own',
    },
  )
}
