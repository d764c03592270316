/**
 * A counting semaphore: at most `limit` pieces of work at once, the rest wait their turn in order. It caps
 * compiles (`build.parallelHosts`: hosts sharing hardware or a compiler cache should not all compile at once)
 * and the channels of one SSH connection (src/ssh/channel-limit.ts).
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
