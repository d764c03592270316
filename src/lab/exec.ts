import {execa, type Options} from 'execa'

import {LabError} from '../errors.js'

/**
 * The one way src/lab/ runs a controller command. Output is captured, never inherited, so daemons the
 * command leaves behind (lxc-start -d, apt-cacher-ng) cannot hold our pipes open; failures become a
 * LabError naming what was being done and the tail of what the command said.
 */
export interface CommandResult {
  code: number
  stdout: string
  stderr: string
}

export async function tryRun(file: string, args: readonly string[], options: Options = {}): Promise<CommandResult> {
  const r = await execa(file, args, {reject: false, stdin: 'ignore', ...options})
  return {
    code: typeof r.exitCode === 'number' ? r.exitCode : -1,
    stdout: typeof r.stdout === 'string' ? r.stdout : '',
    stderr: typeof r.stderr === 'string' ? r.stderr : r.failed && !r.exitCode ? String(r.message) : '',
  }
}

export async function run(what: string, file: string, args: readonly string[], options: Options = {}): Promise<CommandResult> {
  const r = await tryRun(file, args, options)
  if (r.code !== 0) {
    const tail = (r.stderr || r.stdout).trim().split('\n').slice(-15).join('\n')
    throw new LabError(`${what} failed: ${file} ${args.join(' ')} exited ${r.code}${tail ? `\n${tail}` : ''}`)
  }
  return r
}

/** Whether a program is on PATH (or at an absolute path) and executable. */
export async function haveCommand(file: string): Promise<boolean> {
  const r = await tryRun('sh', ['-c', 'command -v "$1"', 'sh', file])
  return r.code === 0
}
