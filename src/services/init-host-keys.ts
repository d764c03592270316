import {HostKeyError} from '../errors.js'
import {messages} from '../messages.js'
import type {Config} from '../config/schema.js'
import {fingerprintSha256} from '../ssh/known-hosts.js'

export interface ScannedKey {
  keyType: string
  /** `SHA256:...` */
  fingerprint: string
  /** base64 key blob */
  publicKey: string
}

export interface HostKeyTarget {
  name: string
  address: string
  port: number
}

/** What was decided for one host's key. */
export interface HostKeyDecision {
  host: HostKeyTarget
  key: ScannedKey
  /** `known`: already in known_hosts with this very key; `accepted`: confirmed now, to be recorded */
  status: 'known' | 'accepted'
}

export interface HostKeyDeps {
  scanHostKey(target: HostKeyTarget & {timeoutMs: number}): Promise<ScannedKey>
  /** base64 blobs already recorded for address:port in the project's known_hosts */
  recordedKeys(knownHostsPath: string, address: string, port: number): Promise<string[]>
}

export type ConfirmKey = (host: HostKeyTarget, key: ScannedKey) => Promise<boolean>

/** Where init connects to each host: the same address and port the deploy will use. */
export function hostKeyTargets(config: Config): HostKeyTarget[] {
  return config.hosts.map((h) => ({name: h.name, address: h.address, port: h.port ?? config.ssh.port}))
}

/**
 * Fetch every host's key and decide on each before anything is written: a key already recorded passes,
 * a different recorded key is refused (a changed key is never accepted here), a new one needs `confirm`.
 * The first refusal throws a HostKeyError (exit 4), so a refused key leaves no file behind.
 */
export async function decideHostKeys(
  targets: readonly HostKeyTarget[],
  knownHostsPath: string,
  deps: HostKeyDeps,
  confirm: ConfirmKey,
  timeoutMs: number,
): Promise<HostKeyDecision[]> {
  const decisions: HostKeyDecision[] = []
  // hosts sharing an address and port (containers behind one NAT, tests) are one server: ask once
  const acceptedHere = new Map<string, string>()
  for (const host of targets) {
    const key = await deps.scanHostKey({...host, timeoutMs})
    const endpoint = `${host.address}:${host.port}`
    const recorded = await deps.recordedKeys(knownHostsPath, host.address, host.port)
    const earlier = acceptedHere.get(endpoint)
    if (earlier !== undefined) recorded.push(earlier)
    if (recorded.includes(key.publicKey)) {
      decisions.push({host, key, status: 'known'})
      continue
    }
    if (recorded.length > 0) {
      throw new HostKeyError(
        host.name,
        messages.init.changedKey(
          knownHostsPath,
          key.keyType,
          key.fingerprint,
          recorded.map((k) => fingerprintSha256(k)),
        ),
        {
          hint: messages.init.changedKeyHint(knownHostsPath),
        },
      )
    }
    if (!(await confirm(host, key))) {
      throw new HostKeyError(host.name, messages.init.refusedKey(host.name, key.fingerprint), {hint: messages.init.refusedKeyHint})
    }
    acceptedHere.set(endpoint, key.publicKey)
    decisions.push({host, key, status: 'accepted'})
  }
  return decisions
}
