import {closeSync, mkdirSync, openSync, writeSync} from 'node:fs'
import {join} from 'node:path'

import {RemoteCommandError} from '../ssh/remote.js'
import type {ExecOptions, ExecResult, JobOptions, JobResult, Remote} from '../ssh/remote.js'
import {redact} from '../redact.js'

const TAIL_LINES = 20
const TAIL_BYTES = 64 * 1024

/** `2025-01-31T12-00-00-000Z`: sortable, and legal in every file system. */
export function runDirName(now: Date): string {
  return now.toISOString().replaceAll(':', '-').replace('.', '-')
}

export function runLogDir(configDir: string, now: Date): string {
  return join(configDir, '.lnmp-deploy', 'runs', runDirName(now))
}

function safeSegment(s: string): string {
  return s.replaceAll(/[^A-Za-z0-9._-]/g, '_')
}

/**
 * Everything one step did on one host: each command, its output and its exit code, with secrets
 * replaced by ***. Without a path it only keeps the tail, for the failure record.
 */
export class StepLog {
  private fd: number | undefined
  private partial = ''
  private lastOutput = ''
  private readonly secretValues: Set<string>

  constructor(
    readonly path: string | undefined,
    secretValues: Iterable<string> = [],
    /** each chunk of command output, redacted, in whole lines (progress events) */
    private readonly onText?: (text: string) => void,
  ) {
    this.secretValues = new Set(secretValues)
    if (path) {
      mkdirSync(join(path, '..'), {recursive: true})
      this.fd = openSync(path, 'a', 0o600)
    }
  }

  /** a new command: its output becomes the tail a failure shows */
  command(command: string, secretValues: string[] = []): void {
    this.flush()
    for (const s of secretValues) this.secretValues.add(s)
    this.lastOutput = ''
    this.write(`$ ${redact(command, this.secretValues)}\n`)
  }

  output(chunk: string): void {
    // whole lines only, so a secret split across two chunks is still caught
    const text = this.partial + chunk
    const cut = text.lastIndexOf('\n')
    this.partial = cut === -1 ? text : text.slice(cut + 1)
    if (cut !== -1) this.emit(text.slice(0, cut + 1))
  }

  note(text: string): void {
    this.flush()
    this.write(`# ${redact(text, this.secretValues)}\n`)
  }

  /** the last lines of the latest command's output, redacted */
  tail(lines = TAIL_LINES): string {
    const all = redact(this.lastOutput + this.partial, this.secretValues)
      .trimEnd()
      .split('\n')
    return all.slice(-lines).join('\n')
  }

  close(): void {
    this.flush()
    if (this.fd !== undefined) closeSync(this.fd)
    this.fd = undefined
  }

  private flush(): void {
    if (this.partial !== '') this.emit(`${this.partial}\n`)
    this.partial = ''
  }

  private emit(text: string): void {
    const clean = redact(text, this.secretValues)
    this.lastOutput = (this.lastOutput + clean).slice(-TAIL_BYTES)
    this.write(clean)
    this.onText?.(clean)
  }

  private write(text: string): void {
    if (this.fd !== undefined) writeSync(this.fd, text)
  }
}

/** The run's log folder: `<configDir>/.lnmp-deploy/runs/<timestamp>/<host>/<step>.log`. */
export class RunLogs {
  constructor(
    readonly dir: string | undefined,
    private readonly secretValues: Iterable<string> = [],
  ) {}

  stepLog(host: string, stepId: string, onText?: (text: string) => void): StepLog {
    const path = this.dir ? join(this.dir, safeSegment(host), `${safeSegment(stepId)}.log`) : undefined
    return new StepLog(path, this.secretValues, onText)
  }
}

/** A Remote that writes every command it runs, and its output, into a step's log. */
export function loggingRemote(remote: Remote, log: StepLog): Remote {
  const traced = (options: ExecOptions | undefined): {options: ExecOptions; streamed: () => boolean} => {
    let streamed = false
    return {
      options: {
        ...options,
        onOutput: (chunk, stream) => {
          streamed = true
          log.output(chunk)
          options?.onOutput?.(chunk, stream)
        },
      },
      streamed: () => streamed,
    }
  }
  const after = (result: ExecResult, streamed: boolean): void => {
    if (!streamed) {
      if (result.stdout) log.output(result.stdout.endsWith('\n') ? result.stdout : `${result.stdout}\n`)
      if (result.stderr) log.output(result.stderr.endsWith('\n') ? result.stderr : `${result.stderr}\n`)
    }
    log.note(`exit ${result.code}`)
  }

  return {
    name: remote.name,
    async exec(command, options) {
      log.command(command, options?.secretValues)
      const t = traced(options)
      const result = await remote.exec(command, t.options)
      after(result, t.streamed())
      return result
    },
    async run(command, options) {
      log.command(command, options?.secretValues)
      const t = traced(options)
      try {
        const result = await remote.run(command, t.options)
        after(result, t.streamed())
        return result
      } catch (error) {
        if (error instanceof RemoteCommandError) after(error.result, t.streamed())
        else log.note(`failed: ${(error as Error).message}`)
        throw error
      }
    },
    async writeFile(remotePath, content, options) {
      log.note(
        `write ${remotePath} (${Buffer.byteLength(content)} bytes${options?.mode === undefined ? '' : `, mode 0${options.mode.toString(8)}`})`,
      )
      await remote.writeFile(remotePath, content, options)
    },
    async upload(localPath, remotePath, options) {
      log.note(`upload ${localPath} to ${remotePath}`)
      await remote.upload(localPath, remotePath, options)
    },
    async download(remotePath, localPath) {
      log.note(`download ${remotePath} to ${localPath}`)
      await remote.download(remotePath, localPath)
    },
    async runJob(command: string, options: JobOptions): Promise<JobResult> {
      log.command(`[job ${options.id}] ${command}`)
      let streamed = false
      const result = await remote.runJob(command, {
        ...options,
        onOutput: (chunk) => {
          streamed = true
          log.output(chunk)
          options.onOutput?.(chunk)
        },
      })
      if (!streamed && result.outputTail) log.output(`${result.outputTail}\n`)
      log.note(`job ${options.id}: exit ${result.code}${result.reattached ? ' (reattached)' : ''}, log on the host: ${result.logPath}`)
      return result
    },
    close: () => remote.close(),
  }
}
