import {createHash} from 'node:crypto'
import {describe, expect, it} from 'vitest'

import {canonicalJson, fingerprint} from '../../src/engine/fingerprint.js'

describe('canonicalJson', () => {
  it('sorts keys at every depth and keeps array order', () => {
    expect(canonicalJson({b: 1, a: {d: [3, 1], c: 'x'}})).toBe('{"a":{"c":"x","d":[3,1]},"b":1}')
  })

  it('drops undefined members like JSON.stringify', () => {
    expect(canonicalJson({a: undefined, b: null})).toBe('{"b":null}')
  })

  it('refuses values that are not JSON', () => {
    expect(() => canonicalJson({a: Number.NaN})).toThrow('step inputs at $.a: NaN is not JSON')
    expect(() => canonicalJson({a: [new Map()]})).toThrow('$.a[0]')
    expect(() => canonicalJson({f: () => 1})).toThrow('a function is not JSON')
  })
})

describe('fingerprint', () => {
  it('is the sha256 of the canonical JSON', () => {
    expect(fingerprint({b: 2, a: 1})).toBe(createHash('sha256').update('{"a":1,"b":2}').digest('hex'))
  })

  it('does not depend on key order', () => {
    expect(fingerprint({version: '8.2.29', flags: ['--a'], nested: {y: 1, x: 2}})).toBe(
      fingerprint({nested: {x: 2, y: 1}, flags: ['--a'], version: '8.2.29'}),
    )
  })

  it('changes with any value', () => {
    const base = {version: '8.2.29', flags: ['--a', '--b'], nested: {x: 2}}
    const variants = [
      {...base, version: '8.2.30'},
      {...base, flags: ['--b', '--a']},
      {...base, flags: ['--a']},
      {...base, nested: {x: 3}},
      {...base, nested: {x: '2'}},
      {...base, extra: false},
    ]
    const hashes = new Set([fingerprint(base), ...variants.map((v) => fingerprint(v))])
    expect(hashes.size).toBe(variants.length + 1)
  })
})
