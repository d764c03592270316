import {existsSync, readdirSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import type {AnyStep} from '../../src/engine/step.js'
import {STEPS} from '../../src/steps/index.js'
import {
  answerJson,
  PROBE_RECORDINGS,
  parseRecordingFile,
  pinnedAnswerFile,
  type RecordingName,
  recordingContext,
} from './probe-recordings.js'

/**
 * Each probe parser against output recorded on real hosts (issue 11; the layout: probe-recordings.ts). Every
 * `<query>-<host>-<label>.txt` under test/unit/fixtures/probes/<step id>/ is parsed by that query's parser, with
 * inputs built from the shared fixtures on the recording's platform, and the answer is compared with the pinned
 * `<query>-<host>-<label>.facts.json` beside it. A recording without its pinned answer fails; after recording,
 * `UPDATE_STEP_FIXTURES=1 npx vitest run test/unit/steps-probe-recorded.test.ts` writes the answers the parsers give
 * now: read them before keeping them.
 */
const queryNames = (step: AnyStep) => Object.keys(step.probeQueries ?? {})
const stepFolder = (step: AnyStep) => join(PROBE_RECORDINGS, step.id)
const filesOf = (folder: string) => (existsSync(folder) ? readdirSync(folder).sort() : [])
const recordingsOf = (step: AnyStep) => filesOf(stepFolder(step)).filter((f) => f.endsWith('.txt'))

/** What the query's parser makes of the recording, as its pinned JSON holds it. */
function parseRecording(step: AnyStep, file: string, name: RecordingName): unknown {
  const query = step.probeQueries?.[name.query]
  if (!query) throw new Error(`${step.id} has no query ${name.query}`)
  const ctx = recordingContext(step, name)
  const stdout = readFileSync(join(stepFolder(step), file), 'utf8')
  return answerJson(query.parse(stdout, step.inputs(ctx), ctx.facts))
}

function checkPinned(path: string, actual: unknown): void {
  if (process.env.UPDATE_STEP_FIXTURES === '1') {
    writeFileSync(path, `${JSON.stringify(actual, null, 2)}\n`)
    return
  }
  if (!existsSync(path)) throw new Error(`${path} is missing: pin it with UPDATE_STEP_FIXTURES=1 and read it before committing it`)
  expect(actual).toEqual(JSON.parse(readFileSync(path, 'utf8')))
}

describe('probe recordings: the folders', () => {
  it('each folder under fixtures/probes/ is a step with queries', () => {
    const withQueries = STEPS.filter((s) => s.probeQueries).map((s) => s.id)
    expect(filesOf(PROBE_RECORDINGS).filter((f) => !withQueries.includes(f))).toEqual([])
  })

  it('each file is a recording or the pinned answer of one', () => {
    for (const step of STEPS) {
      const files = filesOf(stepFolder(step))
      const stray = files.filter(
        (f) => !f.endsWith('.txt') && !(f.endsWith('.facts.json') && files.includes(f.replace(/\.facts\.json$/, '.txt'))),
      )
      expect(stray, `${step.id}: files that are no recording nor a recording's pinned answer`).toEqual([])
    }
  })

  // RECORDINGS MISSING fails until the probes are recorded on real hosts: run scripts/record-probes.ts against a
  // deployed cluster (README, Development), then pin the answers with UPDATE_STEP_FIXTURES=1
  it('RECORDINGS MISSING: every query of every step has at least one recording', () => {
    const unrecorded = STEPS.flatMap((step) => {
      const recorded = new Set(recordingsOf(step).map((f) => parseRecordingFile(f, queryNames(step))))
      const queries = new Set([...recorded].flatMap((r) => (typeof r === 'string' ? [] : [r.query])))
      return queryNames(step)
        .filter((q) => !queries.has(q))
        .map((q) => `${step.id} ${q}`)
    })
    expect(unrecorded, 'queries with no recording under test/unit/fixtures/probes/').toEqual([])
  })
})

for (const step of STEPS) {
  const recordings = recordingsOf(step)
  if (recordings.length === 0) continue
  describe(`${step.id}: its probe parsers on recorded output`, () => {
    for (const file of recordings) {
      it(file, () => {
        const name = parseRecordingFile(file, queryNames(step))
        if (typeof name === 'string') throw new Error(name)
        checkPinned(join(stepFolder(step), pinnedAnswerFile(file)), parseRecording(step, file, name))
      })
    }
  })
}
