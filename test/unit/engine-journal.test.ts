import {describe, expect, it} from 'vitest'

import {type JournalData, HostJournal, emptyJournal, parseJournal, serializeJournal} from '../../src/engine/journal.js'

describe('parseJournal', () => {
  it('reads an empty file as a host that never ran anything', () => {
    expect(parseJournal('web01', '')).toEqual(emptyJournal())
  })

  it('round-trips what serializeJournal wrote', () => {
    const data: JournalData = {
      version: 1,
      steps: {
        'www-user': {fingerprint: 'a'.repeat(64), at: '2025-01-01T00:00:00.000Z', result: 'ok'},
        memcached: {fingerprint: 'b'.repeat(64), at: '2025-01-01T00:00:01.000Z', result: 'failed', error: 'boom'},
      },
      owed: [{stepId: 'memcached', service: 'memcached', op: 'restart', ready: {tcp: {host: '10.0.0.4', port: 11211}}, since: 'x'}],
    }
    expect(parseJournal('db01', serializeJournal(data))).toEqual(data)
  })

  it('names the host and the journal when the file is damaged', () => {
    expect(() => parseJournal('db01', '{"version":1,')).toThrow('db01: journal /var/lib/lnmp-deploy/state.json: not JSON')
    expect(() => parseJournal('db01', '{"version":2,"steps":{},"owed":[]}')).toThrow('not a version 1 journal')
    expect(() => parseJournal('db01', '{"version":1,"steps":{"x":{"fingerprint":1}},"owed":[]}')).toThrow('entry for step x is malformed')
  })
})

describe('HostJournal', () => {
  it('writes every change through, and owes a service once per step and op', async () => {
    const writes: JournalData[] = []
    const journal = await HostJournal.load({read: async () => emptyJournal(), write: async (d) => void writes.push(structuredClone(d))})
    const owed = {stepId: 's', service: 'nginx', op: 'reload' as const, since: 't'}
    await journal.addOwed(owed)
    await journal.addOwed({...owed, since: 't2'})
    expect(journal.owedBy('s')).toEqual([{...owed, since: 't2'}])
    await journal.clearOwed(owed)
    await journal.recordStep('s', {fingerprint: 'f', at: 't3', result: 'ok'})
    expect(writes.map((w) => w.owed.length)).toEqual([1, 1, 0, 0])
    expect(writes.at(-1)?.steps).toEqual({s: {fingerprint: 'f', at: 't3', result: 'ok'}})
  })
})
