import {describe, expect, it} from 'vitest'

import {Slots} from '../../src/slots.js'

const tick = () => new Promise((r) => setTimeout(r, 5))

describe('Slots', () => {
  it('lets no more than the limit run at once, and every job finishes', async () => {
    const slots = new Slots(1)
    let running = 0
    let peak = 0
    const job = (id: number) =>
      slots.use(async () => {
        running++
        peak = Math.max(peak, running)
        await tick()
        running--
        return id
      })
    expect(await Promise.all([job(1), job(2), job(3)])).toEqual([1, 2, 3])
    expect(peak).toBe(1)
  })

  it('0 means no limit', async () => {
    const slots = new Slots(0)
    let running = 0
    let peak = 0
    await Promise.all(
      [1, 2, 3].map(() =>
        slots.use(async () => {
          running++
          peak = Math.max(peak, running)
          await tick()
          running--
        }),
      ),
    )
    expect(peak).toBe(3)
  })

  it('frees the slot when a job fails', async () => {
    const slots = new Slots(1)
    await expect(
      slots.use(async () => {
        throw new Error('make failed')
      }),
    ).rejects.toThrow('make failed')
    expect(await slots.use(async () => 'next')).toBe('next')
  })

  it('never runs more than its size at once, runs everything, keeps each result, and frees a slot on a throw', async () => {
    const slots = new Slots(3)
    let running = 0
    let peak = 0
    const tick = () => new Promise((r) => setTimeout(r, 2))
    const jobs = Array.from({length: 20}, (_, i) =>
      slots.use(async () => {
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
    expect(await Promise.all([1, 2, 3].map((n) => slots.use(async () => n)))).toEqual([1, 2, 3])
  })
})
