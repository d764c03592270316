import ssh2 from 'ssh2'

import {ConnectionError} from '../errors.js'
import {appendKnownHostsLine, fingerprintSha256, formatKnownHostsLine, keyTypeOfBlob} from './known-hosts.js'

export interface ScannedHostKey {
  keyType: string
  /** `SHA256:...`, as ssh-keygen -l shows it */
  fingerprint: string
  /** base64 of the key blob */
  publicKey: string
}

export interface ScanTarget {
  address: string
  port: number
  timeoutMs?: number
  /** the configured host name, for messages; defaults to the address */
  name?: string
  /** key types to ask for first (ssh2's order otherwise); the type later connections will prefer */
  preferredKeyTypes?: string[]
  /** an already open stream to the host (a jump host's forwardOut) instead of a TCP connection */
  sock?: NodeJS.ReadableStream & NodeJS.WritableStream
}

/**
 * Connect only as far as the key exchange, capture the host key the server proves it holds, and hang up
 * before authenticating: `init` shows the fingerprint for the user to confirm.
 */
export function scanHostKey(target: ScanTarget): Promise<ScannedHostKey> {
  const name = target.name ?? target.address
  return new Promise((resolve, reject) => {
    const client = new ssh2.Client()
    let captured: ScannedHostKey | undefined
    let settled = false
    const finish = (error?: Error) => {
      if (settled) return
      settled = true
      client.end()
      if (captured) resolve(captured)
      else reject(error ?? new ConnectionError(name, `no host key received from ${target.address}:${target.port}`))
    }
    client.on('error', (error: Error) => {
      if (captured) return finish()
      finish(connectError(name, target, error))
    })
    client.on('close', () => finish())
    client.on('ready', () => finish())
    const algorithms = target.preferredKeyTypes?.length ? {serverHostKey: orderHostKeyAlgorithms(target.preferredKeyTypes)} : undefined
    client.connect({
      host: target.sock ? undefined : target.address,
      port: target.port,
      sock: target.sock as never,
      username: 'lnmp-deploy-keyscan',
      readyTimeout: target.timeoutMs ?? 10_000,
      ...(algorithms ? {algorithms: algorithms as never} : {}),
      // must return synchronously: ssh2 treats any returned value (a Promise too) as the verdict
      hostVerifier: (key: Buffer) => {
        captured = {keyType: keyTypeOfBlob(key), fingerprint: fingerprintSha256(key), publicKey: key.toString('base64')}
        return false
      },
    })
  })
}

export interface RecordedHostKey {
  /** the configured host name, kept as the entry's comment */
  name: string
  address: string
  port: number
  keyType: string
  publicKey: string
}

/** Append a key the user confirmed to the project's known_hosts. */
export async function recordHostKey(knownHostsPath: string, key: RecordedHostKey): Promise<void> {
  const line = formatKnownHostsLine({
    host: key.address,
    port: key.port,
    keyType: key.keyType,
    publicKey: key.publicKey,
    comment: `lnmp-deploy:${key.name}`,
  })
  await appendKnownHostsLine(knownHostsPath, line)
}

const ALL_HOST_KEY_ALGORITHMS = [
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'rsa-sha2-512',
  'rsa-sha2-256',
  'ssh-rsa',
]

/**
 * Like ssh's HostKeyAlgorithms reordering: ask first for the types already known for the host, so a
 * recorded ed25519 key is what the server presents, not an ecdsa one that would look unknown.
 * An `ssh-rsa` key blob is offered by the rsa-sha2-* signature algorithms too.
 */
export function orderHostKeyAlgorithms(knownKeyTypes: string[]): string[] {
  const first: string[] = []
  for (const type of knownKeyTypes) {
    const algos = type === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : [type]
    for (const a of algos) if (ALL_HOST_KEY_ALGORITHMS.includes(a) && !first.includes(a)) first.push(a)
  }
  return [...first, ...ALL_HOST_KEY_ALGORITHMS.filter((a) => !first.includes(a))]
}

function connectError(name: string, target: {address: string; port: number}, error: Error): ConnectionError {
  const code = (error as NodeJS.ErrnoException).code
  const where = `${target.address}:${target.port}`
  if (code === 'ECONNREFUSED') return new ConnectionError(name, `connection refused by ${where}`, {cause: error})
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return new ConnectionError(name, `cannot resolve ${target.address}`, {cause: error})
  if (/timed out/i.test(error.message)) return new ConnectionError(name, `timed out connecting to ${where}`, {cause: error})
  return new ConnectionError(name, `cannot read the host key of ${where}: ${error.message}`, {cause: error})
}
