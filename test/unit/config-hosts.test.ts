import {describe, expect, it} from 'vitest'
import {clusterHosts, hostsWithRole, selectHosts} from '../../src/config/hosts.js'
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
      {name: 'web01', address: '10.0.0.7', privateAddress: '10.0.0.7', roles: ['web']},
      {name: 'db01', address: '10.0.0.51', privateAddress: '10.0.0.51', roles: ['db', 'cache']},
    ])
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
