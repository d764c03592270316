import {Writable} from 'node:stream'
import {describe, expect, it} from 'vitest'

import type {EngineEvent, RunSummary, StepResult} from '../../src/engine/events.js'
import {emptyCounts} from '../../src/engine/events.js'
import {jsonLinesSink, lastShowableLine, listrSink} from '../../src/engine/renderers.js'

function captured(): {stream: NodeJS.WriteStream; text: () => string} {
  let text = ''
  const stream = new Writable({
    write(chunk, _encoding, callback) {
      text += String(chunk)
      callback()
    },
  }) as unknown as NodeJS.WriteStream
  // biome-ignore lint/suspicious/noControlCharactersInRegex: strips ANSI colour escapes
  return {stream, text: () => text.replaceAll(/\u001B\[[0-9;]*m/g, '')}
}

const result = (host: string, step: string, extra: Partial<StepResult>): StepResult => ({
  host,
  step,
  title: `Title ${step}`,
  status: 'changed',
  durationMs: 1,
  actions: [],
  ...extra,
})

const summary: RunSummary = {
  mode: 'run',
  startedAt: 't',
  durationMs: 1,
  results: [],
  counts: emptyCounts(),
  failures: [],
  problems: [],
  ok: true,
}

const events: EngineEvent[] = [
  {
    type: 'run-start',
    mode: 'run',
    at: 't',
    hosts: [
      {
        host: 'web01',
        steps: [
          {id: 'www-user', title: 'Title www-user'},
          {id: 'php', title: 'Title php'},
        ],
      },
      {host: 'db01', steps: [{id: 'memcached', title: 'Title memcached'}]},
    ],
  },
  {type: 'step-start', host: 'web01', step: 'www-user', title: 'Title www-user'},
  {type: 'step-end', ...result('web01', 'www-user', {status: 'unchanged', reason: 'fingerprint matches'})},
  {type: 'step-start', host: 'db01', step: 'memcached', title: 'Title memcached'},
  {
    type: 'step-end',
    ...result('db01', 'memcached', {
      status: 'failed',
      error: {
        host: 'db01',
        step: 'memcached',
        message: 'db01: step memcached failed: boom',
        outputTail: 'last words',
        logPath: '/x/db01/memcached.log',
        exitCode: 5,
      },
    }),
  },
  {type: 'step-end', ...result('web01', 'php', {status: 'skipped', reason: 'waits for memcached on db01 (failed)'})},
  {type: 'run-end', summary},
]

describe('jsonLinesSink', () => {
  it('writes each event as one JSON line and nothing else', async () => {
    const lines: string[] = []
    const {sink, done} = jsonLinesSink((l) => lines.push(l))
    for (const e of events) sink(e)
    await done()
    expect(lines.every((l) => l.endsWith('\n') && !l.slice(0, -1).includes('\n'))).toBe(true)
    expect(lines.map((l) => JSON.parse(l))).toEqual(events)
  })
})

describe('listrSink', () => {
  it('shows one line per host and step with the status the runner reported', async () => {
    const out = captured()
    const {sink, done} = listrSink({renderer: 'simple', stdout: out.stream, stderr: out.stream})
    for (const e of events) sink(e)
    await done()
    const text = out.text()
    expect(text).toContain('web01: Title www-user (unchanged)')
    expect(text).toContain('db01: Title memcached [FAILED: db01: step memcached failed: boom')
    expect(text).toContain('last words')
    expect(text).toContain('log: /x/db01/memcached.log')
    expect(text).toContain('web01: Title php [SKIPPED: skipped: waits for memcached on db01 (failed)]')
    expect(text).toContain('web01')
  })
})

describe('listrSink interrupted', () => {
  it('leaves SIGINT to the run, and on interrupt ends every step not ended as skipped', async () => {
    const out = captured()
    const sigint = process.listenerCount('SIGINT')
    const {sink, interrupt} = listrSink({renderer: 'simple', stdout: out.stream, stderr: out.stream})
    sink(events[0] as EngineEvent)
    sink({type: 'step-start', host: 'web01', step: 'www-user', title: 'Title www-user'})
    sink({type: 'step-end', ...result('web01', 'www-user', {status: 'changed'})})
    expect(process.listenerCount('SIGINT')).toBe(sigint)
    await interrupt?.('interrupted')
    const text = out.text()
    expect(text).toContain('web01: Title www-user (changed)')
    expect(text).toContain('web01: Title php [SKIPPED: skipped: interrupted]')
    expect(text).toContain('db01: Title memcached [SKIPPED: skipped: interrupted]')
  })
})

describe('step output in the plain renderer', () => {
  it('shows a running step its first output line, then at most one line per interval, never the framing lines', async () => {
    const out = captured()
    const {sink, done} = listrSink({renderer: 'simple', stdout: out.stream, stderr: out.stream})
    sink({type: 'run-start', mode: 'run', at: 't', hosts: [{host: 'web01', steps: [{id: 'php', title: 'Title php'}]}]})
    sink({type: 'step-start', host: 'web01', step: 'php', title: 'Title php'})
    await new Promise((r) => setTimeout(r, 50))
    sink({type: 'step-output', host: 'web01', step: 'php', text: 'checking for gcc... yes\n'})
    sink({type: 'step-output', host: 'web01', step: 'php', text: 'compiling main.c\n'})
    sink({type: 'step-end', ...result('web01', 'php', {status: 'changed'})})
    sink({type: 'run-end', summary})
    await done()
    const text = out.text()
    expect(text).toContain('checking for gcc... yes')
    expect(text).not.toContain('compiling main.c')
    expect(text).toContain('web01: Title php (changed)')
  })

  it('skips the framing of batched probes', () => {
    expect(lastShowableLine('@@lnmp-deploy@@ version\nnginx version: nginx/1.22.1\n@rc=0\n')).toBe('nginx version: nginx/1.22.1')
    expect(lastShowableLine('@@lnmp-deploy@@ link\n@rc=0\n')).toBeUndefined()
  })
})
