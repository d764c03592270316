import {readFile} from 'node:fs/promises'
import {homedir} from 'node:os'
import {join} from 'node:path'
import {NodeSSH, type Config as NodeSshConfig} from 'node-ssh'
import ssh2 from 'ssh2'

import {ConnectionError} from '../errors.js'
import {orderHostKeyAlgorithms} from './host-key-scan.js'
import {HostKeyPolicy} from './host-key-policy.js'

/** Everything needed to reach one host, defaults and ~/.ssh/config already applied. */
export interface SshTarget {
  /** the configured host name, in every message */
  name: string
  address: string
  port: number
  user: string
  /** tried in order: the first that exists is used; empty means ssh's default key files */
  identityFiles: string[]
  /** true when identityFiles came from the user (a missing one is then an error, not a fallback) */
  identityExplicit?: boolean
  jump?: SshTarget
}

export interface ConnectOptions {
  projectKnownHosts: string
  userKnownHosts?: string
  acceptNewHostKeys?: boolean
  connectTimeoutMs: number
  /** 0 turns keepalives off */
  keepaliveMs: number
  /** ssh-agent socket; defaults to $SSH_AUTH_SOCK */
  agent?: string
}

/** A connection and the jump connections it rides on, closed together. */
export interface OpenConnection {
  ssh: NodeSSH
  client: ssh2.Client
  close(): void
}

const DEFAULT_KEYS = ['id_ed25519', 'id_ecdsa', 'id_rsa']

export async function openConnection(target: SshTarget, options: ConnectOptions): Promise<OpenConnection> {
  let jump: OpenConnection | undefined
  let sock: ssh2.ConnectConfig['sock']
  if (target.jump) {
    jump = await openConnection(target.jump, options)
    try {
      sock = await jump.ssh.forwardOut('127.0.0.1', 0, target.address, target.port)
    } catch (error) {
      jump.close()
      throw new ConnectionError(
        target.name,
        `cannot reach ${target.address}:${target.port} through jump host ${target.jump.name}: ${(error as Error).message}`,
        {cause: error},
      )
    }
  }
  try {
    const ssh = await connectOne(target, options, sock)
    // biome-ignore lint/style/noNonNullAssertion: node-ssh sets connection once connect() has resolved
    const client = ssh.connection!
    return {
      ssh,
      client,
      close() {
        ssh.dispose()
        jump?.close()
      },
    }
  } catch (error) {
    jump?.close()
    throw error
  }
}

async function connectOne(target: SshTarget, options: ConnectOptions, sock: ssh2.ConnectConfig['sock']): Promise<NodeSSH> {
  const policy = new HostKeyPolicy({
    name: target.name,
    address: target.address,
    port: target.port,
    projectKnownHosts: options.projectKnownHosts,
    ...(options.userKnownHosts ? {userKnownHosts: options.userKnownHosts} : {}),
    ...(options.acceptNewHostKeys ? {acceptNew: true} : {}),
  })
  const {hostVerifier, refusal} = policy.verifier()
  const key = await loadIdentity(target)
  const agent = options.agent ?? process.env.SSH_AUTH_SOCK
  if (!key && !agent) {
    throw new ConnectionError(
      target.name,
      `no SSH key to log in as ${target.user}: none of ${defaultKeyPaths().join(', ')} exists and no ssh-agent is running`,
      {
        hint: 'set identityFile for the host or ssh.identityFile in lnmp-deploy.yml',
      },
    )
  }
  const config: NodeSshConfig = {
    username: target.user,
    port: target.port,
    readyTimeout: options.connectTimeoutMs,
    keepaliveInterval: options.keepaliveMs,
    keepaliveCountMax: 3,
    hostVerifier,
    algorithms: {serverHostKey: orderHostKeyAlgorithms(await policy.knownKeyTypes()) as ssh2.ServerHostKeyAlgorithm[]},
    ...(sock ? {sock} : {host: target.address}),
    ...(key ? {privateKey: key.text} : {}),
    ...(agent ? {agent} : {}),
  }
  const ssh = new NodeSSH()
  try {
    await ssh.connect(config)
  } catch (error) {
    ssh.dispose()
    throw refusal() ?? describeConnectFailure(target, key?.path, error as Error)
  }
  return ssh
}

function defaultKeyPaths(): string[] {
  return DEFAULT_KEYS.map((k) => join(homedir(), '.ssh', k))
}

async function loadIdentity(target: SshTarget): Promise<{path: string; text: string} | undefined> {
  const explicit = target.identityExplicit === true && target.identityFiles.length > 0
  const candidates = target.identityFiles.length > 0 ? target.identityFiles : defaultKeyPaths()
  for (const path of candidates) {
    let text: string
    try {
      text = await readFile(path, 'utf8')
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      if (code === 'ENOENT') continue
      throw new ConnectionError(target.name, `cannot read identity file ${path}: ${code ?? (error as Error).message}`, {cause: error})
    }
    const parsed = ssh2.utils.parseKey(text)
    if (parsed instanceof Error) {
      const encrypted = /encrypted|passphrase/i.test(parsed.message)
      throw new ConnectionError(
        target.name,
        encrypted
          ? `identity file ${path} is protected by a passphrase`
          : `identity file ${path} is not a private key ssh can use: ${parsed.message}`,
        encrypted ? {hint: 'load it into ssh-agent (ssh-add) and leave identityFile unset, or use a key without a passphrase'} : {},
      )
    }
    return {path, text}
  }
  if (explicit) {
    throw new ConnectionError(target.name, `identity file ${target.identityFiles.join(', ')} does not exist`, {
      hint: 'fix identityFile in lnmp-deploy.yml (relative paths are relative to the config file)',
    })
  }
  return undefined
}

function describeConnectFailure(target: SshTarget, keyPath: string | undefined, error: Error): ConnectionError {
  const where = `${target.user}@${target.address}:${target.port}`
  const code = (error as NodeJS.ErrnoException).code
  const level = (error as {level?: string}).level
  if (code === 'ECONNREFUSED')
    return new ConnectionError(target.name, `connection refused by ${target.address}:${target.port} (is sshd running there?)`, {
      cause: error,
    })
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH')
    return new ConnectionError(target.name, `${target.address} is unreachable`, {cause: error})
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN')
    return new ConnectionError(target.name, `cannot resolve ${target.address}`, {cause: error})
  if (code === 'ETIMEDOUT' || /timed out/i.test(error.message)) {
    return new ConnectionError(target.name, `timed out connecting to ${target.address}:${target.port}`, {cause: error})
  }
  if (level === 'client-authentication' || /authentication methods failed/i.test(error.message)) {
    return new ConnectionError(target.name, `authentication failed for ${where}${keyPath ? ` with key ${keyPath}` : ''}`, {
      hint: `check that the key is in ~${target.user}/.ssh/authorized_keys on the host`,
      cause: error,
    })
  }
  return new ConnectionError(target.name, `cannot connect to ${where}: ${error.message}`, {cause: error})
}
