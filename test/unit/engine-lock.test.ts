import {hostname} from 'node:os'
import {afterEach, describe, expect, it, vi} from 'vitest'

import {LockedError} from '../../src/errors.js'
import {heldLocks} from '../../src/engine/held-locks.js'
import {
  type LockHolder,
  LEASE_SKEW_SECONDS,
  acquireLock,
  describeHolder,
  isStale,
  localHolder,
  parseHolder,
  processAlive,
  releaseCommand,
  renewCommand,
  staleness,
} from '../../src/engine/lock.js'
import type {ExecOptions, ExecResult, Remote} from '../../src/ssh/remote.js'
import {RemoteCommandError} from '../../src/ssh/remote.js'

const holder: LockHolder = {
  owner: 'alice@ctl',
  controller: 'ctl',
  pid: 4242,
  since: '2025-01-01T00:00:00.000Z',
  command: 'lnmp-deploy run',
  token: 'abc',
}

const leased: LockHolder = {...holder, leaseUntil: '2025-01-01T00:01:00.000Z'}
const at = (iso: string): Date => new Date(iso)
const alive = (): boolean => true
const dead = (): boolean => false

describe('lock bookkeeping', () => {
  it('describes the holder by owner, pid, time and command', () => {
    expect(describeHolder(holder)).toBe('alice@ctl (pid 4242, since 2025-01-01T00:00:00.000Z, running: lnmp-deploy run)')
  })

  it('describes a leased holder with its lease', () => {
    expect(describeHolder(leased)).toBe(
      'alice@ctl (pid 4242, since 2025-01-01T00:00:00.000Z, lease until 2025-01-01T00:01:00.000Z, running: lnmp-deploy run)',
    )
  })

  it('calls a lock without a lease stale only when its process is gone on this very controller', () => {
    expect(isStale(holder, 'ctl', dead)).toBe(true)
    expect(isStale(holder, 'ctl', alive)).toBe(false)
    expect(isStale(holder, 'other', dead)).toBe(false)
    // however old: an older lnmp-deploy wrote it, there is no lease to judge by
    expect(isStale(holder, 'other', dead, at('2030-01-01T00:00:00.000Z'))).toBe(false)
  })

  it('calls a lock stale once its lease expired, whatever machine took it', () => {
    const later = at('2025-01-01T00:05:00.000Z')
    expect(isStale(leased, 'other', alive, later)).toBe(true)
    expect(isStale(leased, 'ctl', alive, later)).toBe(true)
    expect(staleness(leased, 'other', alive, later)).toEqual({why: 'lease expired', at: '2025-01-01T00:01:00.000Z'})
  })

  it('keeps a live lease, from this machine or another', () => {
    const during = at('2025-01-01T00:00:30.000Z')
    expect(isStale(leased, 'other', alive, during)).toBe(false)
    expect(isStale(leased, 'ctl', alive, during)).toBe(false)
    expect(staleness(leased, 'other', dead, during)).toBeUndefined()
  })

  it('calls a lock of this machine stale when its process is gone, lease or not', () => {
    const during = at('2025-01-01T00:00:30.000Z')
    expect(staleness(leased, 'ctl', dead, during)).toEqual({why: 'process gone'})
    expect(staleness(holder, 'ctl', dead, during)).toEqual({why: 'process gone'})
  })

  it(`allows ${LEASE_SKEW_SECONDS} s of clock skew past the lease`, () => {
    expect(LEASE_SKEW_SECONDS).toBe(30)
    expect(isStale(leased, 'other', alive, at('2025-01-01T00:01:29.999Z'))).toBe(false)
    expect(isStale(leased, 'other', alive, at('2025-01-01T00:01:30.000Z'))).toBe(false)
    expect(isStale(leased, 'other', alive, at('2025-01-01T00:01:30.001Z'))).toBe(true)
  })

  it('judges a lease it cannot read by the process alone', () => {
    const garbled = {...holder, leaseUntil: 'soon'}
    expect(isStale(garbled, 'other', dead, at('2030-01-01T00:00:00.000Z'))).toBe(false)
    expect(isStale(garbled, 'ctl', dead)).toBe(true)
  })

  it('knows its own process is alive', () => {
    expect(processAlive(process.pid)).toBe(true)
  })

  it('parses a holder, with or without a lease, and refuses anything else', () => {
    expect(parseHolder(`${JSON.stringify(holder)}\n`)).toEqual(holder)
    expect(parseHolder(`${JSON.stringify(leased)}\n`)).toEqual(leased)
    expect(parseHolder(JSON.stringify({...holder, leaseUntil: 60}))).toBeUndefined()
    expect(parseHolder('{"owner":"x"}')).toBeUndefined()
    expect(parseHolder('')).toBeUndefined()
  })

  it('takes a lock leased from now, and serializes the lease', () => {
    const now = at('2025-06-01T12:00:00.000Z')
    const me = localHolder('lnmp-deploy run', {token: 't0', now, leaseSeconds: 60})
    expect(me).toMatchObject({
      controller: hostname(),
      pid: process.pid,
      since: '2025-06-01T12:00:00.000Z',
      leaseUntil: '2025-06-01T12:01:00.000Z',
      token: 't0',
      command: 'lnmp-deploy run',
    })
    expect(parseHolder(`${JSON.stringify(me)}\n`)).toEqual(me)
    expect(localHolder('x').token).toMatch(/^[0-9a-f]{32}$/)
  })

  it('releases only a lock carrying its token', () => {
    expect(releaseCommand('abc')).toBe(
      `if grep -qF '"token":"abc"' /var/lib/lnmp-deploy/lock 2>/dev/null; then rm -f /var/lib/lnmp-deploy/lock; fi`,
    )
  })

  it('renews only a lock carrying its token, through a temp file', () => {
    const renewed: LockHolder = {owner: 'a@c', controller: 'c', pid: 1, since: 's', command: 'run', token: 'abc', leaseUntil: 'u'}
    expect(renewCommand(renewed, '/tmp/st')).toBe(
      `if grep -qF '"token":"abc"' /tmp/st/lock 2>/dev/null; ` +
        `then printf '%s\\n' '{"owner":"a@c","controller":"c","pid":1,"since":"s","command":"run","token":"abc","leaseUntil":"u"}' > /tmp/st/.lock.abc.renew ` +
        `&& mv -f /tmp/st/.lock.abc.renew /tmp/st/lock; else exit 4; fi`,
    )
  })
})

/** A host whose lock commands answer as scripted; every command is recorded. */
class ScriptedHost implements Remote {
  readonly name = 'web01'
  readonly commands: string[] = []
  constructor(private readonly answer: (command: string) => ExecResult | Promise<ExecResult>) {}

  async exec(command: string, _options?: ExecOptions): Promise<ExecResult> {
    this.commands.push(command)
    return this.answer(command)
  }

  async run(command: string, options?: ExecOptions): Promise<ExecResult> {
    const result = await this.exec(command, options)
    if (result.code !== 0) throw new RemoteCommandError(this.name, command, result)
    return result
  }

  writeFile = async (): Promise<void> => {}
  upload = async (): Promise<void> => {}
  download = async (): Promise<void> => {
    throw new Error('not used here')
  }
  runJob = async (): Promise<never> => {
    throw new Error('no jobs here')
  }
  close = async (): Promise<void> => {}
}

const ok: ExecResult = {code: 0, stdout: '', stderr: ''}
const kind = (command: string): 'acquire' | 'renew' | 'release' =>
  command.startsWith('mkdir -p') ? 'acquire' : command.includes('mv -f') ? 'renew' : 'release'
const busy = (h: LockHolder): ExecResult => ({code: 3, stdout: `${JSON.stringify(h)}\n`, stderr: ''})
const writtenHolder = (command: string): LockHolder => JSON.parse(/printf '%s\\n' '(\{.*?\})' >/.exec(command)?.[1] ?? '') as LockHolder

describe('acquireLock', () => {
  afterEach(() => {
    vi.useRealTimers()
  })

  it('refuses a live lock naming holder, since and lease, and says to wait', async () => {
    const now = Date.now()
    const other: LockHolder = {...holder, controller: 'elsewhere', owner: 'bob@elsewhere', leaseUntil: new Date(now + 40_000).toISOString()}
    const error = (await acquireLock(new ScriptedHost(() => busy(other)), {command: 'mine'}).catch((e: unknown) => e)) as LockedError
    expect(error).toBeInstanceOf(LockedError)
    expect(error.message).toBe(`web01: locked by ${describeHolder(other)}`)
    expect(error.message).toContain(`lease until ${other.leaseUntil}`)
    expect(error.hint).toBe(
      `that run is on another controller (elsewhere); wait for it, or pass --wait-for-lock SECONDS (it renews its lease while ` +
        `it runs; if it was killed, the lock is stale after ${new Date(now + 70_000).toISOString()} and --clear-stale-lock removes it)`,
    )
  })

  it('says how to clear a lock without a lease from another machine', async () => {
    const old: LockHolder = {...holder, controller: 'elsewhere', owner: 'bob@elsewhere'}
    const error = (await acquireLock(new ScriptedHost(() => busy(old)), {command: 'mine'}).catch((e: unknown) => e)) as LockedError
    expect(error.hint).toBe(
      'that run is on another controller (elsewhere); wait for it, or pass --wait-for-lock SECONDS; the lock has no lease ' +
        '(an older lnmp-deploy took it): if that run is gone, remove /var/lib/lnmp-deploy/lock on web01',
    )
  })

  it('refuses a lock whose lease expired, saying when, unless told to clear it', async () => {
    const expired: LockHolder = {...holder, controller: 'elsewhere', owner: 'bob@elsewhere', leaseUntil: '2025-01-01T00:01:00.000Z'}
    const error = (await acquireLock(new ScriptedHost(() => busy(expired)), {command: 'mine'}).catch((e: unknown) => e)) as LockedError
    expect(error.message).toBe(`web01: locked by ${describeHolder(expired)}, whose lease expired at 2025-01-01T00:01:00.000Z`)
    expect(error.hint).toBe(
      'the lock is stale (its lease expired at 2025-01-01T00:01:00.000Z and nothing renewed it): pass --clear-stale-lock to remove it',
    )

    let first = true
    const host = new ScriptedHost((command) => {
      if (kind(command) !== 'acquire') return ok
      if (!first) return ok
      first = false
      return busy(expired)
    })
    const lock = await acquireLock(host, {command: 'mine', clearStale: true})
    expect(host.commands[1]).toBe(releaseCommand(expired.token))
    expect(kind(host.commands[2] as string)).toBe('acquire')
    await lock.release()
  })

  it('says a lock of this machine whose process is gone is stale', async () => {
    const gone: LockHolder = {...holder, controller: hostname(), pid: 2 ** 22 + 7}
    const error = (await acquireLock(new ScriptedHost(() => busy(gone)), {command: 'mine'}).catch((e: unknown) => e)) as LockedError
    expect(error.message).toBe(`web01: locked by ${describeHolder(gone)}, a process that is gone`)
    expect(error.hint).toBe(`the lock is stale (process ${gone.pid} on this machine is gone): pass --clear-stale-lock to remove it`)
  })

  it('keeps the hint for an unreadable lock', async () => {
    const error = (await acquireLock(new ScriptedHost(() => ({code: 3, stdout: 'garbage', stderr: ''})), {command: 'mine'}).catch(
      (e: unknown) => e,
    )) as LockedError
    expect(error.message).toBe('web01: locked by an unreadable lock at /var/lib/lnmp-deploy/lock')
    expect(error.hint).toBe('check that no lnmp-deploy run is using web01, then remove /var/lib/lnmp-deploy/lock on it')
  })

  it('renews its lease on a timer until released, and is registered while held', async () => {
    vi.useFakeTimers({now: new Date('2025-06-01T12:00:00.000Z')})
    const host = new ScriptedHost(() => ok)
    const lock = await acquireLock(host, {command: 'mine', leaseSeconds: 60, renewSeconds: 20, stateDir: '/tmp/st'})
    const taken = writtenHolder(host.commands[0] as string)
    expect(taken.leaseUntil).toBe('2025-06-01T12:01:00.000Z')
    expect(heldLocks().map((l) => l.host)).toEqual(['web01'])

    await vi.advanceTimersByTimeAsync(19_999)
    expect(host.commands).toHaveLength(1)
    await vi.advanceTimersByTimeAsync(1)
    expect(host.commands).toHaveLength(2)
    expect(host.commands[1]).toBe(renewCommand({...taken, leaseUntil: '2025-06-01T12:01:20.000Z'}, '/tmp/st'))
    await vi.advanceTimersByTimeAsync(20_000)
    expect(writtenHolder(host.commands[2] as string).leaseUntil).toBe('2025-06-01T12:01:40.000Z')

    await lock.release()
    expect(host.commands.at(-1)).toBe(releaseCommand(taken.token, '/tmp/st'))
    expect(heldLocks()).toEqual([])
    await vi.advanceTimersByTimeAsync(60_000)
    expect(host.commands).toHaveLength(4)
    // releasing twice sends nothing more
    await lock.release()
    expect(host.commands).toHaveLength(4)
  })

  it('stops renewing once the lock is no longer its own', async () => {
    vi.useFakeTimers()
    const host = new ScriptedHost((command) => (kind(command) === 'renew' ? {code: 4, stdout: '', stderr: ''} : ok))
    const lock = await acquireLock(host, {command: 'mine', renewSeconds: 1})
    await vi.advanceTimersByTimeAsync(5_000)
    expect(host.commands.map(kind)).toEqual(['acquire', 'renew'])
    await lock.release()
  })

  it('waits for a renewal under way before releasing, so the renewal cannot write the lock back', async () => {
    vi.useFakeTimers()
    let finishRenewal!: () => void
    const host = new ScriptedHost((command) =>
      kind(command) === 'renew' ? new Promise<ExecResult>((resolve) => (finishRenewal = () => resolve(ok))) : ok,
    )
    const lock = await acquireLock(host, {command: 'mine', renewSeconds: 1})
    await vi.advanceTimersByTimeAsync(1_000)
    const releasing = lock.release()
    await vi.advanceTimersByTimeAsync(10)
    expect(host.commands.map(kind)).toEqual(['acquire', 'renew'])
    finishRenewal()
    await releasing
    expect(host.commands.map(kind)).toEqual(['acquire', 'renew', 'release'])
  })

  it('keeps renewing after a failed renewal (a connection in trouble)', async () => {
    vi.useFakeTimers()
    let renewals = 0
    const host = new ScriptedHost((command) => {
      if (kind(command) !== 'renew') return ok
      renewals += 1
      if (renewals === 1) throw new Error('connection reset')
      return ok
    })
    const lock = await acquireLock(host, {command: 'mine', renewSeconds: 1})
    await vi.advanceTimersByTimeAsync(2_000)
    expect(renewals).toBe(2)
    await lock.release()
  })

  it('leases from when it took the lock, not from when it started waiting', async () => {
    vi.useFakeTimers({now: new Date('2025-06-01T12:00:00.000Z')})
    const other: LockHolder = {...holder, controller: 'elsewhere', leaseUntil: '2025-06-01T12:10:00.000Z'}
    let tries = 0
    const host = new ScriptedHost((command) => {
      if (kind(command) !== 'acquire') return ok
      tries += 1
      return tries < 3 ? busy(other) : ok
    })
    const taking = acquireLock(host, {command: 'mine', waitSeconds: 60, pollMs: 10_000})
    await vi.advanceTimersByTimeAsync(20_000)
    const lock = await taking
    const taken = writtenHolder(host.commands.at(-1) as string)
    expect(taken).toMatchObject({since: '2025-06-01T12:00:20.000Z', leaseUntil: '2025-06-01T12:01:20.000Z'})
    // the same token throughout
    expect(new Set(host.commands.map((c) => writtenHolder(c).token)).size).toBe(1)
    await lock.release()
  })
})
