import {randomBytes} from 'node:crypto'
import {hostname, userInfo} from 'node:os'

import {LockedError} from '../errors.js'
import {quote} from '../ssh/shell.js'
import type {Remote} from '../ssh/remote.js'
import {registerHeldLock} from './held-locks.js'
import {statePaths} from './paths.js'

/** Who holds a host's lock: written into the lock file, shown to whoever meets it. */
export interface LockHolder {
  /** user@controller-hostname */
  owner: string
  /** the controller's hostname alone, to tell whether `pid` can be checked from here */
  controller: string
  pid: number
  /** ISO time the lock was taken */
  since: string
  /** what the holder is running, e.g. 'lnmp-deploy run --host web01' */
  command: string
  /** random: lets the holder release only its own lock */
  token: string
  /**
   * ISO time (the holder's clock) until which the lock is certainly in use: the running holder pushes it
   * forward while it runs. Absent from locks written before leases existed.
   */
  leaseUntil?: string
}

/** How long a lease lasts from each renewal. */
export const LEASE_SECONDS = 60
/** How often the running holder renews its lease. */
export const RENEW_SECONDS = 20
/** How far past leaseUntil a lease must be before it counts as expired: clocks of two machines differ. */
export const LEASE_SKEW_SECONDS = 30

export interface LockOptions {
  /** how long to wait for a held lock before failing; 0 fails at once */
  waitSeconds?: number
  /** remove a stale lock: its lease expired, or its owner process on this controller is gone */
  clearStale?: boolean
  /** the command line recorded in the lock */
  command: string
  pollMs?: number
  /** STATE_DIR unless a test isolates itself */
  stateDir?: string
  /** LEASE_SECONDS unless a test shortens it */
  leaseSeconds?: number
  /** RENEW_SECONDS unless a test shortens it */
  renewSeconds?: number
}

export function describeHolder(h: LockHolder): string {
  const lease = h.leaseUntil ? `, lease until ${h.leaseUntil}` : ''
  return `${h.owner} (pid ${h.pid}, since ${h.since}${lease}, running: ${h.command})`
}

export function localHolder(command: string, options: {token?: string; now?: Date; leaseSeconds?: number} = {}): LockHolder {
  const now = options.now ?? new Date()
  return {
    owner: `${safeUser()}@${hostname()}`,
    controller: hostname(),
    pid: process.pid,
    since: now.toISOString(),
    command,
    token: options.token ?? randomBytes(16).toString('hex'),
    leaseUntil: leaseFrom(now, options.leaseSeconds ?? LEASE_SECONDS),
  }
}

function leaseFrom(now: Date, leaseSeconds: number): string {
  return new Date(now.getTime() + leaseSeconds * 1000).toISOString()
}

/** Why a lock is stale: what the message and hint say. */
export type Staleness = {why: 'process gone'} | {why: 'lease expired'; at: string}

/**
 * A lock is stale when its owner process is gone (checkable only on the controller that took it), or when
 * its lease ran out more than LEASE_SKEW_SECONDS ago by this controller's clock, whatever machine took it.
 * A lock without a lease (an older lnmp-deploy wrote it) is judged by its process alone.
 */
export function staleness(
  holder: LockHolder,
  here: string,
  isAlive: (pid: number) => boolean,
  now: Date = new Date(),
): Staleness | undefined {
  if (holder.controller === here && !isAlive(holder.pid)) return {why: 'process gone'}
  const until = holder.leaseUntil === undefined ? Number.NaN : Date.parse(holder.leaseUntil)
  if (!Number.isNaN(until) && now.getTime() > until + LEASE_SKEW_SECONDS * 1000) {
    return {why: 'lease expired', at: holder.leaseUntil as string}
  }
  return undefined
}

export function isStale(holder: LockHolder, here: string, isAlive: (pid: number) => boolean, now: Date = new Date()): boolean {
  return staleness(holder, here, isAlive, now) !== undefined
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    // EPERM: it exists, it is just not ours
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

export function parseHolder(text: string): LockHolder | undefined {
  try {
    const v = JSON.parse(text) as Partial<LockHolder>
    if (
      typeof v.owner === 'string' &&
      typeof v.controller === 'string' &&
      typeof v.pid === 'number' &&
      typeof v.since === 'string' &&
      typeof v.command === 'string' &&
      typeof v.token === 'string' &&
      (v.leaseUntil === undefined || typeof v.leaseUntil === 'string')
    ) {
      return v as LockHolder
    }
  } catch {
    // fall through: an unreadable lock is reported as such
  }
  return undefined
}

const BUSY = 3
/** renewCommand's exit code when the lock no longer carries our token */
const NOT_OURS = 4

/**
 * The lock is created whole or not at all: the holder is written to a temp file, then hard-linked to the
 * lock path. `ln` fails when the path exists, so two runs cannot both win, and nobody ever reads a
 * half-written holder.
 */
export function acquireCommand(holder: LockHolder, stateDir?: string): string {
  const {dir, lock: LOCK_PATH} = statePaths(stateDir)
  const tmp = `${dir}/.lock.${holder.token}`
  return [
    `mkdir -p ${quote(dir)}`,
    `printf '%s\\n' ${quote(JSON.stringify(holder))} > ${quote(tmp)}`,
    `if ln ${quote(tmp)} ${quote(LOCK_PATH)} 2>/dev/null; then rm -f ${quote(tmp)}; exit 0; fi`,
    `rm -f ${quote(tmp)}`,
    `cat ${quote(LOCK_PATH)}`,
    `exit ${BUSY}`,
  ].join('\n')
}

/** Removes the lock only while it still holds this token: never someone else's. */
export function releaseCommand(token: string, stateDir?: string): string {
  const LOCK_PATH = statePaths(stateDir).lock
  return `if grep -qF ${quote(`"token":"${token}"`)} ${quote(LOCK_PATH)} 2>/dev/null; then rm -f ${quote(LOCK_PATH)}; fi`
}

/**
 * Rewrites the lock with the renewed holder, only while it still holds this holder's token (exit 4
 * otherwise: the lock was cleared or taken over). Temp file then mv, so nobody reads a half-written holder.
 */
export function renewCommand(holder: LockHolder, stateDir?: string): string {
  const {dir, lock: LOCK_PATH} = statePaths(stateDir)
  const tmp = `${dir}/.lock.${holder.token}.renew`
  return (
    `if grep -qF ${quote(`"token":"${holder.token}"`)} ${quote(LOCK_PATH)} 2>/dev/null; ` +
    `then printf '%s\\n' ${quote(JSON.stringify(holder))} > ${quote(tmp)} && mv -f ${quote(tmp)} ${quote(LOCK_PATH)}; ` +
    `else exit ${NOT_OURS}; fi`
  )
}

export interface HostLock {
  release(): Promise<void>
}

export async function acquireLock(remote: Remote, options: LockOptions): Promise<HostLock> {
  const token = randomBytes(16).toString('hex')
  const leaseSeconds = options.leaseSeconds ?? LEASE_SECONDS
  const deadline = Date.now() + (options.waitSeconds ?? 0) * 1000
  const pollMs = options.pollMs ?? 1000
  const {lock: LOCK_PATH} = statePaths(options.stateDir)
  for (;;) {
    // taken now, leased from now: a wait for the lock must not eat into the lease
    const me = localHolder(options.command, {token, leaseSeconds})
    const result = await remote.exec(acquireCommand(me, options.stateDir), {sudo: true})
    if (result.code === 0) return holdLock(remote, me, options)
    if (result.code !== BUSY) {
      throw new LockedError(remote.name, `unknown (taking ${LOCK_PATH} failed: ${result.stderr.trim() || `exit ${result.code}`})`)
    }
    const holder = parseHolder(result.stdout)
    if (!holder) {
      throw new LockedError(remote.name, `an unreadable lock at ${LOCK_PATH}`, {
        hint: `check that no lnmp-deploy run is using ${remote.name}, then remove ${LOCK_PATH} on it`,
      })
    }
    const stale = staleness(holder, hostname(), processAlive)
    if (stale) {
      if (options.clearStale) {
        // only the lock we judged stale is removed; if another run replaced it meanwhile, we go round again
        await remote.run(releaseCommand(holder.token, options.stateDir), {sudo: true})
        continue
      }
      throw staleError(remote.name, holder, stale)
    }
    if (Date.now() >= deadline) throw heldError(remote.name, holder, LOCK_PATH)
    await new Promise((r) => setTimeout(r, Math.min(pollMs, Math.max(0, deadline - Date.now()))))
  }
}

function staleError(host: string, holder: LockHolder, stale: Staleness): LockedError {
  if (stale.why === 'process gone') {
    return new LockedError(host, `${describeHolder(holder)}, a process that is gone`, {
      hint: `the lock is stale (process ${holder.pid} on this machine is gone): pass --clear-stale-lock to remove it`,
    })
  }
  return new LockedError(host, `${describeHolder(holder)}, whose lease expired at ${stale.at}`, {
    hint: `the lock is stale (its lease expired at ${stale.at} and nothing renewed it): pass --clear-stale-lock to remove it`,
  })
}

function heldError(host: string, holder: LockHolder, lockPath: string): LockedError {
  const here = holder.controller === hostname()
  const where = here ? 'that run is on this machine' : `that run is on another controller (${holder.controller})`
  const until = holder.leaseUntil === undefined ? Number.NaN : Date.parse(holder.leaseUntil)
  let hint = `${where}; wait for it, or pass --wait-for-lock SECONDS`
  if (!Number.isNaN(until)) {
    const staleAt = new Date(until + LEASE_SKEW_SECONDS * 1000).toISOString()
    hint += ` (it renews its lease while it runs; if it was killed, the lock is stale after ${staleAt} and --clear-stale-lock removes it)`
  } else if (!here) {
    hint += `; the lock has no lease (an older lnmp-deploy took it): if that run is gone, remove ${lockPath} on ${host}`
  }
  return new LockedError(host, describeHolder(holder), {hint})
}

/**
 * The lock, held: its lease renewed every renewSeconds until release (the timer never keeps the process
 * alive), and registered so a signal can release it (held-locks.ts).
 */
function holdLock(remote: Remote, taken: LockHolder, options: LockOptions): HostLock & {host: string} {
  const leaseSeconds = options.leaseSeconds ?? LEASE_SECONDS
  const renewMs = (options.renewSeconds ?? RENEW_SECONDS) * 1000
  let renewing: Promise<void> | undefined
  let released: Promise<void> | undefined

  const renew = async (): Promise<void> => {
    const next = {...taken, leaseUntil: leaseFrom(new Date(), leaseSeconds)}
    try {
      // bounded, so a release never waits long for a renewal stuck on a bad connection
      const result = await remote.exec(renewCommand(next, options.stateDir), {sudo: true, timeoutMs: Math.max(renewMs, 5000)})
      // cleared by hand or as stale, maybe taken by another run: never write over that
      if (result.code === NOT_OURS) clearInterval(timer)
    } catch {
      // the connection is in trouble: try again next time, the lease has time left
    }
  }
  const timer = setInterval(() => {
    renewing ??= renew().finally(() => (renewing = undefined))
  }, renewMs)
  timer.unref()

  const lock = {
    host: remote.name,
    release: (): Promise<void> =>
      (released ??= (async () => {
        clearInterval(timer)
        try {
          // a renewal still under way could write the lock back after the release removed it
          await renewing
          await remote.run(releaseCommand(taken.token, options.stateDir), {sudo: true})
        } finally {
          unregister()
        }
      })()),
  }
  const unregister = registerHeldLock(lock)
  return lock
}

function safeUser(): string {
  try {
    return userInfo().username
  } catch {
    return String(process.getuid?.() ?? 'unknown')
  }
}
