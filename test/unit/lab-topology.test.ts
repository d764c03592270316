import {describe, expect, it} from 'vitest'

import {etcHostsFor, hostsBlock, isLabHostName, labHost, labHostsFor, macFor} from '../../src/lab/topology.js'

describe('lab topology', () => {
  it('gives every host a name, a .lab name and its address', () => {
    expect(hostsBlock()).toEqual([
      '10.77.0.11 lb01.lab lb01',
      '10.77.0.21 web01.lab web01',
      '10.77.0.22 web02.lab web02',
      '10.77.0.31 db01.lab db01',
    ])
  })

  it('writes a host its own /etc/hosts with its name on 127.0.1.1', () => {
    expect(etcHostsFor('web02').split('\n')).toEqual([
      '127.0.0.1 localhost',
      '::1 localhost ip6-localhost ip6-loopback',
      '127.0.1.1 web02.lab web02',
      '10.77.0.11 lb01.lab lb01',
      '10.77.0.21 web01.lab web01',
      '10.77.0.22 web02.lab web02',
      '10.77.0.31 db01.lab db01',
      '',
    ])
  })

  it('derives a stable locally administered MAC from the last octet', () => {
    expect(macFor('10.77.0.31')).toBe('02:77:00:00:00:1f')
    expect(macFor('10.77.0.11')).toBe('02:77:00:00:00:0b')
  })

  it('knows its hosts and nothing else', () => {
    expect(isLabHostName('db01')).toBe(true)
    expect(isLabHostName('db02')).toBe(false)
    expect(labHost('lb01')?.roles).toEqual(['lb'])
    expect(labHost('db01')?.roles).toEqual(['db', 'cache'])
  })

  it('a lab with two session stores adds cache01, memcached only, on the bridge', () => {
    expect(labHostsFor(1).map((h) => h.name)).toEqual(['lb01', 'web01', 'web02', 'db01'])
    expect(labHostsFor(2).map((h) => `${h.name} ${h.address} ${h.roles.join(',')}`)).toEqual([
      'lb01 10.77.0.11 lb',
      'web01 10.77.0.21 web',
      'web02 10.77.0.22 web',
      'db01 10.77.0.31 db,cache',
      'cache01 10.77.0.32 cache',
    ])
    expect(isLabHostName('cache01')).toBe(true)
  })
})
