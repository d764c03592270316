import {screen} from '@inquirer/testing/vitest'
import {describe, expect, it} from 'vitest'
// after @inquirer/testing/vitest, so the wizard's prompts render to its screen
import {answersFromFlags} from '../../src/services/init-answers.js'
import {askAnswers} from '../../src/services/init-wizard.js'

/** The wizard's questions up to the PHP version, answered on @inquirer/testing's screen; the lab preset has no private addresses. */
const today = new Date('2026-12-01T09:00:00Z')

async function enter(times = 1): Promise<void> {
  for (let i = 0; i < times; i++) {
    screen.keypress('enter')
    await screen.next()
  }
}

/** preset, four addresses, SSH user, port and key, nginx version: all defaults */
async function upToPhp(): Promise<void> {
  await enter(9)
  expect(screen.getScreen()).toContain('PHP version')
}

/** session handler, app, the two env var names: no question follows the last, so no screen update to wait for */
async function afterPhp(): Promise<void> {
  await enter(3)
  screen.keypress('enter')
}

describe("the wizard's PHP question", {timeout: 10_000}, () => {
  it('offers the verified versions newest first with their end-of-life notes, the default first and chosen on enter', async () => {
    const done = askAnswers(answersFromFlags({preset: 'lab'}), {today})
    await upToPhp()
    const shown = screen.getScreen()
    const order = [
      '8.4.24 (supported until 2028-12-31)',
      '8.2.36 (end of life 2026-12-31, in 30 days)',
      '8.2.32 (end of life 2026-12-31, in 30 days)',
      'another version',
    ]
    for (const label of order) expect(shown).toContain(label)
    expect(order.map((l) => shown.indexOf(l))).toEqual([...order.map((l) => shown.indexOf(l))].sort((a, b) => a - b))
    expect(shown).not.toContain('8.3.14')
    await enter()
    await afterPhp()
    expect((await done).phpVersion).toBe('8.4.24')
  })

  it('takes an older one from the list', async () => {
    const done = askAnswers(answersFromFlags({preset: 'lab'}), {today})
    await upToPhp()
    screen.keypress('down')
    screen.keypress('down')
    await enter()
    await afterPhp()
    expect((await done).phpVersion).toBe('8.2.32')
  })

  it('takes another version, typed in and checked', async () => {
    const done = askAnswers(answersFromFlags({preset: 'lab'}), {today})
    await upToPhp()
    for (let i = 0; i < 3; i++) screen.keypress('down')
    await enter()
    expect(screen.getScreen()).toContain('PHP version to build')
    screen.type('8.x')
    await enter()
    expect(screen.getScreen()).toContain('must be a version such as 8.2.32')
    for (let i = 0; i < 3; i++) screen.keypress('backspace')
    screen.type('8.3.14')
    await enter()
    await afterPhp()
    expect((await done).phpVersion).toBe('8.3.14')
  })

  it('puts the version --php-version named first when the table does not offer it, so enter keeps it', async () => {
    const done = askAnswers(answersFromFlags({preset: 'lab', 'php-version': '8.3.14'}), {today})
    await upToPhp()
    const shown = screen.getScreen()
    expect(shown).toContain('8.3.14 (supported until 2027-12-31)')
    expect(shown.indexOf('8.3.14')).toBeLessThan(shown.indexOf('8.4.24'))
    await enter()
    await afterPhp()
    expect((await done).phpVersion).toBe('8.3.14')
  })
})
