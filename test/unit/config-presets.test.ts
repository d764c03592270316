import {describe, expect, it} from 'vitest'
import {isPresetName, PRESETS, presetHosts} from '../../src/config/presets.js'
import {configSchema} from '../../src/config/schema.js'

describe('presets', () => {
  it('tutorial is the seed: lb01, web01, web02, db01 on 10.0.0.x with 172.16.1.x private addresses', () => {
    expect(presetHosts('tutorial')).toEqual([
      {name: 'lb01', address: '10.0.0.5', privateAddress: '172.16.1.5', roles: ['lb']},
      {name: 'web01', address: '10.0.0.7', privateAddress: '172.16.1.7', roles: ['web']},
      {name: 'web02', address: '10.0.0.8', privateAddress: '172.16.1.8', roles: ['web']},
      {name: 'db01', address: '10.0.0.51', privateAddress: '172.16.1.51', roles: ['db', 'cache']},
    ])
  })

  it('lab is the local lab on 10.77.0.x', () => {
    expect(presetHosts('lab').map((h) => `${h.name}=${h.address}:${h.roles.join('+')}`)).toEqual([
      'lb01=10.77.0.11:lb',
      'web01=10.77.0.21:web',
      'web02=10.77.0.22:web',
      'db01=10.77.0.31:db+cache',
    ])
  })

  it('hands out copies, so editing one leaves the preset alone', () => {
    const hosts = presetHosts('tutorial')
    hosts[0]!.address = '192.0.2.1'
    hosts[0]!.roles.push('web')
    expect(PRESETS.tutorial.hosts[0]).toEqual({name: 'lb01', address: '10.0.0.5', privateAddress: '172.16.1.5', roles: ['lb']})
  })

  it('every preset is a valid config', () => {
    for (const name of ['tutorial', 'lab'] as const) {
      expect(configSchema.safeParse({version: 1, hosts: presetHosts(name)}).success).toBe(true)
    }
  })

  it('knows its names', () => {
    expect(isPresetName('tutorial')).toBe(true)
    expect(isPresetName('lab')).toBe(true)
    expect(isPresetName('prod')).toBe(false)
  })
})
