import {describe, expect, it} from 'vitest'

import {Slots} from '../../src/engine/slots.js'

const tick = () => new Promise((r) => setTimeout(r, 5))

describe('build slots', () => {
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
})
