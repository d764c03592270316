import {describe, expect, it} from 'vitest'

import {ConfigError} from '../../src/errors.js'
import {type HostNode, type StepNode, StepGraphError, orderSteps, parseAfter, schedule} from '../../src/engine/graph.js'

const hosts: HostNode[] = [
  {name: 'lb01', roles: ['lb']},
  {name: 'web01', roles: ['web']},
  {name: 'web02', roles: ['web']},
  {name: 'db01', roles: ['db', 'cache']},
]

// listed out of order on purpose: the order must come from `after`
const steps: StepNode[] = [
  {id: 'php-session', roles: ['web'], after: ['php-source', 'cache:memcached']},
  {id: 'www-user', roles: ['web', 'lb'], after: []},
  {id: 'memcached', roles: ['cache'], after: ['www-user']},
  {id: 'php-source', roles: ['web'], after: ['www-user']},
  {id: 'lb-upstream', roles: ['lb'], after: ['www-user', 'web:php-session']},
]

const ids = (s: StepNode[]): string[] => s.map((x) => x.id)
const flat = (sched: ReturnType<typeof schedule>) => Object.fromEntries(sched.map((h) => [h.host, h.units.map((u) => u.stepId)]))

describe('parseAfter', () => {
  it('reads same-host and role dependencies', () => {
    expect(parseAfter('a', 'x')).toEqual({kind: 'same-host', stepId: 'x'})
    expect(parseAfter('a', 'db:memcached')).toEqual({kind: 'role', role: 'db', stepId: 'memcached'})
  })

  it('reads a builder dependency: the step on the host that compiles for this one', () => {
    expect(parseAfter('a', 'builder:php-source')).toEqual({kind: 'builder', stepId: 'php-source'})
  })

  it('refuses an unknown role', () => {
    expect(() => parseAfter('a', 'dbs:memcached')).toThrow("step a: after 'dbs:memcached' names no role")
  })
})

describe('orderSteps', () => {
  it('puts dependencies first and keeps registry order otherwise', () => {
    expect(ids(orderSteps(steps))).toEqual(['www-user', 'php-source', 'memcached', 'php-session', 'lb-upstream'])
  })

  it('names an unknown step', () => {
    expect(() => orderSteps([{id: 'a', roles: ['web'], after: ['nope']}])).toThrow(
      new StepGraphError("step a: after names unknown step 'nope'"),
    )
  })

  it('names the steps of a cycle, also across hosts', () => {
    const cyclic: StepNode[] = [
      {id: 'a', roles: ['web'], after: ['db:c']},
      {id: 'b', roles: ['web'], after: ['a']},
      {id: 'c', roles: ['db'], after: ['web:b']},
    ]
    expect(() => orderSteps(cyclic)).toThrow('step dependency cycle: a -> c -> b -> a')
  })

  it('refuses a duplicate id', () => {
    expect(() =>
      orderSteps([
        {id: 'a', roles: ['web']},
        {id: 'a', roles: ['db']},
      ]),
    ).toThrow('step id a is registered twice')
  })
})

describe('schedule', () => {
  it('runs a step only on hosts with one of its roles', () => {
    expect(flat(schedule(steps, hosts))).toEqual({
      lb01: ['www-user', 'lb-upstream'],
      web01: ['www-user', 'php-source', 'php-session'],
      web02: ['www-user', 'php-source', 'php-session'],
      db01: ['memcached'],
    })
  })

  it('resolves role dependencies to every host of the role the step applies to', () => {
    const lb = schedule(steps, hosts).find((h) => h.host === 'lb01')
    expect(lb?.units[1]).toEqual({
      host: 'lb01',
      stepId: 'lb-upstream',
      needs: [
        {host: 'lb01', stepId: 'www-user'},
        {host: 'web01', stepId: 'php-session'},
        {host: 'web02', stepId: 'php-session'},
      ],
      outside: [],
    })
  })

  it('ignores a same-host dependency that does not apply to the host', () => {
    // memcached is after www-user, but www-user does not run on db01
    const db = schedule(steps, hosts).find((h) => h.host === 'db01')
    expect(db?.units[0]?.needs).toEqual([])
  })

  it('--host touches only that host; its dependencies elsewhere are outside the run', () => {
    const sched = schedule(steps, hosts, {hosts: ['web01']})
    expect(flat(sched)).toEqual({web01: ['www-user', 'php-source', 'php-session']})
    expect(sched[0]?.units[2]).toMatchObject({
      needs: [{host: 'web01', stepId: 'php-source'}],
      outside: [{host: 'db01', stepId: 'memcached'}],
    })
  })

  it('--step keeps only those steps', () => {
    expect(flat(schedule(steps, hosts, {steps: ['memcached', 'lb-upstream']}))).toEqual({
      lb01: ['lb-upstream'],
      db01: ['memcached'],
    })
  })

  it('--from keeps the step and every step ordered after it', () => {
    expect(flat(schedule(steps, hosts, {from: 'memcached'}))).toEqual({
      lb01: ['lb-upstream'],
      web01: ['php-session'],
      web02: ['php-session'],
      db01: ['memcached'],
    })
  })

  it('filters combine', () => {
    expect(flat(schedule(steps, hosts, {from: 'php-source', hosts: ['web02', 'lb01']}))).toEqual({
      lb01: ['lb-upstream'],
      web02: ['php-source', 'php-session'],
    })
  })

  it('names an unknown host or step in a filter', () => {
    expect(() => schedule(steps, hosts, {hosts: ['web03']})).toThrow(ConfigError)
    expect(() => schedule(steps, hosts, {hosts: ['web03']})).toThrow('--host web03: no such host in the config')
    expect(() => schedule(steps, hosts, {steps: ['nginx']})).toThrow('--step nginx: no such step')
    expect(() => schedule(steps, hosts, {from: 'nginx'})).toThrow('--from nginx: no such step')
  })
})

describe('schedule with a builder (build once, ship)', () => {
  const shipping: HostNode[] = [
    {name: 'lb01', roles: ['lb']},
    {name: 'web01', roles: ['web'], builder: 'web01'},
    {name: 'web02', roles: ['web'], builder: 'web01'},
    {name: 'web03', roles: ['web'], builder: 'web01'},
  ]
  const build: StepNode[] = [
    {id: 'www-user', roles: ['web', 'lb']},
    {id: 'php-source', roles: ['web'], after: ['www-user', 'builder:php-source']},
  ]
  const unit = (sched: ReturnType<typeof schedule>, host: string) => sched.find((h) => h.host === host)?.units.at(-1)

  it("makes every other web host wait for the builder's step; the builder waits for no one", () => {
    const sched = schedule(build, shipping)
    expect(unit(sched, 'web01')?.needs).toEqual([{host: 'web01', stepId: 'www-user'}])
    for (const web of ['web02', 'web03']) {
      expect(unit(sched, web)?.needs).toEqual([
        {host: web, stepId: 'www-user'},
        {host: 'web01', stepId: 'php-source'},
      ])
    }
  })

  it('leaves the builder outside a run that filters it out (--host web02): nothing to wait for', () => {
    const sched = schedule(build, shipping, {hosts: ['web02']})
    expect(unit(sched, 'web02')?.needs).toEqual([{host: 'web02', stepId: 'www-user'}])
    expect(unit(sched, 'web02')?.outside).toEqual([{host: 'web01', stepId: 'php-source'}])
  })

  it('adds nothing for hosts without a builder', () => {
    const sched = schedule(build, hosts)
    expect(unit(sched, 'web02')?.needs).toEqual([{host: 'web02', stepId: 'www-user'}])
  })
})

describe('the real steps with a builder', () => {
  it("a follower's first step that can restart waits for every build of its builder; nothing after it waits for the builder", async () => {
    const {STEPS} = await import('../../src/steps/index.js')
    const cluster: HostNode[] = [
      {name: 'lb01', roles: ['lb']},
      {name: 'web01', roles: ['web'], builder: 'web01'},
      {name: 'web02', roles: ['web'], builder: 'web01'},
      {name: 'db01', roles: ['db', 'cache']},
    ]
    const web02 = schedule(STEPS, cluster).find((h) => h.host === 'web02')?.units ?? []
    const onWeb01 = (u: (typeof web02)[number]) => u.needs.filter((n) => n.host === 'web01').map((n) => n.stepId)
    const first = web02.findIndex((u) => u.stepId === 'nginx-source')
    expect(onWeb01(web02[first] as (typeof web02)[number]).sort()).toEqual(['nginx-source', 'pecl-memcache'])
    // every web02 step before it restarts nothing; every one after it waits only for what web01 finished already
    expect(web02.slice(0, first).map((u) => u.stepId)).toEqual(['www-user', 'build-deps'])
    const builderSteps = new Set(['nginx-source', 'php-source', 'pecl-memcache'])
    for (const unit of web02.slice(first + 1)) for (const id of onWeb01(unit)) expect(builderSteps.has(id)).toBe(true)
  })
})
