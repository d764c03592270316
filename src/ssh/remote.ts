/**
 * What steps, the engine and verify may do on a host. The SSH layer implements it with one node-ssh
 * connection per host; nothing above src/ssh/ knows about SSH.
 */
export interface ExecResult {
  code: number
  stdout: string
  stderr: string
}

export interface ExecOptions {
  /** run as root: directly when the login user is root, else through sudo (-n, or the run's sudo password) */
  sudo?: boolean
  stdin?: string
  cwd?: string
  timeoutMs?: number
  /** values to replace by *** in anything logged or thrown (passwords the command carries) */
  secretValues?: string[]
  /** called with each chunk of output as it arrives (logs) */
  onOutput?: (chunk: string, stream: 'stdout' | 'stderr') => void
}

export interface JobOptions {
  /** stable id: a rerun with the same id reattaches to a running job or reads the result of a finished one */
  id: string
  sudo?: boolean
  cwd?: string
  onOutput?: (chunk: string) => void
}

export interface JobResult {
  code: number
  /** the last lines of the job's log */
  outputTail: string
  logPath: string
  /** true when this call found the job already running or finished and did not start it again */
  reattached: boolean
}

export interface Remote {
  /** the configured host name, used in every message */
  readonly name: string
  /** resolves with the result whatever the exit code; rejects only when the connection fails */
  exec(command: string, options?: ExecOptions): Promise<ExecResult>
  /** like exec, but a non-zero exit rejects with a RemoteCommandError naming the host and command */
  run(command: string, options?: ExecOptions): Promise<ExecResult>
  /** write content to a path (as root when sudo): temp file beside it, then rename */
  writeFile(remotePath: string, content: string | Buffer, options?: {sudo?: boolean; mode?: number}): Promise<void>
  /** copy a local file to the host (as root when sudo) */
  upload(localPath: string, remotePath: string, options?: {sudo?: boolean; mode?: number}): Promise<void>
  /** copy a file from the host to a local path (the login user must be able to read it); written to a temp name beside localPath, then renamed */
  download(remotePath: string, localPath: string): Promise<void>
  /**
   * Run a long command detached from the SSH connection (setsid, log and exit-code file under
   * /var/lib/lnmp-deploy/jobs/<id>/), wait for it, and survive a dropped connection.
   */
  runJob(command: string, options: JobOptions): Promise<JobResult>
  close(): Promise<void>
}

export class RemoteCommandError extends Error {
  constructor(
    readonly host: string,
    readonly command: string,
    readonly result: ExecResult,
  ) {
    const tail = (result.stderr || result.stdout).trim().split('\n').slice(-10).join('\n')
    super(`${host}: command failed with exit code ${result.code}: ${command}${tail ? `\n${tail}` : ''}`)
    this.name = 'RemoteCommandError'
  }
}
