import {describe, expect, it} from 'vitest'

import {Slots} from '../../src/verify/channel-limit.js'

describe('Slots', () => {
  it('never runs more than its size at once, runs everything, keeps each result, and frees a slot on a throw', async () => {
    const slots = new Slots(3)
    let running = 0
    let peak = 0
    const tick = () => new Promise((r) => setTimeout(r, 2))
    const jobs = Array.from({length: 20}, (_, i) =>
      slots.run(async () => {
        running++
        peak = Math.max(peak, running)
        await tick()
        running--
        if (i % 7 === 0) throw new Error(`job ${i}`)
        return i
      }),
    )
    const results = await Promise.allSettled(jobs)
    expect(peak).toBe(3)
    expect(results.filter((r) => r.status === 'rejected')).toHaveLength(3)
    expect(results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []))).toEqual([
      1, 2, 3, 4, 5, 6, 8, 9, 10, 11, 12, 13, 15, 16, 17, 18, 19,
    ])
    // all slots are free again
    expect(await Promise.all([1, 2, 3].map((n) => slots.run(async () => n)))).toEqual([1, 2, 3])
  })
})
