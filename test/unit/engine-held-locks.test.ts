import {afterEach, describe, expect, it, vi} from 'vitest'

import {
  type HeldLock,
  heldLocks,
  registerHeldLock,
  releaseAll,
  releaseAllOnSignal,
  signalHandler,
  signalMessage,
} from '../../src/engine/held-locks.js'

const forget: Array<() => void> = []

/** A lock that unregisters itself on release, as acquireLock's do. */
function fakeLock(host: string, release: () => Promise<void> = async () => {}): HeldLock & {releases: number} {
  const lock = {
    host,
    releases: 0,
    release: async () => {
      lock.releases += 1
      try {
        await release()
      } finally {
        unregister()
      }
    },
  }
  const unregister = registerHeldLock(lock)
  forget.push(unregister)
  return lock
}

afterEach(() => {
  for (const f of forget.splice(0)) f()
  vi.useRealTimers()
})

describe('held locks', () => {
  it('knows the locks held until they are released', async () => {
    const a = fakeLock('web01')
    fakeLock('web02')
    expect(heldLocks().map((l) => l.host)).toEqual(['web01', 'web02'])
    await a.release()
    expect(heldLocks().map((l) => l.host)).toEqual(['web02'])
  })

  it('releases them all, and names those it could not release', async () => {
    fakeLock('web02')
    fakeLock('db01', async () => {
      throw new Error('connection lost')
    })
    fakeLock('web01')
    expect(await releaseAll(1000)).toEqual({released: ['web01', 'web02'], notReleased: ['db01']})
  })

  it('gives up on a release that does not finish in time', async () => {
    vi.useFakeTimers()
    fakeLock('web01')
    fakeLock('web02', () => new Promise<void>(() => {}))
    const all = releaseAll(5000)
    await vi.advanceTimersByTimeAsync(5000)
    expect(await all).toEqual({released: ['web01'], notReleased: ['web02']})
  })
})

describe('signals', () => {
  it('on SIGTERM releases every lock, says so, and exits 143', async () => {
    const locks = [fakeLock('web01'), fakeLock('web02')]
    const exits: number[] = []
    const lines: string[] = []
    await signalHandler({exit: (c) => void exits.push(c), log: (l) => void lines.push(l)})('SIGTERM')
    expect(locks.map((l) => l.releases)).toEqual([1, 1])
    expect(heldLocks()).toEqual([])
    expect(exits).toEqual([143])
    expect(lines).toEqual(['SIGTERM: stopped; released the lock on web01, web02'])
  })

  it('on SIGINT exits 130, and ends the display alongside the releases', async () => {
    fakeLock('web01')
    const exits: number[] = []
    const order: string[] = []
    await signalHandler({exit: (c) => void exits.push(c), log: () => order.push('log'), onInterrupt: () => void order.push('interrupt')})(
      'SIGINT',
    )
    expect(exits).toEqual([130])
    expect(order).toEqual(['interrupt', 'log'])
  })

  it('exits within the timeout when a release hangs, and at once on a second signal', async () => {
    vi.useFakeTimers()
    fakeLock('web01', () => new Promise<void>(() => {}))
    const exits: number[] = []
    const lines: string[] = []
    const handle = signalHandler({exit: (c) => void exits.push(c), log: (l) => void lines.push(l), timeoutMs: 5000})
    const first = handle('SIGINT')
    await vi.advanceTimersByTimeAsync(100)
    expect(exits).toEqual([])
    await handle('SIGINT')
    expect(exits).toEqual([130])
    await vi.advanceTimersByTimeAsync(5000)
    await first
    expect(exits).toEqual([130, 130])
    expect(lines[0]).toContain('could not release the lock on web01')
    expect(lines[0]).toContain('--clear-stale-lock')
  })

  it('says what it released and what it could not', () => {
    expect(signalMessage('SIGINT', {released: ['web01'], notReleased: ['db01']})).toBe(
      'SIGINT: stopped; released the lock on web01; could not release the lock on db01 (it goes stale once its lease runs ' +
        'out; then pass --clear-stale-lock to remove it)',
    )
    expect(signalMessage('SIGTERM', {released: [], notReleased: []})).toBe('SIGTERM: stopped')
  })

  it('installs a handler for SIGINT and SIGTERM, and removes it again', () => {
    const before = {int: process.listenerCount('SIGINT'), term: process.listenerCount('SIGTERM')}
    const remove = releaseAllOnSignal({exit: () => {}})
    expect(process.listenerCount('SIGINT')).toBe(before.int + 1)
    expect(process.listenerCount('SIGTERM')).toBe(before.term + 1)
    remove()
    expect(process.listenerCount('SIGINT')).toBe(before.int)
    expect(process.listenerCount('SIGTERM')).toBe(before.term)
  })
})
