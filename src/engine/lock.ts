import {randomBytes} from 'node:crypto'
import {hostname, userInfo} from 'node:os'

import {LockedError} from '../errors.js'
import {quote} from '../ssh/shell.js'
import type {Remote} from '../ssh/remote.js'
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
}

export interface LockOptions {
  /** how long to wait for a held lock before failing; 0 fails at once */
  waitSeconds?: number
  /** remove a lock whose owner process is gone (same controller, pid not alive) */
  clearStale?: boolean
  /** the command line recorded in the lock */
  command: string
  pollMs?: number
  /** STATE_DIR unless a test isolates itself */
  stateDir?: string
}

export function describeHolder(h: LockHolder): string {
  return `${h.owner} (pid ${h.pid}, since ${h.since}, running: ${h.command})`
}

export function localHolder(command: string): LockHolder {
  return {
    owner: `${safeUser()}@${hostname()}`,
    controller: hostname(),
    pid: process.pid,
    since: new Date().toISOString(),
    command,
    token: randomBytes(16).toString('hex'),
  }
}

/** True when the holder's process can be checked from this controller and is gone. */
export function isStale(holder: LockHolder, here: string, isAlive: (pid: number) => boolean): boolean {
  return holder.controller === here && !isAlive(holder.pid)
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
      typeof v.token === 'string'
    ) {
      return v as LockHolder
    }
  } catch {
    // fall through: an unreadable lock is reported as such
  }
  return undefined
}

const BUSY = 3

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

export interface HostLock {
  release(): Promise<void>
}

export async function acquireLock(remote: Remote, options: LockOptions): Promise<HostLock> {
  const me = localHolder(options.command)
  const deadline = Date.now() + (options.waitSeconds ?? 0) * 1000
  const pollMs = options.pollMs ?? 1000
  const {lock: LOCK_PATH} = statePaths(options.stateDir)
  for (;;) {
    const result = await remote.exec(acquireCommand(me, options.stateDir), {sudo: true})
    if (result.code === 0) {
      return {release: async () => void (await remote.run(releaseCommand(me.token, options.stateDir), {sudo: true}))}
    }
    if (result.code !== BUSY) {
      throw new LockedError(remote.name, `unknown (taking ${LOCK_PATH} failed: ${result.stderr.trim() || `exit ${result.code}`})`)
    }
    const holder = parseHolder(result.stdout)
    if (!holder) {
      throw new LockedError(remote.name, `an unreadable lock at ${LOCK_PATH}`, {
        hint: `check that no lnmp-deploy run is using ${remote.name}, then remove ${LOCK_PATH} on it`,
      })
    }
    if (isStale(holder, hostname(), processAlive)) {
      if (options.clearStale) {
        // only the lock we judged stale is removed; if another run replaced it meanwhile, we go round again
        await remote.run(releaseCommand(holder.token, options.stateDir), {sudo: true})
        continue
      }
      throw new LockedError(remote.name, `${describeHolder(holder)}, a process that is gone`, {
        hint: 'the lock is stale: pass --clear-stale-lock to remove it',
      })
    }
    if (Date.now() >= deadline) {
      throw new LockedError(remote.name, describeHolder(holder), {
        hint:
          holder.controller === hostname()
            ? 'wait for that run to end, or pass --wait-for-lock SECONDS'
            : `that run is on another controller (${holder.controller}); wait for it, or pass --wait-for-lock SECONDS`,
      })
    }
    await new Promise((r) => setTimeout(r, Math.min(pollMs, Math.max(0, deadline - Date.now()))))
  }
}

function safeUser(): string {
  try {
    return userInfo().username
  } catch {
    return String(process.getuid?.() ?? 'unknown')
  }
}
