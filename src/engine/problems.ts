import {createHash} from 'node:crypto'

import type {Problem, StepFailure} from './events.js'

/**
 * Failures are the same problem when they say the same: message, hint and exit code. A host's connection
 * error names that host in its message, so it is one problem per host, whichever host's step met it; a
 * step's own failure names its host and step, so it stays alone.
 */
export function problemKey(failure: Pick<StepFailure, 'message' | 'hint' | 'exitCode'>): string {
  return createHash('sha256')
    .update(JSON.stringify([failure.exitCode, failure.message, failure.hint ?? '']))
    .digest('hex')
    .slice(0, 12)
}

/** The failures' problems, in the order their first step comes. */
export function groupProblems(failures: readonly StepFailure[]): Problem[] {
  const byId = new Map<string, Problem>()
  for (const f of failures) {
    const id = f.problem ?? problemKey(f)
    const problem = byId.get(id) ?? {id, message: f.message, ...(f.hint ? {hint: f.hint} : {}), exitCode: f.exitCode, steps: []}
    problem.steps.push({host: f.host, step: f.step})
    byId.set(id, problem)
  }
  return [...byId.values()]
}

/** A problem in one line, for the places that point at its full text: its first line, cut short. */
export function briefOf(message: string, max = 72): string {
  // a first line that introduces a list ends in a colon: the list is said elsewhere
  const first = (message.split('\n')[0] ?? '').replace(/:$/, '')
  return first.length > max ? `${first.slice(0, max - 1)}…` : first
}
