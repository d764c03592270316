import {describe, expect, it} from 'vitest'
import {builderOf, clusterHosts, hostsWithRole, selectHosts} from '../../src/config/hosts.js'
import {configSchema} from '../../src/config/schema.js'
import {ConfigError} from '../../src/errors.js'

const config = configSchema.parse({
  version: 1,
  hosts: [
    {name: 'lb01', address: '10.0.0.5', privateAddress: '172.16.1.5', roles: ['lb']},
    {name: 'web01', address: '10.0.0.7', roles: ['web']},
    {name: 'db01', address: '10.0.0.51', roles: ['db', 'cache']},
  ],
})

describe('clusterHosts', () => {
  it('defaults the private address to the address', () => {
    expect(clusterHosts(config)).toEqual([
      {name: 'lb01', address: '10.0.0.5', privateAddress: '172.16.1.5', roles: ['lb']},
      {name: 'web01', address: '10.0.0.7', privateAddress: '10.0.0.7', roles: ['web'], builder: 'web01'},
      {name: 'db01', address: '10.0.0.51', privateAddress: '10.0.0.51', roles: ['db', 'cache']},
    ])
  })
})

describe('builderOf', () => {
  const webs = (build: Record<string, unknown> = {}) =>
    configSchema.parse({
      version: 1,
      hosts: [
        {name: 'lb01', address: '10.0.0.5', roles: ['lb']},
        {name: 'web01', address: '10.0.0.7', roles: ['web']},
        {name: 'web02', address: '10.0.0.8', roles: ['web']},
      ],
      build,
    })

  it('is the first web host, and every web host names it; other hosts have none', () => {
    expect(builderOf(webs())).toBe('web01')
    expect(clusterHosts(webs()).map((h) => h.builder)).toEqual([undefined, 'web01', 'web01'])
  })

  it('is build.builder when the config names one', () => {
    expect(builderOf(webs({builder: 'web02'}))).toBe('web02')
    expect(clusterHosts(webs({builder: 'web02'})).map((h) => h.builder)).toEqual([undefined, 'web02', 'web02'])
  })

  it('is none with build.once false: every web host compiles for itself, as the procedure does', () => {
    expect(builderOf(webs({once: false}))).toBeUndefined()
    expect(clusterHosts(webs({once: false})).map((h) => h.builder)).toEqual([undefined, undefined, undefined])
  })

  it('refuses a build.builder that is not a web host of the config', () => {
    expect(() => webs({builder: 'lb01'})).toThrow(/build\.builder lb01 is not a configured web host/)
    expect(() => webs({builder: 'web09'})).toThrow(/build\.builder web09 is not a configured web host/)
  })
})

describe('selectHosts', () => {
  it('keeps config order and takes every host when no name is given', () => {
    expect(selectHosts(config, ['db01', 'lb01']).map((h) => h.name)).toEqual(['lb01', 'db01'])
    expect(selectHosts(config, []).map((h) => h.name)).toEqual(['lb01', 'web01', 'db01'])
  })

  it('names an unknown host and the known ones', () => {
    expect(() => selectHosts(config, ['web01', 'web03'])).toThrow(ConfigError)
    expect(() => selectHosts(config, ['web03'])).toThrow('unknown host "web03": the config has lb01, web01, db01')
  })
})

describe('hostsWithRole', () => {
  it('filters a config or a host list by role', () => {
    expect(hostsWithRole(config, 'cache').map((h) => h.name)).toEqual(['db01'])
    expect(hostsWithRole(clusterHosts(config), 'web').map((h) => h.name)).toEqual(['web01'])
    expect(hostsWithRole(config, 'lb')[0]?.privateAddress).toBe('172.16.1.5')
  })
})
