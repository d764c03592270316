import {execFileSync} from 'node:child_process'

import {describe, expect, it} from 'vitest'

import {toJUnit, xmlEscape} from '../../src/verify/junit.js'
import type {CheckOutcome} from '../../src/verify/types.js'

/**
 * Parsed back by a real XML parser (Python's xml.etree, strict: it refuses malformed XML and invalid
 * characters), not by string matching, so an escaping mistake fails here as it would in a CI system.
 */
function parseBack(xml: string): any {
  const script = `
import json, sys, xml.etree.ElementTree as ET
root = ET.fromstring(sys.stdin.buffer.read())
def case(c):
    out = {'attrs': c.attrib}
    for kind in ('failure', 'skipped', 'error'):
        e = c.find(kind)
        if e is not None:
            out[kind] = {'attrs': e.attrib, 'text': e.text or ''}
    return out
print(json.dumps({'tag': root.tag, 'attrs': root.attrib, 'suites': [{'attrs': s.attrib, 'properties': [p.attrib for p in s.findall('properties/property')], 'cases': [case(c) for c in s.findall('testcase')]} for s in root.findall('testsuite')]}))
`
  return JSON.parse(execFileSync('python3', ['-c', script], {input: xml, encoding: 'utf8'}))
}

const row = (o: Partial<CheckOutcome> & Pick<CheckOutcome, 'host' | 'name' | 'status'>): CheckOutcome => ({
  check: 'session-proof',
  durationMs: 12,
  ok: o.status === 'pass',
  ...o,
})

describe('toJUnit', () => {
  const nasty = `<b>&"quoted"</b> 'x' \u0001bell\u001B[31mred\r\nline2\ttab \uD83D\uDE00 lone \uD800 end`
  const xml = toJUnit({
    name: 'lnmp-deploy verify',
    durationMs: 1234,
    hosts: ['lb01', 'web01', 'web02'],
    checks: [
      row({
        host: 'lb01',
        name: 'session-proof',
        status: 'fail',
        detail: `web02 answered 502 ${nasty}`,
        command: 'GET http://10.77.0.11/?a=1&b=2',
        output: nasty,
        hint: 'check <php-fpm> & "co"',
      }),
      row({host: 'web01', check: 'php-fpm', name: 'php-fpm-t', status: 'pass', durationMs: 1500}),
      row({host: 'web01', check: 'session-proof', name: 'x', status: 'skipped', detail: 'session.handler is files'}),
    ],
    unreachable: [{host: 'web02', message: 'web02: connection refused', hint: 'is sshd running?'}],
  })

  // one parse for the suite: the interpreter takes a second to start on a loaded machine
  const doc = parseBack(xml)

  it('is well-formed XML with one testsuite per host and one testcase per check', () => {
    expect(doc.tag).toBe('testsuites')
    expect(doc.attrs).toMatchObject({tests: '4', failures: '1', errors: '1', skipped: '1', time: '1.234'})
    expect(doc.suites.map((s: any) => s.attrs.name)).toEqual(['lb01', 'web01', 'web02'])
    expect(doc.suites[1].attrs).toMatchObject({tests: '2', failures: '0', skipped: '1', time: '1.500'})
    expect(doc.suites[1].cases[0].attrs).toEqual({classname: 'web01.php-fpm', name: 'php-fpm-t', time: '1.500'})
    expect(doc.suites[1].cases[1].skipped.attrs.message).toBe('session.handler is files')
  })

  it('carries a failure message and text with every special character intact, and invalid ones replaced', () => {
    const failure = doc.suites[0].cases[0].failure
    const survives = `<b>&"quoted"</b> 'x' \uFFFDbell\uFFFD[31mred\r\nline2\ttab \uD83D\uDE00 lone \uFFFD end`
    expect(failure.attrs.message).toBe(`web02 answered 502 ${survives}`)
    expect(failure.attrs.type).toBe('session-proof')
    expect(failure.text).toBe(`command: GET http://10.77.0.11/?a=1&b=2\noutput:\n${survives}\nhint: check <php-fpm> & "co"`)
  })

  it('reports an unreachable host as an errored testcase of its own suite', () => {
    const web02 = doc.suites[2]
    expect(web02.attrs).toMatchObject({name: 'web02', tests: '1', errors: '1'})
    expect(web02.cases[0].error.attrs).toEqual({message: 'web02: connection refused', type: 'unreachable'})
    expect(web02.cases[0].error.text).toBe('hint: is sshd running?')
  })

  it('has no properties without warnings', () => {
    expect(doc.suites.map((s: any) => s.properties)).toEqual([[], [], []])
  })

  it('carries each warning as a property of every testsuite, counted nowhere as a failure', () => {
    const warning = 'PHP 8.2.32 reaches its end of life on 2026-12-31 (30 days): set php.version to 8.4.24 & <soon>'
    const warned = parseBack(
      toJUnit({
        name: 'lnmp-deploy verify',
        durationMs: 10,
        hosts: ['web01', 'web02'],
        checks: [row({host: 'web01', check: 'php-fpm', name: 'php-fpm-t', status: 'pass'})],
        unreachable: [],
        warnings: [warning],
      }),
    )
    expect(warned.attrs).toMatchObject({tests: '1', failures: '0', errors: '0'})
    expect(warned.suites.map((s: any) => [s.attrs.name, s.properties, s.cases.length])).toEqual([
      ['web01', [{name: 'warning', value: warning}], 1],
      ['web02', [{name: 'warning', value: warning}], 0],
    ])
  })

  it('escapes the five XML entities', () => {
    expect(xmlEscape(`<a href="x">&'`)).toBe('&lt;a href=&quot;x&quot;&gt;&amp;&apos;')
  })
})
