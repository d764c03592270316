import {HostKeyError} from '../errors.js'
import {recordHostKey} from './host-key-scan.js'
import {entryMatchesHost, fingerprintSha256, keysForHost, keyTypeOfBlob, readKnownHostsFile, type KnownHostEntry} from './known-hosts.js'

/**
 * Decide whether to talk to a host from the key it presents. Unknown keys are refused unless the user
 * asked to accept new ones; a changed key is refused always. Checking is never switched off.
 */

export interface HostKeyPolicyOptions {
  /** the configured host name, used in messages and as the recorded entry's comment */
  name: string
  /** what we connect to, and what known_hosts is looked up by */
  address: string
  port: number
  /** the project's own known_hosts: read, and the one new keys are appended to */
  projectKnownHosts: string
  /** ~/.ssh/known_hosts, read only; omit to ignore it */
  userKnownHosts?: string
  acceptNew?: boolean
}

export interface SourcedEntry extends KnownHostEntry {
  file: string
}

export type HostKeyVerdict =
  | {kind: 'match'; entry: SourcedEntry}
  | {kind: 'unknown'}
  | {kind: 'changed'; expected: SourcedEntry[]}
  | {kind: 'revoked'; entry: SourcedEntry}

/** Pure: compare a presented key with what the known_hosts files say about the host. */
export function judgeHostKey(entries: SourcedEntry[], address: string, port: number, blob: Buffer): HostKeyVerdict {
  const presented = blob.toString('base64')
  const revoked = entries.find((e) => e.marker === 'revoked' && e.publicKey === presented && entryMatchesHost(e, address, port))
  if (revoked) return {kind: 'revoked', entry: revoked}
  const known = keysForHost(entries, address, port) as SourcedEntry[]
  const match = known.find((e) => e.publicKey === presented)
  if (match) return {kind: 'match', entry: match}
  if (known.length === 0) return {kind: 'unknown'}
  // another key of any type on record: the server is not the one we met, whatever type it offers now
  return {kind: 'changed', expected: known}
}

export class HostKeyPolicy {
  constructor(readonly options: HostKeyPolicyOptions) {}

  async entries(): Promise<SourcedEntry[]> {
    const files = [this.options.projectKnownHosts, ...(this.options.userKnownHosts ? [this.options.userKnownHosts] : [])]
    const all: SourcedEntry[] = []
    for (const file of files) for (const e of await readKnownHostsFile(file)) all.push({...e, file})
    return all
  }

  /** Key types on record for the host, to ask the server for those first. */
  async knownKeyTypes(): Promise<string[]> {
    const {address, port} = this.options
    return [...new Set(keysForHost(await this.entries(), address, port).map((e) => e.keyType))]
  }

  /** Resolves when the key may be trusted (recording it if new and accepted); rejects with HostKeyError. */
  async check(blob: Buffer): Promise<void> {
    const {name, address, port, acceptNew, projectKnownHosts} = this.options
    const verdict = judgeHostKey(await this.entries(), address, port, blob)
    const keyType = keyTypeOfBlob(blob)
    const fingerprint = fingerprintSha256(blob)
    const where = `${address}:${port}`
    switch (verdict.kind) {
      case 'match':
        return
      case 'unknown':
        if (acceptNew) {
          await recordHostKey(projectKnownHosts, {name, address, port, keyType, publicKey: blob.toString('base64')})
          return
        }
        throw new HostKeyError(name, `unknown host key for ${where}: ${keyType} ${fingerprint}`, {
          hint: `check the fingerprint, then confirm it with \`lnmp-deploy init\` or pass --accept-new-host-keys (it is recorded in ${projectKnownHosts})`,
        })
      case 'revoked':
        throw new HostKeyError(
          name,
          `host key for ${where} is revoked (${verdict.entry.file}:${verdict.entry.line}): ${keyType} ${fingerprint}`,
        )
      case 'changed': {
        const expected = verdict.expected.map((e) => `${e.keyType} ${fingerprintSha256(e.publicKey)} (${e.file}:${e.line})`).join(', ')
        throw new HostKeyError(name, `HOST KEY CHANGED for ${where}: presented ${keyType} ${fingerprint}, expected ${expected}`, {
          hint: 'someone may be intercepting the connection, or the host was reinstalled; if you know it was, remove the old line from the known_hosts file named above and confirm the new key with `lnmp-deploy init`',
        })
      }
    }
  }

  /**
   * An ssh2 hostVerifier. It must return undefined and answer through the callback: ssh2 takes any
   * returned value, a pending Promise included, as the verdict. The refusal is kept for the caller,
   * since ssh2 itself only reports "verification failed".
   */
  verifier(): {hostVerifier: (key: Buffer, verify: (ok: boolean) => void) => void; refusal: () => Error | undefined} {
    let refusal: Error | undefined
    const hostVerifier = (key: Buffer, verify: (ok: boolean) => void): void => {
      this.check(key).then(
        () => verify(true),
        (error: Error) => {
          refusal = error
          verify(false)
        },
      )
    }
    return {hostVerifier, refusal: () => refusal}
  }
}
