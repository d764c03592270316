import {mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {ExitCode, HostKeyError} from '../../src/errors.js'
import {SshRemote} from '../../src/ssh/connection.js'
import {recordHostKey, scanHostKey} from '../../src/ssh/host-key-scan.js'
import {fingerprintSha256, hashHostToken} from '../../src/ssh/known-hosts.js'
import {startSshd, type Sshd} from '../helpers/sshd.js'

let dir: string
let servers: Sshd[]
let remotes: SshRemote[]

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lnmp-ssh-hostkeys-'))
  servers = []
  remotes = []
})

afterEach(async () => {
  for (const r of remotes) await r.close()
  for (const s of servers) await s.stop()
  await rm(dir, {recursive: true, force: true})
})

async function server(options: Parameters<typeof startSshd>[0] = {}): Promise<Sshd> {
  const s = await startSshd(options)
  servers.push(s)
  return s
}

function remote(s: Sshd, knownHosts: string, extra: {acceptNewHostKeys?: boolean; userKnownHosts?: string} = {}): SshRemote {
  const r = new SshRemote(
    {name: 'db01', address: s.host, port: s.port, user: 'root', identityFiles: [s.clientKeyPath], identityExplicit: true},
    {projectKnownHosts: knownHosts, connectTimeoutMs: 5000, keepaliveMs: 0, ...extra},
  )
  remotes.push(r)
  return r
}

describe('host key verification against a real sshd', () => {
  it('refuses an unknown key naming host, type, fingerprint and the way to accept it', async () => {
    const s = await server()
    const knownHosts = join(dir, 'known_hosts')
    const error = await remote(s, knownHosts)
      .exec('true')
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(HostKeyError)
    expect((error as HostKeyError).exitCode).toBe(ExitCode.connection)
    const fp = fingerprintSha256(s.hostPublicKey)
    expect((error as Error).message).toBe(`db01: unknown host key for 127.0.0.1:${s.port}: ssh-ed25519 ${fp}`)
    expect((error as HostKeyError).hint).toContain('lnmp-deploy init')
    expect((error as HostKeyError).hint).toContain('--accept-new-host-keys')
    // nothing was recorded
    await expect(readFile(knownHosts, 'utf8')).rejects.toThrow('ENOENT')
  })

  it('accepts a new key with acceptNewHostKeys and records it for the next connection', async () => {
    const s = await server()
    const knownHosts = join(dir, 'known_hosts')
    expect((await remote(s, knownHosts, {acceptNewHostKeys: true}).run('echo ok')).stdout).toBe('ok\n')
    expect(await readFile(knownHosts, 'utf8')).toBe(`${s.knownHostsLine} lnmp-deploy:db01\n`)
    expect((await remote(s, knownHosts).run('echo again')).stdout).toBe('again\n')
  })

  it('refuses a CHANGED key, even with acceptNewHostKeys, showing both fingerprints', async () => {
    const first = await server()
    const knownHosts = join(dir, 'known_hosts')
    await writeFile(knownHosts, `${first.knownHostsLine}\n`)
    expect((await remote(first, knownHosts).run('echo first')).stdout).toBe('first\n')
    await remotes.pop()!.close()
    const oldFp = fingerprintSha256(first.hostPublicKey)
    await first.stop()
    const second = await server({port: first.port, clientKeyPath: undefined})
    const newFp = fingerprintSha256(second.hostPublicKey)
    expect(newFp).not.toBe(oldFp)
    const error = await remote(second, knownHosts, {acceptNewHostKeys: true})
      .exec('true')
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(HostKeyError)
    expect((error as Error).message).toBe(
      `db01: HOST KEY CHANGED for 127.0.0.1:${first.port}: presented ssh-ed25519 ${newFp}, expected ssh-ed25519 ${oldFp} (${knownHosts}:1)`,
    )
    expect(await readFile(knownHosts, 'utf8')).toBe(`${first.knownHostsLine}\n`)
  })

  it('a recorded key of another type is a changed key too (the server is not the one we met)', async () => {
    const s = await server({hostKeyType: 'ecdsa'})
    const knownHosts = join(dir, 'known_hosts')
    const otherKey = 'AAAAC3NzaC1lZDI1NTE5AAAAIMydEQ07Yjh8EM29X76fzGTDtDfgMZiRgShhJ9tikP8L'
    await writeFile(knownHosts, `[127.0.0.1]:${s.port} ssh-ed25519 ${otherKey}\n`)
    const error = await remote(s, knownHosts, {acceptNewHostKeys: true})
      .exec('true')
      .catch((e: unknown) => e)
    expect((error as Error).message).toContain('HOST KEY CHANGED')
    expect((error as Error).message).toContain(`presented ecdsa-sha2-nistp256 ${fingerprintSha256(s.hostPublicKey)}`)
  })

  it('accepts a hashed entry, and reads ~/.ssh/known_hosts when asked to', async () => {
    const s = await server()
    const hashed = join(dir, 'user_known_hosts')
    await writeFile(hashed, `${hashHostToken(`[127.0.0.1]:${s.port}`)} ${s.hostKeyType} ${s.hostPublicKey}\n`)
    const project = join(dir, 'known_hosts')
    expect((await remote(s, project, {userKnownHosts: hashed}).run('echo hashed')).stdout).toBe('hashed\n')
    await writeFile(project, await readFile(hashed, 'utf8'))
    expect((await remote(s, project).run('echo project')).stdout).toBe('project\n')
  })

  it('refuses a revoked key', async () => {
    const s = await server()
    const knownHosts = join(dir, 'known_hosts')
    await writeFile(knownHosts, `${s.knownHostsLine}\n@revoked * ${s.hostKeyType} ${s.hostPublicKey}\n`)
    const error = await remote(s, knownHosts)
      .exec('true')
      .catch((e: unknown) => e)
    expect((error as Error).message).toContain('is revoked')
  })

  it('scanHostKey shows what init asks the user to confirm, and recordHostKey makes it trusted', async () => {
    const s = await server()
    const scanned = await scanHostKey({address: s.host, port: s.port, timeoutMs: 5000})
    expect(scanned).toEqual({keyType: 'ssh-ed25519', fingerprint: fingerprintSha256(s.hostPublicKey), publicKey: s.hostPublicKey})
    const knownHosts = join(dir, 'sub', 'known_hosts')
    await recordHostKey(knownHosts, {name: 'db01', address: s.host, port: s.port, keyType: scanned.keyType, publicKey: scanned.publicKey})
    expect((await remote(s, knownHosts).run('echo trusted')).stdout).toBe('trusted\n')
  })
})
