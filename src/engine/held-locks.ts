/**
 * Every host lock this process holds, so that a Ctrl-C or a CI timeout's SIGTERM releases them before the
 * process ends instead of leaving them for the next run to meet. acquireLock registers a lock, its release
 * unregisters it; the run command installs releaseAllOnSignal for as long as it runs.
 */

export interface HeldLock {
  /** the host the lock is on, for the message */
  readonly host: string
  release(): Promise<void>
}

const held = new Set<HeldLock>()

/** Remember a lock until its release; returns the function that forgets it. */
export function registerHeldLock(lock: HeldLock): () => void {
  held.add(lock)
  return () => void held.delete(lock)
}

export function heldLocks(): HeldLock[] {
  return [...held]
}

/** How long the first signal gives the releases before the process exits anyway. */
export const SIGNAL_RELEASE_TIMEOUT_MS = 5000

export const SIGNAL_EXIT_CODES = {SIGINT: 130, SIGTERM: 143} as const
export type HandledSignal = keyof typeof SIGNAL_EXIT_CODES

export interface ReleaseAllResult {
  released: string[]
  /** hosts whose release failed or did not finish in time; their lock goes stale when its lease runs out */
  notReleased: string[]
}

/** Release every lock held, in parallel, waiting at most timeoutMs. */
export async function releaseAll(timeoutMs: number = SIGNAL_RELEASE_TIMEOUT_MS): Promise<ReleaseAllResult> {
  const locks = heldLocks()
  const released: string[] = []
  const all = Promise.all(
    locks.map(async (lock) => {
      try {
        await lock.release()
        released.push(lock.host)
      } catch {
        // reported below as not released
      }
    }),
  )
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, timeoutMs)
  })
  await Promise.race([all, timeout])
  clearTimeout(timer)
  const done = new Set(released)
  return {
    released: [...released].sort(),
    notReleased: locks
      .map((l) => l.host)
      .filter((h) => !done.has(h))
      .sort(),
  }
}

export interface SignalOptions {
  /** how the process ends; process.exit unless a test says otherwise */
  exit?: (code: number) => void
  /** where the one line about the releases goes; stderr by default */
  log?: (line: string) => void
  timeoutMs?: number
  /** run alongside the releases on the first signal, within the same timeout (e.g. end the progress display) */
  onInterrupt?: () => Promise<void> | void
}

/**
 * The handler releaseAllOnSignal installs, exported so tests can call it without sending signals. The first
 * signal releases every held lock (at most timeoutMs) and exits with 128 + the signal's number; a second one
 * exits at once.
 */
export function signalHandler(options: SignalOptions = {}): (signal: HandledSignal) => Promise<void> {
  const exit = options.exit ?? ((code: number) => process.exit(code))
  const log = options.log ?? ((line: string) => void process.stderr.write(`${line}\n`))
  const timeoutMs = options.timeoutMs ?? SIGNAL_RELEASE_TIMEOUT_MS
  let interrupted = false
  return async (signal) => {
    const code = SIGNAL_EXIT_CODES[signal]
    if (interrupted) {
      exit(code)
      return
    }
    interrupted = true
    const interrupt = options.onInterrupt ? withTimeout(Promise.resolve().then(options.onInterrupt), timeoutMs) : Promise.resolve()
    const [result] = await Promise.all([releaseAll(timeoutMs), interrupt])
    log(signalMessage(signal, result))
    exit(code)
  }
}

export function signalMessage(signal: HandledSignal, result: ReleaseAllResult): string {
  const parts = [`${signal}: stopped`]
  if (result.released.length > 0) parts.push(`released the lock on ${result.released.join(', ')}`)
  if (result.notReleased.length > 0) {
    parts.push(
      `could not release the lock on ${result.notReleased.join(', ')} (it goes stale once its lease runs out; then ` +
        'pass --clear-stale-lock to remove it)',
    )
  }
  return parts.join('; ')
}

/**
 * On SIGINT and SIGTERM, release every held lock and exit 130 / 143 (see signalHandler). Returns the
 * function that removes the handlers again, for when the run has ended.
 */
export function releaseAllOnSignal(options: SignalOptions = {}): () => void {
  const handle = signalHandler(options)
  const onInt = (): void => void handle('SIGINT')
  const onTerm = (): void => void handle('SIGTERM')
  process.on('SIGINT', onInt)
  process.on('SIGTERM', onTerm)
  return () => {
    process.off('SIGINT', onInt)
    process.off('SIGTERM', onTerm)
  }
}

async function withTimeout(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  await Promise.race([
    promise.catch(() => undefined),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, ms)
    }),
  ])
  clearTimeout(timer)
}
