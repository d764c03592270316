import {createHash, createHmac, randomBytes} from 'node:crypto'
import {appendFile, mkdir, readFile} from 'node:fs/promises'
import {dirname} from 'node:path'

/**
 * OpenSSH known_hosts, read and written the way ssh(1) and ssh-keygen(1) do: plain and `[host]:port`
 * patterns, comma lists, wildcards and negation, hashed `|1|salt|hash` names, @revoked and
 * @cert-authority markers, comments.
 */

export type KnownHostMarker = 'revoked' | 'cert-authority'

export interface KnownHostEntry {
  marker?: KnownHostMarker
  /** the comma list of host patterns; empty when the name is hashed */
  patterns: string[]
  /** a `|1|salt|hash` name: HMAC-SHA1 of the host token keyed by the salt */
  hashed?: {salt: Buffer; hash: Buffer}
  keyType: string
  /** base64 of the key blob, as in the file */
  publicKey: string
  comment?: string
  /** 1-based line number in its file, for messages */
  line: number
}

/** How ssh names a host in known_hosts: the bare host on port 22, `[host]:port` otherwise. */
export function hostToken(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`
}

export function parseKnownHosts(text: string): KnownHostEntry[] {
  const entries: KnownHostEntry[] = []
  text.split(/\r?\n/).forEach((raw, index) => {
    const entry = parseKnownHostsLine(raw, index + 1)
    if (entry) entries.push(entry)
  })
  return entries
}

/** One line; undefined for blank lines, comments and lines ssh itself would skip as malformed. */
export function parseKnownHostsLine(raw: string, line: number): KnownHostEntry | undefined {
  const trimmed = raw.trim()
  if (trimmed === '' || trimmed.startsWith('#')) return undefined
  const fields = trimmed.split(/\s+/)
  let marker: KnownHostMarker | undefined
  const first = fields[0]
  if (first?.startsWith('@')) {
    fields.shift()
    const name = first.slice(1)
    // an unknown marker makes ssh ignore the line: do the same rather than trust it as a plain entry
    if (name !== 'revoked' && name !== 'cert-authority') return undefined
    marker = name
  }
  const [names, keyType, publicKey, ...rest] = fields
  if (!names || !keyType || !publicKey) return undefined
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(publicKey)) return undefined
  const entry: KnownHostEntry = {patterns: [], keyType, publicKey, line}
  if (marker) entry.marker = marker
  if (rest.length > 0) entry.comment = rest.join(' ')
  if (names.startsWith('|1|')) {
    const [salt, hash] = names.slice(3).split('|')
    if (!salt || !hash) return undefined
    entry.hashed = {salt: Buffer.from(salt, 'base64'), hash: Buffer.from(hash, 'base64')}
  } else {
    entry.patterns = names.split(',').filter((p) => p !== '')
  }
  return entry
}

/** `*` and `?` wildcards, as in ssh's match_pattern, case-insensitive like host names. */
export function matchHostPattern(token: string, pattern: string): boolean {
  const re = new RegExp(
    '^' +
      pattern
        .split('')
        .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[\\^$.+()|[\]{}]/g, '\\$&')))
        .join('') +
      '$',
    'i',
  )
  return re.test(token)
}

export function entryMatchesHost(entry: KnownHostEntry, host: string, port: number): boolean {
  const token = hostToken(host, port)
  if (entry.hashed) {
    const hash = createHmac('sha1', entry.hashed.salt).update(token).digest()
    return hash.equals(entry.hashed.hash)
  }
  let matched = false
  for (const pattern of entry.patterns) {
    if (pattern.startsWith('!')) {
      // a matching negation excludes the host from the line whatever else matches
      if (matchHostPattern(token, pattern.slice(1))) return false
    } else if (matchHostPattern(token, pattern)) {
      matched = true
    }
  }
  return matched
}

/** The plain (unmarked) keys recorded for a host. */
export function keysForHost(entries: KnownHostEntry[], host: string, port: number): KnownHostEntry[] {
  return entries.filter((e) => e.marker === undefined && entryMatchesHost(e, host, port))
}

/** `SHA256:` + unpadded base64 of the key blob's sha256, as `ssh-keygen -l` prints it. */
export function fingerprintSha256(publicKey: string | Buffer): string {
  const blob = typeof publicKey === 'string' ? Buffer.from(publicKey, 'base64') : publicKey
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`
}

/** The key type is the first string inside the key blob (RFC 4253 6.6). */
export function keyTypeOfBlob(blob: Buffer): string {
  if (blob.length < 4) throw new Error('host key blob too short')
  const length = blob.readUInt32BE(0)
  if (length === 0 || length > 64 || blob.length < 4 + length) throw new Error('host key blob malformed')
  return blob.subarray(4, 4 + length).toString('ascii')
}

/** `|1|salt|hash` for a host token, as `ssh-keygen -H` writes it. */
export function hashHostToken(token: string, salt: Buffer = randomBytes(20)): string {
  const hash = createHmac('sha1', salt).update(token).digest()
  return `|1|${salt.toString('base64')}|${hash.toString('base64')}`
}

export interface KnownHostsLineInput {
  host: string
  port: number
  keyType: string
  /** base64 key blob */
  publicKey: string
  comment?: string
  hashed?: boolean
}

export function formatKnownHostsLine(input: KnownHostsLineInput): string {
  if (!/^[A-Za-z0-9@._-]+$/.test(input.keyType)) throw new Error(`bad key type ${JSON.stringify(input.keyType)}`)
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(input.publicKey)) throw new Error('public key is not base64')
  const token = hostToken(input.host, input.port)
  const name = input.hashed ? hashHostToken(token) : token
  const comment = input.comment ? ` ${input.comment.replace(/[\r\n]+/g, ' ')}` : ''
  return `${name} ${input.keyType} ${input.publicKey}${comment}`
}

/** A missing file is an empty one: the project's known_hosts does not exist before the first `init`. */
export async function readKnownHostsFile(path: string): Promise<KnownHostEntry[]> {
  try {
    return parseKnownHosts(await readFile(path, 'utf8'))
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw error
  }
}

export async function appendKnownHostsLine(path: string, line: string): Promise<void> {
  await mkdir(dirname(path), {recursive: true})
  let prefix = ''
  try {
    const current = await readFile(path, 'utf8')
    if (current.length > 0 && !current.endsWith('\n')) prefix = '\n'
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
  }
  await appendFile(path, `${prefix}${line}\n`, {mode: 0o644})
}
