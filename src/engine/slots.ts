/**
 * A counting semaphore. Compiles are the one thing hosts should not all do at once when they share
 * hardware (the lab: every host on one machine) or a compiler cache (the second host then finds the
 * first one's objects): `build.parallelHosts` caps how many run together.
 */
export class Slots {
  private free: number
  private readonly queue: Array<() => void> = []

  /** limit 0 means no limit */
  constructor(private readonly limit: number) {
    this.free = limit
  }

  async use<T>(work: () => Promise<T>): Promise<T> {
    if (this.limit === 0) return work()
    if (this.free > 0) this.free--
    else await new Promise<void>((resolve) => this.queue.push(resolve))
    try {
      return await work()
    } finally {
      const next = this.queue.shift()
      if (next) next()
      else this.free++
    }
  }
}
