import {createHash} from 'node:crypto'

import type {ExecOptions, ExecResult, JobOptions, JobResult} from './remote.js'
import {RemoteCommandError} from './remote.js'
import {quote} from './shell.js'

/**
 * Long commands (builds) run detached from the SSH connection: `setsid nohup` under a job directory holding
 * the command, its hash, log, pid and exit code. A dropped connection leaves the job running; the next
 * call with the same id finds it by its directory and waits for it instead of starting it again.
 */

export const JOBS_DIR = '/var/lib/lnmp-deploy/jobs'
/** where a job that does not run as root lives, relative to the login user's home */
export const USER_JOBS_DIR = '.lnmp-deploy/jobs'
const TAIL_LINES = 30

/** A job's directory: everything about job `id` lives under it. */
export function jobDir(baseDir: string, id: string): string {
  return `${baseDir}/${id}`
}

/** The file a root job's exit code is written to once it ends; a job that exited 0 is never started again. */
export function jobExitPath(id: string): string {
  return `${jobDir(JOBS_DIR, id)}/exit`
}

export interface JobHost {
  readonly name: string
  exec(command: string, options?: ExecOptions): Promise<ExecResult>
}

export function validateJobId(id: string): void {
  if (!/^[a-z0-9._-]+$/.test(id) || id === '.' || id === '..' || id.length > 128) {
    throw new Error(`invalid job id ${JSON.stringify(id)}: use a-z, 0-9, ., _ and -`)
  }
}

/** What makes two runs "the same job": the command and where it runs. */
export function jobHash(command: string, cwd: string | undefined): string {
  return createHash('sha256')
    .update(JSON.stringify({command, cwd: cwd ?? null}))
    .digest('hex')
}

/** The script the job runs: cd first, so a wrong cwd fails the job rather than running elsewhere. */
export function jobScript(command: string, cwd: string | undefined): string {
  return `${cwd === undefined ? '' : `cd ${quote(cwd)} || exit 1\n`}${command}\n`
}

/**
 * Prints `<state> <pid> <dir>`: running (same command, alive), busy (another command, alive), finished
 * (same command, exit 0), started. The job body comes on stdin, so it never sits on a command line.
 */
export function startJobScript(dir: string, hash: string): string {
  return `set -u
mkdir -p ${quote(dir)} || exit 70
d=$(cd ${quote(dir)} && pwd) || exit 70
h=${quote(hash)}
pid=$(cat "$d/pid" 2>/dev/null || true)
alive() {
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  # the pid may have been reused since: make sure it is still our wrapper
  [ ! -r "/proc/$pid/cmdline" ] || tr '\\0' ' ' <"/proc/$pid/cmdline" | grep -qF "$d"
}
if [ ! -f "$d/exit" ] && alive; then
  if [ "$(cat "$d/hash" 2>/dev/null)" = "$h" ]; then echo "running $pid $d"; else echo "busy $pid $d"; fi
  exit 0
fi
if [ -f "$d/exit" ] && [ "$(cat "$d/hash" 2>/dev/null)" = "$h" ] && [ "$(cat "$d/exit")" = 0 ]; then
  echo "finished $pid $d"; exit 0
fi
rm -f "$d/exit" "$d/exit.tmp" "$d/pid"
cat >"$d/command"
printf '%s\\n' "$h" >"$d/hash"
: >"$d/log"
setsid nohup sh -c 'echo $$ >"$1/pid.tmp"; mv -f "$1/pid.tmp" "$1/pid"; sh "$1/command" >>"$1/log" 2>&1 </dev/null; echo $? >"$1/exit.tmp"; mv -f "$1/exit.tmp" "$1/exit"' lnmp-job "$d" </dev/null >/dev/null 2>&1 &
i=0
while [ ! -f "$d/pid" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i+1)); done
echo "started $(cat "$d/pid" 2>/dev/null || echo 0) $d"
`
}

/** Waits without sending output: one round trip however long the job runs. */
export function waitJobScript(dir: string): string {
  return `d=${quote(dir)}
while [ ! -f "$d/exit" ]; do
  p=$(cat "$d/pid" 2>/dev/null || true)
  if [ -n "$p" ] && ! kill -0 "$p" 2>/dev/null; then sleep 0.2; [ -f "$d/exit" ] || exit 0; fi
  sleep 1
done`
}

/** Streams the log from its start until the job's process is gone. */
export function followJobScript(dir: string, pid: number): string {
  return `tail -n +1 -F --pid=${pid} ${quote(`${dir}/log`)} 2>/dev/null || true`
}

const RESULT_MARK = '--lnmp-deploy-job-log--'

export function resultJobScript(dir: string): string {
  return `d=${quote(dir)}; cat "$d/exit" 2>/dev/null || echo lost; echo ${RESULT_MARK}; tail -n ${TAIL_LINES} "$d/log" 2>/dev/null || true`
}

export function parseStartOutput(stdout: string): {state: 'running' | 'busy' | 'finished' | 'started'; pid: number; dir: string} {
  const line = stdout.trim().split('\n').pop() ?? ''
  const match = /^(running|busy|finished|started) (\d+) (\/.*)$/.exec(line)
  if (!match) throw new Error(`unexpected job start output: ${line}`)
  // biome-ignore lint/style/noNonNullAssertion: group 3 is not optional in the regex
  return {state: match[1] as 'running', pid: Number(match[2]), dir: match[3]!}
}

export function parseResultOutput(stdout: string): {code: number | undefined; outputTail: string} {
  const at = stdout.indexOf(`${RESULT_MARK}\n`)
  const head = (at === -1 ? stdout : stdout.slice(0, at)).trim()
  const outputTail = at === -1 ? '' : stdout.slice(at + RESULT_MARK.length + 1)
  return {code: /^\d+$/.test(head) ? Number(head) : undefined, outputTail}
}

export async function runJob(host: JobHost, command: string, options: JobOptions, baseDir: string): Promise<JobResult> {
  validateJobId(options.id)
  const hash = jobHash(command, options.cwd)
  const sudo = options.sudo === true
  const check = async (what: string, script: string, extra: ExecOptions = {}) => {
    const result = await host.exec(script, {sudo, ...extra})
    if (result.code !== 0) throw new RemoteCommandError(host.name, `${what} job ${options.id}`, result)
    return result
  }
  const start = await check('start', startJobScript(jobDir(baseDir, options.id), hash), {stdin: jobScript(command, options.cwd)})
  const {state, pid, dir} = parseStartOutput(start.stdout)
  if (state === 'busy') {
    throw new RemoteCommandError(host.name, `start job ${options.id}`, {
      code: 1,
      stdout: '',
      stderr: `job ${options.id} is still running another command (pid ${pid}, ${dir}); wait for it to end or stop it`,
    })
  }
  if (state !== 'finished') {
    if (options.onOutput && pid > 0) {
      const onOutput = options.onOutput
      await check('follow', followJobScript(dir, pid), {onOutput: (chunk) => onOutput(chunk)})
    }
    // also after following: tail may stop a moment before the exit file is renamed into place
    await check('wait for', waitJobScript(dir))
  }
  const result = parseResultOutput((await check('read', resultJobScript(dir))).stdout)
  const outputTail =
    result.code === undefined ? `${result.outputTail}\n(the job's process ended without recording an exit code)`.trim() : result.outputTail
  return {code: result.code ?? 255, outputTail, logPath: `${dir}/log`, reattached: state !== 'started'}
}
