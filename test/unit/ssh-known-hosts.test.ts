import {mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {judgeHostKey, type SourcedEntry} from '../../src/ssh/host-key-policy.js'
import {orderHostKeyAlgorithms} from '../../src/ssh/host-key-scan.js'
import {
  appendKnownHostsLine,
  entryMatchesHost,
  fingerprintSha256,
  formatKnownHostsLine,
  hashHostToken,
  hostToken,
  keysForHost,
  keyTypeOfBlob,
  parseKnownHosts,
  readKnownHostsFile,
} from '../../src/ssh/known-hosts.js'

// Real keys and lines made with ssh-keygen (fingerprints from `ssh-keygen -l`, hashes from `ssh-keygen -H`).
const ED = 'AAAAC3NzaC1lZDI1NTE5AAAAIMydEQ07Yjh8EM29X76fzGTDtDfgMZiRgShhJ9tikP8L'
const ED_FP = 'SHA256:VYCLrGK6lOvTNDOpINEtdYav2MhTD/uNMjMeTiRYMnc'
const EC =
  'AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBDdMA1uMr9YdB91nejUEILh5HYiCnk/JtqbzEJkJ2YxMKX0GgpHK+tMInEq2OEf29GxVUPLliHs4WZvEKvCBd2U='
const EC_FP = 'SHA256:N5A2wGrlYRCKjYGch9cPUrqnyBHtbhlwZ+3VW6fZNQM'
const HASHED_ED_2222 = `|1|+pswKajdhf0PtvEGhmbtJrGhZ2Q=|TdGv8r2LWgWwF96jyXqqvADK3HY= ssh-ed25519 ${ED}`
const HASHED_EC_EXAMPLE = `|1|2JoVAWZKuj/xShfQ75HuUxoRRd0=|E3MlAoOw5epdwicWB9k9wG8eSuI= ecdsa-sha2-nistp256 ${EC}`

describe('fingerprints and key blobs', () => {
  it('computes SHA256 fingerprints exactly as ssh-keygen -l', () => {
    expect(fingerprintSha256(ED)).toBe(ED_FP)
    expect(fingerprintSha256(Buffer.from(EC, 'base64'))).toBe(EC_FP)
  })

  it('reads the key type from the blob', () => {
    expect(keyTypeOfBlob(Buffer.from(ED, 'base64'))).toBe('ssh-ed25519')
    expect(keyTypeOfBlob(Buffer.from(EC, 'base64'))).toBe('ecdsa-sha2-nistp256')
    expect(() => keyTypeOfBlob(Buffer.from([0, 0]))).toThrow('too short')
  })
})

describe('parseKnownHosts', () => {
  it('parses plain, bracketed, comma lists, markers and comments, skipping junk', () => {
    const text = [
      '# a comment',
      '',
      `web01,10.0.0.11 ssh-ed25519 ${ED} lnmp-deploy:web01`,
      `[127.0.0.1]:2222 ecdsa-sha2-nistp256 ${EC}`,
      `@revoked * ssh-ed25519 ${ED}`,
      `@cert-authority *.example.com ssh-ed25519 ${ED}`,
      `@bogus host ssh-ed25519 ${ED}`,
      'onlytwo ssh-ed25519',
      HASHED_ED_2222,
    ].join('\n')
    const entries = parseKnownHosts(text)
    expect(entries.map((e) => [e.line, e.marker, e.patterns, e.keyType, e.comment])).toEqual([
      [3, undefined, ['web01', '10.0.0.11'], 'ssh-ed25519', 'lnmp-deploy:web01'],
      [4, undefined, ['[127.0.0.1]:2222'], 'ecdsa-sha2-nistp256', undefined],
      [5, 'revoked', ['*'], 'ssh-ed25519', undefined],
      [6, 'cert-authority', ['*.example.com'], 'ssh-ed25519', undefined],
      [9, undefined, [], 'ssh-ed25519', undefined],
    ])
    expect(entries[4]?.hashed?.salt.toString('base64')).toBe('+pswKajdhf0PtvEGhmbtJrGhZ2Q=')
  })
})

describe('host matching', () => {
  it('names a host as ssh does', () => {
    expect(hostToken('10.0.0.11', 22)).toBe('10.0.0.11')
    expect(hostToken('127.0.0.1', 2222)).toBe('[127.0.0.1]:2222')
  })

  it('matches hashed entries made by ssh-keygen -H, by host and port', () => {
    const [ed, ec] = parseKnownHosts(`${HASHED_ED_2222}\n${HASHED_EC_EXAMPLE}\n`)
    expect(entryMatchesHost(ed!, '127.0.0.1', 2222)).toBe(true)
    expect(entryMatchesHost(ed!, '127.0.0.1', 22)).toBe(false)
    expect(entryMatchesHost(ed!, '127.0.0.2', 2222)).toBe(false)
    expect(entryMatchesHost(ec!, 'example.com', 22)).toBe(true)
  })

  it('honours wildcards, negation and the port', () => {
    const [entry] = parseKnownHosts(`*.example.com,!bad.example.com,[10.0.0.?]:2222 ssh-ed25519 ${ED}`)
    expect(entryMatchesHost(entry!, 'web.example.com', 22)).toBe(true)
    expect(entryMatchesHost(entry!, 'WEB.Example.com', 22)).toBe(true)
    expect(entryMatchesHost(entry!, 'bad.example.com', 22)).toBe(false)
    expect(entryMatchesHost(entry!, '10.0.0.7', 2222)).toBe(true)
    expect(entryMatchesHost(entry!, '10.0.0.7', 22)).toBe(false)
    expect(entryMatchesHost(entry!, 'example.com', 22)).toBe(false)
  })

  it('round-trips its own hashing', () => {
    const [entry] = parseKnownHosts(`${hashHostToken('[db01]:2200')} ssh-ed25519 ${ED}`)
    expect(entryMatchesHost(entry!, 'db01', 2200)).toBe(true)
    expect(entryMatchesHost(entry!, 'db01', 22)).toBe(false)
  })

  it('keysForHost leaves marked lines out', () => {
    const entries = parseKnownHosts(`@revoked h ssh-ed25519 ${ED}\nh ecdsa-sha2-nistp256 ${EC}\n`)
    expect(keysForHost(entries, 'h', 22).map((e) => e.keyType)).toEqual(['ecdsa-sha2-nistp256'])
  })
})

describe('judgeHostKey', () => {
  const sourced = (text: string): SourcedEntry[] => parseKnownHosts(text).map((e) => ({...e, file: 'kh'}))
  const ed = Buffer.from(ED, 'base64')

  it('match, unknown, changed (any type on record), revoked', () => {
    expect(judgeHostKey(sourced(`[h]:2222 ssh-ed25519 ${ED}`), 'h', 2222, ed).kind).toBe('match')
    expect(judgeHostKey(sourced(HASHED_ED_2222), '127.0.0.1', 2222, ed).kind).toBe('match')
    expect(judgeHostKey(sourced(`other ssh-ed25519 ${ED}`), 'h', 22, ed).kind).toBe('unknown')
    const changed = judgeHostKey(sourced(`h ecdsa-sha2-nistp256 ${EC}`), 'h', 22, ed)
    expect(changed.kind).toBe('changed')
    expect(changed.kind === 'changed' && changed.expected.map((e) => e.line)).toEqual([1])
    expect(judgeHostKey(sourced(`h ssh-ed25519 ${ED}\n@revoked h ssh-ed25519 ${ED}`), 'h', 22, ed).kind).toBe('revoked')
  })
})

describe('writing known_hosts', () => {
  let dir = ''
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lnmp-kh-'))
  })
  afterEach(async () => {
    await rm(dir, {recursive: true, force: true})
  })

  it('formats lines ssh reads back', () => {
    expect(formatKnownHostsLine({host: '127.0.0.1', port: 2222, keyType: 'ssh-ed25519', publicKey: ED, comment: 'lnmp-deploy:web01'})).toBe(
      `[127.0.0.1]:2222 ssh-ed25519 ${ED} lnmp-deploy:web01`,
    )
    expect(() => formatKnownHostsLine({host: 'h', port: 22, keyType: 'ssh-ed25519 x', publicKey: ED})).toThrow('bad key type')
    const hashed = formatKnownHostsLine({host: 'h', port: 22, keyType: 'ssh-ed25519', publicKey: ED, hashed: true})
    expect(entryMatchesHost(parseKnownHosts(hashed)[0]!, 'h', 22)).toBe(true)
  })

  it('appends on a new line even when the file lacks a final newline; a missing file reads as empty', async () => {
    const path = join(dir, 'sub', 'known_hosts')
    expect(await readKnownHostsFile(path)).toEqual([])
    await appendKnownHostsLine(path, `a ssh-ed25519 ${ED}`)
    await writeFile(path, (await readFile(path, 'utf8')).trimEnd())
    await appendKnownHostsLine(path, `b ecdsa-sha2-nistp256 ${EC}`)
    expect(await readFile(path, 'utf8')).toBe(`a ssh-ed25519 ${ED}\nb ecdsa-sha2-nistp256 ${EC}\n`)
  })
})

describe('orderHostKeyAlgorithms', () => {
  it('puts the known types first, rsa keys with their sha2 signatures', () => {
    expect(orderHostKeyAlgorithms(['ssh-rsa']).slice(0, 4)).toEqual(['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa', 'ssh-ed25519'])
    expect(orderHostKeyAlgorithms(['ecdsa-sha2-nistp256'])[0]).toBe('ecdsa-sha2-nistp256')
    expect(orderHostKeyAlgorithms([])).toHaveLength(7)
  })
})
