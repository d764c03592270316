import {execa} from 'execa'
import {fileURLToPath} from 'node:url'

const BIN = fileURLToPath(new URL('../../bin/run.js', import.meta.url))

export interface CliResult {
  exitCode: number
  stdout: string
  stderr: string
}

/** Runs the built CLI (npm test builds first) as a user would, with no terminal. */
export async function lnmpDeploy(args: string[], options: {cwd?: string; env?: Record<string, string>; timeoutMs?: number} = {}): Promise<CliResult> {
  const result = await execa('node', [BIN, ...args], {
    cwd: options.cwd,
    env: {...options.env, FORCE_COLOR: '0'},
    reject: false,
    stdin: 'ignore',
    timeout: options.timeoutMs ?? 600_000,
  })
  return {exitCode: result.exitCode ?? -1, stdout: String(result.stdout), stderr: String(result.stderr)}
}

/** `--json` output of run: every line must be one JSON event. */
export function jsonLines(stdout: string): Array<Record<string, unknown> & {type: string}> {
  return stdout
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as Record<string, unknown> & {type: string})
}

export interface StepEnd {
  type: 'step-end'
  host: string
  step: string
  status: string
  reason?: string
}

export function stepEnds(stdout: string): StepEnd[] {
  return jsonLines(stdout).filter((e) => e.type === 'step-end') as unknown as StepEnd[]
}

export function runSummary(stdout: string): {counts: Record<string, number>; ok: boolean} {
  const end = jsonLines(stdout).find((e) => e.type === 'run-end') as {summary: {counts: Record<string, number>; ok: boolean}} | undefined
  if (!end) throw new Error(`no run-end event in:\n${stdout}`)
  return end.summary
}
