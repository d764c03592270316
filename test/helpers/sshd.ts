import {execFile, spawn, type ChildProcess} from 'node:child_process'
import {existsSync} from 'node:fs'
import {chmod, mkdir, mkdtemp, readFile, rm, unlink, writeFile} from 'node:fs/promises'
import {createServer, connect} from 'node:net'
import {join} from 'node:path'
import {promisify} from 'node:util'

/**
 * A real OpenSSH server on 127.0.0.1 for the integration tests, with keys generated per server in a
 * temporary directory. The test machine is disposable: it installs openssh-server and sudo when
 * missing and creates the test users, but never touches /etc/ssh/sshd_config or ~root/.ssh.
 */

const run = promisify(execFile)
const SSHD = '/usr/sbin/sshd'
const POLICY_RC_D = '/usr/sbin/policy-rc.d'

/** passwordless sudo */
export const SUDO_USER = 'lnmptest'
/** sudo that asks for a password */
export const SUDO_PASSWORD_USER = 'lnmpsudo'
export const SUDO_PASSWORD = 'lnmp-test-sudo-pw'
/** logs in, cannot sudo at all */
export const NO_SUDO_USER = 'lnmpnosudo'

export interface Sshd {
  host: '127.0.0.1'
  port: number
  dir: string
  hostKeyPath: string
  hostKeyType: string
  /** base64 key blob of the host key */
  hostPublicKey: string
  clientKeyPath: string
  /** `[127.0.0.1]:port type base64` */
  knownHostsLine: string
  /** what sshd logged to stderr so far (for failure messages) */
  log(): string
  stop(): Promise<void>
}

export interface SshdOptions {
  /** reuse a port (e.g. a second server with another host key where the first one was) */
  port?: number
  hostKeyType?: 'ed25519' | 'ecdsa' | 'rsa'
  /** authorize this existing client key instead of generating one */
  clientKeyPath?: string
  /** sshd's MaxSessions: channels one connection may have open at once (OpenSSH's default is 10) */
  maxSessions?: number
}

let prepared: Promise<void> | undefined

/** Install sshd and sudo and create the test users, once per process. */
export function prepareSshdHost(): Promise<void> {
  prepared ??= prepare()
  return prepared
}

async function prepare(): Promise<void> {
  if (!existsSync(SSHD) || !existsSync('/usr/bin/sudo')) await installPackages(['openssh-server', 'sudo'])
  // privilege separation directory; normally made by the service unit we do not start
  await mkdir('/run/sshd', {recursive: true, mode: 0o755})
  for (const user of [SUDO_USER, SUDO_PASSWORD_USER, NO_SUDO_USER]) await ensureUser(user)
  // '*' is "no password" without being a locked account, which sshd would refuse
  await run('usermod', ['-p', '*', SUDO_USER])
  await run('usermod', ['-p', '*', NO_SUDO_USER])
  await runWithInput('chpasswd', [], `${SUDO_PASSWORD_USER}:${SUDO_PASSWORD}\n`)
  await mkdir('/etc/sudoers.d', {recursive: true})
  const sudoers = `${SUDO_USER} ALL=(ALL) NOPASSWD: ALL\n${SUDO_PASSWORD_USER} ALL=(ALL) ALL\n`
  const sudoersPath = '/etc/sudoers.d/lnmp-deploy-test'
  await writeFile(sudoersPath, sudoers, {mode: 0o440})
  await run('visudo', ['-cf', sudoersPath])
}

async function installPackages(packages: string[]): Promise<void> {
  // keep the package's postinst from starting the system's own sshd on port 22
  const createdPolicy = !existsSync(POLICY_RC_D)
  if (createdPolicy) await writeFile(POLICY_RC_D, '#!/bin/sh\nexit 101\n', {mode: 0o755})
  const env = {...process.env, DEBIAN_FRONTEND: 'noninteractive'}
  try {
    try {
      await run('apt-get', ['install', '-y', '--no-install-recommends', ...packages], {env, maxBuffer: 64 << 20})
    } catch {
      await run('apt-get', ['update'], {env, maxBuffer: 64 << 20})
      await run('apt-get', ['install', '-y', '--no-install-recommends', ...packages], {env, maxBuffer: 64 << 20})
    }
  } finally {
    if (createdPolicy) await unlink(POLICY_RC_D).catch(() => {})
  }
}

async function ensureUser(user: string): Promise<void> {
  try {
    await run('id', ['-u', user])
  } catch {
    await run('useradd', ['-m', '-s', '/bin/sh', user])
  }
}

function runWithInput(file: string, args: string[], input: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = execFile(file, args, (error) => (error ? reject(error) : resolve()))
    child.stdin?.end(input)
  })
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}

export async function startSshd(options: SshdOptions = {}): Promise<Sshd> {
  await prepareSshdHost()
  // not under /tmp: StrictModes refuses an AuthorizedKeysFile below a world-writable directory
  const dir = await mkdtemp('/run/lnmp-deploy-sshd-')
  try {
    await chmod(dir, 0o755)
    const type = options.hostKeyType ?? 'ed25519'
    const hostKeyPath = join(dir, `host_${type}`)
    await run('ssh-keygen', ['-q', '-t', type, '-N', '', '-C', 'lnmp-deploy-test-host', '-f', hostKeyPath])
    let clientKeyPath = options.clientKeyPath
    if (!clientKeyPath) {
      clientKeyPath = join(dir, 'client_ed25519')
      await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'lnmp-deploy-test-client', '-f', clientKeyPath])
    }
    const authorizedKeys = join(dir, 'authorized_keys')
    await writeFile(authorizedKeys, await readFile(`${clientKeyPath}.pub`, 'utf8'), {mode: 0o644})
    const [keyType = '', hostPublicKey = ''] = (await readFile(`${hostKeyPath}.pub`, 'utf8')).trim().split(/\s+/)

    const port = options.port ?? (await freePort())
    const configPath = join(dir, 'sshd_config')
    await writeFile(
      configPath,
      sshdConfig({port, hostKeyPath, authorizedKeys, pidFile: join(dir, 'sshd.pid'), maxSessions: options.maxSessions}),
    )
    await run(SSHD, ['-t', '-f', configPath])

    const child = spawn(SSHD, ['-D', '-e', '-f', configPath], {stdio: ['ignore', 'ignore', 'pipe']})
    let log = ''
    child.stderr?.on('data', (chunk: Buffer) => {
      log += chunk.toString()
    })
    await waitForListening(child, port, () => log)

    let stopped = false
    return {
      host: '127.0.0.1',
      port,
      dir,
      hostKeyPath,
      hostKeyType: keyType,
      hostPublicKey,
      clientKeyPath,
      knownHostsLine: `[127.0.0.1]:${port} ${keyType} ${hostPublicKey}`,
      log: () => log,
      async stop() {
        if (stopped) return
        stopped = true
        await killChild(child)
        await rm(dir, {recursive: true, force: true})
      },
    }
  } catch (error) {
    await rm(dir, {recursive: true, force: true})
    throw error
  }
}

function sshdConfig(o: {
  port: number
  hostKeyPath: string
  authorizedKeys: string
  pidFile: string
  maxSessions?: number | undefined
}): string {
  return [
    `Port ${o.port}`,
    'ListenAddress 127.0.0.1',
    `HostKey ${o.hostKeyPath}`,
    `PidFile ${o.pidFile}`,
    `AuthorizedKeysFile ${o.authorizedKeys}`,
    'StrictModes yes',
    'PubkeyAuthentication yes',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'PermitRootLogin prohibit-password',
    // PAM would want a full login stack (pam_systemd, motd) that a test machine may lack
    'UsePAM no',
    'AllowTcpForwarding yes',
    'Subsystem sftp internal-sftp',
    'LogLevel VERBOSE',
    ...(o.maxSessions === undefined ? [] : [`MaxSessions ${o.maxSessions}`]),
    '',
  ].join('\n')
}

async function waitForListening(child: ChildProcess, port: number, log: () => string): Promise<void> {
  const deadline = Date.now() + 10_000
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`sshd exited with ${child.exitCode}:\n${log()}`)
    if (await canConnect(port)) return
    await new Promise((r) => setTimeout(r, 50))
  }
  await killChild(child)
  throw new Error(`sshd did not listen on 127.0.0.1:${port} within 10 s:\n${log()}`)
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({host: '127.0.0.1', port})
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
  })
}

/** Only the listener we spawned, by its pid; its connections end with their clients. */
async function killChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  process.kill(child.pid, 'SIGTERM')
  const timer = setTimeout(() => {
    if (child.exitCode === null && child.pid !== undefined) process.kill(child.pid, 'SIGKILL')
  }, 3000)
  await exited
  clearTimeout(timer)
}
