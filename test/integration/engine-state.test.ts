import {spawnSync} from 'node:child_process'
import {mkdtemp, readFile, readdir, rm, stat, writeFile} from 'node:fs/promises'
import {hostname, tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {ExitCode, LockedError} from '../../src/errors.js'
import {JournalError, type JournalData, readJournal, writeJournal} from '../../src/engine/journal.js'
import {heldLocks, signalHandler} from '../../src/engine/held-locks.js'
import {type LockHolder, acquireLock} from '../../src/engine/lock.js'
import {SshRemote} from '../../src/ssh/connection.js'
import {SUDO_USER, startSshd, type Sshd} from '../helpers/sshd.js'

/**
 * The journal and the lock against a real sshd on 127.0.0.1: the "host" is this machine, so what the
 * engine wrote over SSH is checked on disk directly. Each test has its own state folder.
 */
let sshd: Sshd
let dir: string
let knownHosts: string
const remotes: SshRemote[] = []

function remote(user = 'root', name = 'web01'): SshRemote {
  const r = new SshRemote(
    {name, address: sshd.host, port: sshd.port, user, identityFiles: [sshd.clientKeyPath], identityExplicit: true},
    {projectKnownHosts: knownHosts, connectTimeoutMs: 5000, keepaliveMs: 5000},
  )
  remotes.push(r)
  return r
}

async function stateDir(): Promise<string> {
  return mkdtemp(join(dir, 'state-'))
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lnmp-engine-state-'))
  sshd = await startSshd()
  knownHosts = join(dir, 'known_hosts')
  await writeFile(knownHosts, `${sshd.knownHostsLine}\n`)
})

afterAll(async () => {
  for (const r of remotes) await r.close()
  await sshd?.stop()
  await rm(dir, {recursive: true, force: true})
})

describe('journal on the host', () => {
  it('reads a missing journal as empty, and round-trips what it wrote, readable by root only', async () => {
    const state = join(await stateDir(), 'nested')
    const r = remote(SUDO_USER)
    expect(await readJournal(r, state)).toEqual({version: 1, steps: {}, owed: []})
    const data: JournalData = {
      version: 1,
      steps: {'www-user': {fingerprint: 'f'.repeat(64), at: '2025-01-01T00:00:00.000Z', result: 'ok'}},
      owed: [{stepId: 'memcached', service: 'memcached', op: 'restart', ready: {command: 'true'}, since: 't'}],
    }
    await writeJournal(r, data, state)
    expect(await readJournal(r, state)).toEqual(data)
    expect(JSON.parse(await readFile(join(state, 'state.json'), 'utf8'))).toEqual(data)
    const info = await stat(join(state, 'state.json'))
    expect(info.mode & 0o777).toBe(0o600)
    expect(info.uid).toBe(0)
  })

  it('names the host and the file when the journal is damaged', async () => {
    const state = await stateDir()
    await writeFile(join(state, 'state.json'), '{"version":1,')
    const error = await readJournal(remote('root', 'db01'), state).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(JournalError)
    expect((error as Error).message).toContain(`db01: journal ${state}/state.json: not JSON`)
  })
})

describe('lock on the host', () => {
  const me = `${process.env.USER ?? 'root'}@${hostname()}`

  it('refuses a second run with the holder named, and lets it in once released', async () => {
    const state = await stateDir()
    const first = await acquireLock(remote(), {command: 'lnmp-deploy run --host web01', stateDir: state})
    const holder = JSON.parse(await readFile(join(state, 'lock'), 'utf8')) as LockHolder
    expect(holder).toMatchObject({pid: process.pid, controller: hostname(), command: 'lnmp-deploy run --host web01'})
    expect(Date.parse(holder.leaseUntil as string) - Date.parse(holder.since)).toBe(60_000)

    const error = await acquireLock(remote(SUDO_USER), {command: 'lnmp-deploy run', stateDir: state}).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(LockedError)
    expect((error as LockedError).exitCode).toBe(ExitCode.locked)
    expect((error as LockedError).message).toBe(
      `web01: locked by ${holder.owner} (pid ${process.pid}, since ${holder.since}, lease until ${holder.leaseUntil}, ` +
        'running: lnmp-deploy run --host web01)',
    )
    expect((error as LockedError).hint).toContain('wait for it, or pass --wait-for-lock SECONDS')
    expect(holder.owner.endsWith(`@${hostname()}`)).toBe(true)
    expect(me.endsWith(`@${hostname()}`)).toBe(true)

    await first.release()
    const second = await acquireLock(remote(SUDO_USER), {command: 'lnmp-deploy run', stateDir: state})
    await second.release()
    await expect(stat(join(state, 'lock'))).rejects.toThrow('ENOENT')
  })

  it('waits for a held lock when told to', async () => {
    const state = await stateDir()
    const first = await acquireLock(remote(), {command: 'first', stateDir: state})
    setTimeout(() => void first.release(), 1500)
    const t0 = Date.now()
    const second = await acquireLock(remote(), {command: 'second', stateDir: state, waitSeconds: 20, pollMs: 200})
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1000)
    expect(JSON.parse(await readFile(join(state, 'lock'), 'utf8'))).toMatchObject({command: 'second'})
    await second.release()
  })

  it('clears a stale lock only with the option, and never one from another controller', async () => {
    const state = await stateDir()
    // a pid that surely is gone: a child that has exited
    const gone = spawnSync('true').pid as number
    const stale: LockHolder = {owner: 'ghost@x', controller: hostname(), pid: gone, since: 't', command: 'lnmp-deploy run', token: 'stale'}
    await writeFile(join(state, 'lock'), `${JSON.stringify(stale)}\n`)

    const refused = await acquireLock(remote(), {command: 'mine', stateDir: state}).catch((e: unknown) => e)
    expect(refused).toBeInstanceOf(LockedError)
    expect((refused as LockedError).message).toContain(
      `locked by ghost@x (pid ${gone}, since t, running: lnmp-deploy run), a process that is gone`,
    )
    expect((refused as LockedError).hint).toContain('--clear-stale-lock')
    expect(JSON.parse(await readFile(join(state, 'lock'), 'utf8'))).toEqual(stale)

    const cleared = await acquireLock(remote(), {command: 'mine', stateDir: state, clearStale: true})
    expect(JSON.parse(await readFile(join(state, 'lock'), 'utf8'))).toMatchObject({command: 'mine', pid: process.pid})
    await cleared.release()

    const elsewhere: LockHolder = {...stale, controller: 'another-controller', owner: 'bob@another-controller'}
    await writeFile(join(state, 'lock'), `${JSON.stringify(elsewhere)}\n`)
    const live = await acquireLock(remote(), {command: 'mine', stateDir: state, clearStale: true}).catch((e: unknown) => e)
    expect((live as LockedError).message).toContain('locked by bob@another-controller')
    expect(JSON.parse(await readFile(join(state, 'lock'), 'utf8'))).toEqual(elsewhere)
  })

  it('clears a lock from another controller whose lease expired, only with the option', async () => {
    const state = await stateDir()
    const expired: LockHolder = {
      owner: 'bob@another-controller',
      controller: 'another-controller',
      pid: 1,
      since: '2025-01-01T00:00:00.000Z',
      command: 'lnmp-deploy run',
      token: 'expired',
      leaseUntil: new Date(Date.now() - 120_000).toISOString(),
    }
    await writeFile(join(state, 'lock'), `${JSON.stringify(expired)}\n`)

    const refused = await acquireLock(remote(), {command: 'mine', stateDir: state}).catch((e: unknown) => e)
    expect(refused).toBeInstanceOf(LockedError)
    expect((refused as LockedError).message).toContain(`whose lease expired at ${expired.leaseUntil}`)
    expect((refused as LockedError).hint).toBe(
      `the lock is stale (its lease expired at ${expired.leaseUntil} and nothing renewed it): pass --clear-stale-lock to remove it`,
    )
    expect(JSON.parse(await readFile(join(state, 'lock'), 'utf8'))).toEqual(expired)

    const cleared = await acquireLock(remote(SUDO_USER), {command: 'mine', stateDir: state, clearStale: true})
    expect(JSON.parse(await readFile(join(state, 'lock'), 'utf8'))).toMatchObject({command: 'mine', pid: process.pid})
    await cleared.release()

    // a lease still running is never cleared, whatever the option
    const live: LockHolder = {...expired, token: 'live', leaseUntil: new Date(Date.now() + 60_000).toISOString()}
    await writeFile(join(state, 'lock'), `${JSON.stringify(live)}\n`)
    const kept = await acquireLock(remote(), {command: 'mine', stateDir: state, clearStale: true}).catch((e: unknown) => e)
    expect((kept as LockedError).hint).toContain('wait for it, or pass --wait-for-lock SECONDS')
    expect(JSON.parse(await readFile(join(state, 'lock'), 'utf8'))).toEqual(live)
  })

  it('renews its lease in place while held, and leaves nothing behind once released', async () => {
    const state = await stateDir()
    const lock = await acquireLock(remote(SUDO_USER), {command: 'mine', stateDir: state, renewSeconds: 0.5})
    const taken = JSON.parse(await readFile(join(state, 'lock'), 'utf8')) as LockHolder
    await new Promise((r) => setTimeout(r, 1800))
    const renewed = JSON.parse(await readFile(join(state, 'lock'), 'utf8')) as LockHolder
    expect(renewed).toEqual({...taken, leaseUntil: renewed.leaseUntil})
    expect(Date.parse(renewed.leaseUntil as string)).toBeGreaterThan(Date.parse(taken.leaseUntil as string))
    await lock.release()
    expect(await readdir(state)).toEqual([])
  })

  it('releases every lock it holds on a signal, then exits 143', async () => {
    const states = [await stateDir(), await stateDir()]
    await acquireLock(remote('root', 'web01'), {command: 'mine', stateDir: states[0]})
    await acquireLock(remote(SUDO_USER, 'web02'), {command: 'mine', stateDir: states[1]})
    expect(
      heldLocks()
        .map((l) => l.host)
        .sort(),
    ).toEqual(['web01', 'web02'])
    const exits: number[] = []
    const lines: string[] = []
    await signalHandler({exit: (code) => void exits.push(code), log: (line) => void lines.push(line)})('SIGTERM')
    expect(exits).toEqual([143])
    expect(lines).toEqual(['SIGTERM: stopped; released the lock on web01, web02'])
    for (const state of states) await expect(stat(join(state, 'lock'))).rejects.toThrow('ENOENT')
    expect(heldLocks()).toEqual([])
  })

  it('never releases a lock it does not hold', async () => {
    const state = await stateDir()
    const mine = await acquireLock(remote(), {command: 'mine', stateDir: state})
    const other: LockHolder = {owner: 'bob@x', controller: 'x', pid: 1, since: 't', command: 'theirs', token: 'theirs'}
    // someone cleared ours by hand and took the host meanwhile
    await writeFile(join(state, 'lock'), `${JSON.stringify(other)}\n`)
    await mine.release()
    expect(JSON.parse(await readFile(join(state, 'lock'), 'utf8'))).toEqual(other)
  })
})
