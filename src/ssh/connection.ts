import {randomBytes} from 'node:crypto'
import {rename, rm} from 'node:fs/promises'
import {posix} from 'node:path'

import {ConnectionError} from '../errors.js'
import {openConnection, type ConnectOptions, type OpenConnection, type SshTarget} from './connect.js'
import {ChannelDroppedError, ChannelRefusedError, execOnChannel} from './exec-channel.js'
import {JOBS_DIR, USER_JOBS_DIR, runJob} from './jobs.js'
import {redact} from '../redact.js'
import {Slots} from '../slots.js'
import {RemoteCommandError, type ExecOptions, type ExecResult, type JobOptions, type JobResult, type Remote} from './remote.js'
import {cmd} from './shell.js'
import {SUDO_PROBE, modeFromProbe, sudoRefusal, wrapCommand, type SudoMode} from './sudo.js'

export interface SshRemoteOptions extends ConnectOptions {
  /** the run's sudo password, for users without NOPASSWD; fed on stdin, redacted everywhere */
  sudoPassword?: string
}

type Source = {content: string | Buffer} | {localPath: string}

/**
 * Channels open at once on one connection. OpenSSH refuses a connection's 11th (MaxSessions 10) with "Channel open
 * failure", which reads as a lost host; and many callers share a connection at once: the checks of a run or a verify,
 * every web host asking lb01 about its rotation, lb01's own requests through itself to each of 23 web hosts. Every
 * channel (a command, an SFTP session) waits for one of these instead. A few stay free for another tool's login.
 */
export const CHANNELS_PER_CONNECTION = 8

/** waits before asking again for a channel the server refused: ~6 s in all, a busy host's sshd reaps its sessions by then */
const REFUSED_CHANNEL_WAITS_MS = [50, 100, 200, 400, 800, 1600, 3200]

async function retryRefused<T>(open: () => Promise<T>): Promise<T> {
  for (const wait of REFUSED_CHANNEL_WAITS_MS) {
    try {
      return await open()
    } catch (error) {
      if (!(error instanceof ChannelRefusedError)) throw error
      await new Promise((resolve) => setTimeout(resolve, wait))
    }
  }
  return open()
}

/** One host over one SSH connection, opened on first use and reopened if it drops. */
export class SshRemote implements Remote {
  private connection: Promise<OpenConnection> | undefined
  private sudoMode: Promise<SudoMode> | undefined
  private readonly channels = new Slots(CHANNELS_PER_CONNECTION)

  constructor(
    readonly target: SshTarget,
    private readonly options: SshRemoteOptions,
  ) {}

  get name(): string {
    return this.target.name
  }

  /** Connect now (and verify the host key) rather than on the first command. */
  async connect(): Promise<void> {
    await this.open()
  }

  async exec(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    const conn = await this.open()
    const mode = options.sudo ? await this.resolveSudo() : undefined
    const wrapped = wrapCommand(command, {
      sudo: options.sudo,
      cwd: options.cwd,
      mode,
      ...(this.options.sudoPassword === undefined ? {} : {password: this.options.sudoPassword}),
    })
    const stdin = wrapped.stdinPrefix + (options.stdin ?? '')
    let result: ExecResult
    try {
      result = await this.channels.use(() =>
        retryRefused(() =>
          execOnChannel(conn.client, wrapped.command, {
            ...(stdin ? {stdin} : {}),
            ...(options.timeoutMs === undefined ? {} : {timeoutMs: options.timeoutMs}),
            ...(options.onOutput ? {onOutput: options.onOutput} : {}),
          }),
        ),
      )
    } catch (error) {
      if (error instanceof ChannelDroppedError || error instanceof ChannelRefusedError) {
        // given up on: closed too, or its socket would keep this process alive after the run
        this.forget(conn)
        conn.client.end()
        throw new ConnectionError(this.name, `${error.message}: ${this.redact(command, options)}`, {cause: error})
      }
      throw error
    }
    if (mode !== undefined && mode !== 'root' && result.code === 1 && /^sudo: /m.test(result.stderr)) {
      const refusal = sudoRefusal(result.stderr)
      if (refusal) throw this.sudoError(refusal)
    }
    return result
  }

  async run(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    const result = await this.exec(command, options)
    if (result.code !== 0) {
      throw new RemoteCommandError(this.name, this.redact(command, options), {
        code: result.code,
        stdout: this.redact(result.stdout, options),
        stderr: this.redact(result.stderr, options),
      })
    }
    return result
  }

  writeFile(remotePath: string, content: string | Buffer, options: {sudo?: boolean; mode?: number} = {}): Promise<void> {
    return this.place(remotePath, {content}, options)
  }

  upload(localPath: string, remotePath: string, options: {sudo?: boolean; mode?: number} = {}): Promise<void> {
    return this.place(remotePath, {localPath}, options)
  }

  /** Copy a file the login user can read to a local path: temp file beside it, then rename, so no half file is left. */
  async download(remotePath: string, localPath: string): Promise<void> {
    if (!posix.isAbsolute(remotePath)) throw new Error(`${this.name}: remote path must be absolute: ${remotePath}`)
    const temp = `${localPath}.lnmp-${randomBytes(6).toString('hex')}`
    try {
      await this.sftpGet(remotePath, temp)
      await rename(temp, localPath)
    } catch (error) {
      await rm(temp, {force: true}).catch(() => undefined)
      throw error
    }
  }

  async runJob(command: string, options: JobOptions): Promise<JobResult> {
    const asRoot = options.sudo === true || (await this.resolveSudoIfRoot())
    return runJob(this, command, options, asRoot ? JOBS_DIR : USER_JOBS_DIR)
  }

  async close(): Promise<void> {
    const pending = this.connection
    this.connection = undefined
    this.sudoMode = undefined
    if (pending) (await pending.catch(() => undefined))?.close()
  }

  /** Fault injection for tests: drop the TCP connection without an SSH goodbye, as a network failure would. */
  async dropConnection(): Promise<void> {
    const pending = this.connection
    if (!pending) return
    const conn = await pending
    this.forget(conn)
    conn.client.destroy()
  }

  private open(): Promise<OpenConnection> {
    if (!this.connection) {
      const opening = openConnection(this.target, this.options).then((conn) => {
        conn.client.once('close', () => this.forget(conn))
        return conn
      })
      this.connection = opening
      // a failed attempt is not cached: the next call tries again
      opening.catch(() => {
        if (this.connection === opening) this.connection = undefined
      })
    }
    return this.connection
  }

  private forget(conn: OpenConnection): void {
    void this.connection?.then(
      (current) => {
        if (current === conn) {
          this.connection = undefined
          this.sudoMode = undefined
        }
      },
      () => undefined,
    )
  }

  private async resolveSudoIfRoot(): Promise<boolean> {
    // a user who cannot sudo may still run jobs of their own
    return (await this.probeSudo().catch(() => undefined)) === 'root'
  }

  private async resolveSudo(): Promise<SudoMode> {
    return this.probeSudo()
  }

  /** Learn once per connection how to become root, and fail early with a clear reason when we cannot. */
  private probeSudo(): Promise<SudoMode> {
    this.sudoMode ??= (async () => {
      const conn = await this.open()
      const probe = await execOnChannel(conn.client, SUDO_PROBE)
      const found = modeFromProbe(probe.stdout)
      if (found.mode) return found.mode
      if (this.options.sudoPassword === undefined) {
        throw this.sudoError(sudoRefusal(found.detail) ?? `cannot sudo (${found.detail || 'sudo -n failed'})`)
      }
      const check = await execOnChannel(conn.client, `sudo -S -k -p '' -- true`, {stdin: `${this.options.sudoPassword}\n`})
      if (check.code !== 0) {
        throw this.sudoError(sudoRefusal(check.stderr) ?? `sudo failed: ${redact(check.stderr.trim(), [this.options.sudoPassword])}`)
      }
      return 'password' as const
    })()
    this.sudoMode.catch(() => {
      this.sudoMode = undefined
    })
    return this.sudoMode
  }

  private sudoError(reason: string): ConnectionError {
    const user = this.target.user
    return new ConnectionError(this.name, `user ${user} cannot become root: ${reason}`, {
      hint: `allow ${user} passwordless sudo, give ssh.sudoPassword in lnmp-deploy.yml, or log in as root`,
    })
  }

  private redact(text: string, options: ExecOptions): string {
    const secretValues = [...(options.secretValues ?? [])]
    if (this.options.sudoPassword) secretValues.push(this.options.sudoPassword)
    return redact(text, secretValues)
  }

  /**
   * Upload to a temp file, then rename over the target: readers never see half a file. Without root the
   * temp file goes to /tmp as the login user and `install` copies it beside the target as root.
   */
  private async place(remotePath: string, source: Source, options: {sudo?: boolean; mode?: number}): Promise<void> {
    if (!posix.isAbsolute(remotePath)) throw new Error(`${this.name}: remote path must be absolute: ${remotePath}`)
    const mode = (options.mode ?? 0o644).toString(8).padStart(4, '0')
    const suffix = randomBytes(6).toString('hex')
    const beside = posix.join(posix.dirname(remotePath), `.${posix.basename(remotePath)}.lnmp-${suffix}`)
    const viaStaging = options.sudo === true && (await this.probeSudo()) !== 'root'
    const staged = viaStaging ? `/tmp/lnmp-deploy-upload-${suffix}` : beside
    await this.sftpPut(staged, source)
    const script = viaStaging
      ? `${cmd('install', '-m', mode, '--', staged, beside)} && ${cmd('mv', '-f', '--', beside, remotePath)}; rc=$?; ${cmd('rm', '-f', '--', staged, beside)}; exit $rc`
      : `${cmd('chmod', mode, '--', staged)} && ${cmd('mv', '-f', '--', staged, remotePath)}; rc=$?; [ $rc -eq 0 ] || ${cmd('rm', '-f', '--', staged)}; exit $rc`
    await this.run(script, {sudo: options.sudo === true})
  }

  private sftpPut(path: string, source: Source): Promise<void> {
    return this.channels.use(() => this.sftpPutOnChannel(path, source))
  }

  private async sftpPutOnChannel(path: string, source: Source): Promise<void> {
    const conn = await this.open()
    const sftp = await conn.ssh.requestSFTP()
    try {
      await new Promise<void>((resolve, reject) => {
        const done = (error?: Error | null) => (error ? reject(error) : resolve())
        if ('content' in source) sftp.writeFile(path, source.content, {mode: 0o600}, done)
        else sftp.fastPut(source.localPath, path, {mode: 0o600}, done)
      })
    } catch (error) {
      throw new RemoteCommandError(this.name, `sftp put ${path}`, {code: 1, stdout: '', stderr: (error as Error).message})
    } finally {
      sftp.end()
    }
  }

  private sftpGet(remotePath: string, localPath: string): Promise<void> {
    return this.channels.use(() => this.sftpGetOnChannel(remotePath, localPath))
  }

  private async sftpGetOnChannel(remotePath: string, localPath: string): Promise<void> {
    const conn = await this.open()
    const sftp = await conn.ssh.requestSFTP()
    try {
      await new Promise<void>((resolve, reject) => {
        sftp.fastGet(remotePath, localPath, (error?: Error | null) => (error ? reject(error) : resolve()))
      })
    } catch (error) {
      throw new RemoteCommandError(this.name, `sftp get ${remotePath}`, {code: 1, stdout: '', stderr: (error as Error).message})
    } finally {
      sftp.end()
    }
  }
}
