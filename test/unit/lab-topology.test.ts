import {describe, expect, it} from 'vitest'

import {DeployError, ExitCode} from '../../src/errors.js'
import {
  etcHostsFor,
  hostsBlock,
  isLabHostName,
  LAB_GATEWAY,
  labHost,
  labHostsFor,
  labWebAddress,
  macFor,
  MAX_LAB_WEBS,
  parseLabWebs,
} from '../../src/lab/topology.js'

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
    expect(labHostsFor({webs: 2, caches: 1}).map((h) => h.name)).toEqual(['lb01', 'web01', 'web02', 'db01'])
    expect(labHostsFor({webs: 2, caches: 2}).map((h) => `${h.name} ${h.address} ${h.roles.join(',')}`)).toEqual([
      'lb01 10.77.0.11 lb',
      'web01 10.77.0.21 web',
      'web02 10.77.0.22 web',
      'db01 10.77.0.31 db,cache',
      'cache01 10.77.0.32 cache',
    ])
    expect(isLabHostName('cache01')).toBe(true)
  })
})

describe('labWebAddress', () => {
  it('keeps web01 and web02 where they were and puts web03..web09 next to them', () => {
    expect([1, 2, 3, 9].map(labWebAddress)).toEqual(['10.77.0.21', '10.77.0.22', '10.77.0.23', '10.77.0.29'])
  })

  it('puts web10..web23 on .101-.114, clear of db01 (.31) and cache01 (.32)', () => {
    expect([10, 11, 12, 23].map(labWebAddress)).toEqual(['10.77.0.101', '10.77.0.102', '10.77.0.103', '10.77.0.114'])
  })

  it('has no address for a web host the lab cannot have', () => {
    for (const k of [0, 24, 1.5, -1, Number.NaN]) expect(() => labWebAddress(k)).toThrow(RangeError)
  })

  it('never gives two hosts, the gateway or anything outside the /24 the same address, for any N and cache count', () => {
    for (let webs = 1; webs <= MAX_LAB_WEBS; webs++) {
      for (const caches of [1, 2]) {
        const hosts = labHostsFor({webs, caches})
        const addresses = hosts.map((h) => h.address)
        expect(new Set(addresses).size, `${webs} web hosts, ${caches} store(s)`).toBe(hosts.length)
        expect(new Set(hosts.map((h) => h.name)).size).toBe(hosts.length)
        expect(new Set(addresses.map(macFor)).size).toBe(hosts.length)
        expect(addresses).not.toContain(LAB_GATEWAY)
        for (const a of addresses) expect(a).toMatch(/^10\.77\.0\.(\d+)$/)
        for (const a of addresses) expect(Number(a.split('.')[3])).toBeGreaterThan(1)
        for (const a of addresses) expect(Number(a.split('.')[3])).toBeLessThan(255)
      }
    }
  })
})

describe('labHostsFor', () => {
  const shape = (webs: number, caches: number): string[] => labHostsFor({webs, caches}).map((h) => `${h.name} ${h.address}`)

  it('lists lb01, web01..webNN, db01, then cache01 with a second store', () => {
    expect(shape(1, 1)).toEqual(['lb01 10.77.0.11', 'web01 10.77.0.21', 'db01 10.77.0.31'])
    expect(shape(1, 2)).toEqual(['lb01 10.77.0.11', 'web01 10.77.0.21', 'db01 10.77.0.31', 'cache01 10.77.0.32'])
    expect(shape(2, 1)).toEqual(['lb01 10.77.0.11', 'web01 10.77.0.21', 'web02 10.77.0.22', 'db01 10.77.0.31'])
    expect(shape(3, 1)).toEqual(['lb01 10.77.0.11', 'web01 10.77.0.21', 'web02 10.77.0.22', 'web03 10.77.0.23', 'db01 10.77.0.31'])
    expect(shape(3, 2)).toEqual([
      'lb01 10.77.0.11',
      'web01 10.77.0.21',
      'web02 10.77.0.22',
      'web03 10.77.0.23',
      'db01 10.77.0.31',
      'cache01 10.77.0.32',
    ])
  })

  it('names 23 web hosts web + two digits, each a web host only', () => {
    for (const caches of [1, 2]) {
      const hosts = labHostsFor({webs: 23, caches})
      const webs = hosts.filter((h) => h.roles.includes('web'))
      expect(webs.map((h) => h.name)).toEqual(Array.from({length: 23}, (_, i) => `web${String(i + 1).padStart(2, '0')}`))
      expect(webs.every((h) => h.roles.length === 1)).toBe(true)
      expect(hosts.at(0)?.name).toBe('lb01')
      expect(hosts.map((h) => h.name).slice(24)).toEqual(caches === 2 ? ['db01', 'cache01'] : ['db01'])
      expect(webs.find((h) => h.name === 'web10')?.address).toBe('10.77.0.101')
    }
  })

  it('knows every web host a lab may have by name, and no other', () => {
    expect(isLabHostName('web03')).toBe(true)
    expect(isLabHostName('web23')).toBe(true)
    expect(labHost('web17')?.address).toBe('10.77.0.108')
    expect(isLabHostName('web24')).toBe(false)
    expect(isLabHostName('web00')).toBe(false)
    expect(isLabHostName('web3')).toBe(false)
  })

  it("writes every host of the lab's shape into /etc/hosts", () => {
    const lines = etcHostsFor('web03', labHostsFor({webs: 3, caches: 2})).split('\n')
    expect(lines).toContain('127.0.1.1 web03.lab web03')
    expect(lines).toContain('10.77.0.23 web03.lab web03')
    expect(lines).toContain('10.77.0.32 cache01.lab cache01')
  })
})

describe('parseLabWebs (lab up --web N)', () => {
  it('takes a whole number from 1 to 23', () => {
    expect(parseLabWebs('1')).toBe(1)
    expect(parseLabWebs('3')).toBe(3)
    expect(parseLabWebs('23')).toBe(23)
  })

  it.each(['0', '24', 'abc', '', '2.5', '-1', '3x'])('refuses %j as a usage error naming --web and the range', (value) => {
    let error: unknown
    try {
      parseLabWebs(value)
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(DeployError)
    expect((error as DeployError).exitCode).toBe(ExitCode.usage)
    expect((error as DeployError).message).toContain('--web')
    expect((error as DeployError).message).toContain('1 to 23')
    expect((error as DeployError).message).toContain(JSON.stringify(value))
  })
})
