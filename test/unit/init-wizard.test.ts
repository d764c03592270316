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

/** preset, four addresses, where sessions live, SSH user, port and key, nginx version: all defaults */
async function upToPhp(): Promise<void> {
  await enter(10)
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

/** preset and the four addresses: the defaults; then the session stores question is on the screen */
async function upToStores(): Promise<void> {
  await enter(5)
  expect(screen.getScreen()).toContain('Where do PHP sessions live?')
}

/** SSH user, port and key, nginx version, then PHP and the rest */
async function afterStores(): Promise<void> {
  await enter(4)
  expect(screen.getScreen()).toContain('PHP version')
  await enter()
  await afterPhp()
}

describe("the wizard's session stores question", {timeout: 10_000}, () => {
  it("offers the three layouts, saying what each means, and keeps the procedure's on enter", async () => {
    const done = askAnswers(answersFromFlags({preset: 'lab'}), {today})
    await upToStores()
    const shown = screen.getScreen()
    expect(shown).toContain("db01 only (the procedure's layout: memcached on db01 is a single point of failure for every login)")
    expect(shown).toContain('db01 and a dedicated cache host (asks its name and address; default name cache01)')
    expect(shown).toContain('db01 and one of the web hosts (pick which)')
    expect(shown).toContain('one store: while its memcached is down or restarted empty, nobody stays logged in')
    await enter()
    await afterStores()
    expect((await done).cache).toEqual({added: [], on: []})
  })

  it("adds a dedicated cache host: cache01 at the lab's address by default, a name already taken refused", async () => {
    const done = askAnswers(answersFromFlags({preset: 'lab'}), {today})
    await upToStores()
    screen.keypress('down')
    expect(screen.getScreen()).toContain('every session is written to each store')
    await enter()
    expect(screen.getScreen()).toContain('Name of the cache host')
    screen.type('web02')
    await enter()
    expect(screen.getScreen()).toContain('web02 is already a host here; a dedicated cache host is a new machine')
    for (let i = 0; i < 'web02'.length; i++) screen.keypress('backspace')
    await enter()
    expect(screen.getScreen()).toContain('Address of cache01 (cache)')
    await enter()
    await afterStores()
    expect((await done).cache).toEqual({added: [{name: 'cache01', address: '10.77.0.32', roles: ['cache']}], on: []})
  })

  it('on the tutorial preset asks the new host its address and private address, with no address made up', async () => {
    const done = askAnswers(answersFromFlags({}), {today})
    // preset, then four addresses each with its private address
    await enter(9)
    expect(screen.getScreen()).toContain('Where do PHP sessions live?')
    screen.keypress('down')
    await enter()
    screen.type('memc01')
    await enter()
    expect(screen.getScreen()).toContain('Address of memc01 (cache)')
    await enter()
    expect(screen.getScreen()).toContain('must be a DNS name or an IP address')
    screen.type('10.0.0.52')
    await enter()
    expect(screen.getScreen()).toContain('Private address of memc01')
    screen.type('172.16.1.52')
    await enter()
    await afterStores()
    expect((await done).cache).toEqual({
      added: [{name: 'memc01', address: '10.0.0.52', privateAddress: '172.16.1.52', roles: ['cache']}],
      on: [],
    })
  })

  it('makes a web host a store too, picked from the web hosts', async () => {
    const done = askAnswers(answersFromFlags({preset: 'lab'}), {today})
    await upToStores()
    screen.keypress('down')
    screen.keypress('down')
    await enter()
    expect(screen.getScreen()).toContain('Which web host stores sessions as well?')
    expect(screen.getScreen()).toContain('web01 (10.77.0.21)')
    expect(screen.getScreen()).not.toContain('lb01 (')
    screen.keypress('down')
    await enter()
    await afterStores()
    expect((await done).cache).toEqual({added: [], on: ['web02']})
  })

  it('starts from the flags: --cache-on web02 is the default layout and host', async () => {
    const done = askAnswers(answersFromFlags({preset: 'lab', 'cache-on': ['web02']}), {today})
    await upToStores()
    await enter()
    expect(screen.getScreen()).toContain('Which web host stores sessions as well?')
    await enter()
    await afterStores()
    expect((await done).cache).toEqual({added: [], on: ['web02']})
  })

  it('offers a layout the three do not cover as the flags say, first, so enter keeps it', async () => {
    const flags = {preset: 'lab', 'cache-host': ['cache01=10.77.0.32'], 'cache-on': ['web01']}
    const done = askAnswers(answersFromFlags(flags), {today})
    await upToStores()
    expect(screen.getScreen()).toContain('as the flags say: web01, db01, cache01')
    await enter()
    await afterStores()
    expect((await done).cache).toEqual(answersFromFlags(flags).cache)
  })

  it("another preset than the flags' starts from the procedure's layout", async () => {
    const done = askAnswers(answersFromFlags({preset: 'lab', 'cache-on': ['web02']}), {today})
    screen.keypress('up')
    // tutorial: preset, four addresses each with its private address
    await enter(9)
    expect(screen.getScreen()).toContain('Where do PHP sessions live?')
    await enter()
    await afterStores()
    expect((await done).cache).toEqual({added: [], on: []})
  })
})
