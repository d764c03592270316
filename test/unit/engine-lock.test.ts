import {describe, expect, it} from 'vitest'

import {type LockHolder, describeHolder, isStale, parseHolder, processAlive, releaseCommand} from '../../src/engine/lock.js'

const holder: LockHolder = {
  owner: 'alice@ctl',
  controller: 'ctl',
  pid: 4242,
  since: '2025-01-01T00:00:00.000Z',
  command: 'lnmp-deploy run',
  token: 'abc',
}

describe('lock bookkeeping', () => {
  it('describes the holder by owner, pid, time and command', () => {
    expect(describeHolder(holder)).toBe('alice@ctl (pid 4242, since 2025-01-01T00:00:00.000Z, running: lnmp-deploy run)')
  })

  it('calls a lock stale only when its process is gone on this very controller', () => {
    expect(isStale(holder, 'ctl', () => false)).toBe(true)
    expect(isStale(holder, 'ctl', () => true)).toBe(false)
    expect(isStale(holder, 'other', () => false)).toBe(false)
  })

  it('knows its own process is alive', () => {
    expect(processAlive(process.pid)).toBe(true)
  })

  it('parses a holder and refuses anything else', () => {
    expect(parseHolder(`${JSON.stringify(holder)}\n`)).toEqual(holder)
    expect(parseHolder('{"owner":"x"}')).toBeUndefined()
    expect(parseHolder('')).toBeUndefined()
  })

  it('releases only a lock carrying its token', () => {
    expect(releaseCommand('abc')).toBe(
      `if grep -qF '"token":"abc"' /var/lib/lnmp-deploy/lock 2>/dev/null; then rm -f /var/lib/lnmp-deploy/lock; fi`,
    )
  })
})
