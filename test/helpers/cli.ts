import {execa} from 'execa'
import {fileURLToPath} from 'node:url'

const BIN = fileURLToPath(new URL('../../bin/run.js', import.meta.url))

export interface CliResult {
  exitCode: number
  stdout: string
  stderr: string
}

/** Runs the built CLI (npm test builds first) as a user would, with no terminal. */
export async function lnmpDeploy(
  args: string[],
  options: {cwd?: string; env?: Record<string, string>; timeoutMs?: number} = {},
): Promise<CliResult> {
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
  actions?: Array<{description: string}>
}

export function stepEnds(stdout: string): StepEnd[] {
  return jsonLines(stdout).filter((e) => e.type === 'step-end') as unknown as StepEnd[]
}

export function runSummary(stdout: string): {counts: Record<string, number>; ok: boolean} {
  const end = jsonLines(stdout).find((e) => e.type === 'run-end') as {summary: {counts: Record<string, number>; ok: boolean}} | undefined
  if (!end) throw new Error(`no run-end event in:\n${stdout}`)
  return end.summary
}

/**
 * The CLI started and left running, for tests that kill it part-way as a CI timeout or Ctrl-C would: `lines`
 * yields its stdout line by line as it comes (the JSON events of `run --json`).
 */
export function startLnmpDeploy(args: string[]): {child: ReturnType<typeof execa>; pid: number; lines: AsyncIterable<string>} {
  const child = execa('node', [BIN, ...args], {
    env: {FORCE_COLOR: '0'},
    reject: false,
    stdin: 'ignore',
    timeout: 40 * 60_000,
    buffer: false,
  })
  if (child.pid === undefined) throw new Error('the CLI did not start')
  return {child, pid: child.pid, lines: child.iterable({from: 'stdout'}) as AsyncIterable<string>}
}
