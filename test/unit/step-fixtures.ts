import {readdirSync, readFileSync, writeFileSync} from 'node:fs'
import {basename, dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {describe, expect, it} from 'vitest'

import type {ConfigInput} from '../../src/config/schema.js'
import {sha256Of} from '../../src/hash.js'
import {secretShownIn} from '../../src/redact.js'
import type {Action, Step, StepContext} from '../../src/engine/step.js'
import {FACTS, webCtx} from './steps-support-fixtures.js'

/**
 * Plan tests as data (issue 11): per step, a folder of JSON cases, each {config overrides, facts, expected
 * actions, reason}, and one runner. A case builds its StepContext from the shared seed topology of
 * steps-support-fixtures.ts (lb01, web01, db01), calls the step's pure inputs and plan, and compares the exact
 * actions. A step's test file calls `describeStepFixtures(step, stepFixtureFolder(step.id), {secrets})`.
 *
 * In a fixture, a write-file's mode is octal text ("0644"), and a sensitive write-file's content is given as
 * its sha256 (`contentSha256`), never as text: no fixture holds a secret, and the runner fails a case when any
 * secret of its context (or a run of 6+ letters and digits of it, which survives quoting) shows anywhere else in
 * the actions (commands, descriptions, visible contents) or in the reason. The secrets are fixed test values
 * that the step's test passes, never real ones, and unlike anything a plan holds otherwise.
 *
 * After a deliberate change of a plan, `UPDATE_STEP_FIXTURES=1 npx vitest run test/unit/<step test>` rewrites
 * each case's `expected` from what the plan now gives: read the diff before keeping it.
 */
export interface StepFixture {
  /** what the case is about: the test's name */
  title: string
  /** the platform, as `detect` recorded it (a key of FACTS) */
  platform: keyof typeof FACTS
  /** the host of the seed topology the step runs on; web01 when left out */
  host?: string
  /** config overrides over the seed topology, as webCtx takes them */
  config?: Partial<ConfigInput>
  /** secrets by key path, over the runner's defaults: test values only */
  secrets?: Record<string, string>
  /** artifacts by name, as the controller resolved them */
  artifacts?: Record<string, {localPath: string; sha256: string; fileName: string}>
  /** the step's facts as its probe returns them; a key left out is undefined */
  facts: unknown
  expected: {actions: FixtureAction[]; reason?: string}
}

/** An Action as a fixture writes it (see fixtureAction). */
export type FixtureAction = Record<string, unknown> & {kind: Action['kind']}

export interface StepFixtureOptions<Facts> {
  /** secrets every case of the step gets (fixed test values) */
  secrets?: Record<string, string>
  /** facts that JSON cannot hold as they are (a Map, a Set): turn the case's JSON into them */
  facts?: (json: unknown) => Facts
}

const CASE_KEYS = new Set(['title', 'platform', 'host', 'config', 'secrets', 'artifacts', 'facts', 'expected'])

/** test/unit/fixtures/<step id>/ */
export function stepFixtureFolder(stepId: string): string {
  return join(dirname(fileURLToPath(import.meta.url)), 'fixtures', stepId)
}

/** Every *.json of a folder (not its subfolders), by file name, checked for the keys a case has. */
export function loadStepFixtures(folder: string): {file: string; path: string; fixture: StepFixture}[] {
  return readdirSync(folder)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => {
      const path = join(folder, file)
      const fixture = JSON.parse(readFileSync(path, 'utf8')) as StepFixture
      const unknown = Object.keys(fixture).filter((k) => !CASE_KEYS.has(k))
      if (unknown.length > 0) throw new Error(`${path}: unknown keys ${unknown.join(', ')} (a case has ${[...CASE_KEYS].join(', ')})`)
      if (
        typeof fixture.title !== 'string' ||
        !(fixture.platform in FACTS) ||
        fixture.facts === undefined ||
        !Array.isArray(fixture.expected?.actions)
      ) {
        throw new Error(`${path}: a case needs title, platform (${Object.keys(FACTS).join(', ')}), facts and expected.actions`)
      }
      return {file, path, fixture}
    })
}

/** The context a case describes: the seed topology with its overrides, on its host, with the secrets. */
export function fixtureContext(fixture: StepFixture, defaultSecrets: Record<string, string> = {}): StepContext {
  const ctx = webCtx(FACTS[fixture.platform], fixture.config ?? {}, new Map(Object.entries(fixture.artifacts ?? {})))
  const hostName = fixture.host ?? 'web01'
  const host = ctx.cluster.find((h) => h.name === hostName)
  if (!host) throw new Error(`no host ${hostName} in the case's cluster (${ctx.cluster.map((h) => h.name).join(', ')})`)
  return {...ctx, host, secrets: new Map(Object.entries({...defaultSecrets, ...fixture.secrets}))}
}

const octal = (mode: number) => `0${mode.toString(8)}`

/** An action as a fixture writes it: modes in octal, a sensitive content as its sha256, nothing undefined. */
export function fixtureAction(action: Action): FixtureAction {
  const out: Record<string, unknown> = {...action}
  if (action.kind === 'write-file') {
    out.mode = octal(action.mode)
    if (action.sensitive) {
      delete out.content
      out.contentSha256 = sha256Of(action.content)
    }
  }
  if (action.kind === 'upload' && action.mode !== undefined) out.mode = octal(action.mode)
  return JSON.parse(JSON.stringify(out)) as FixtureAction
}

function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value]
  if (Array.isArray(value)) return value.flatMap(strings)
  if (value && typeof value === 'object') return Object.values(value).flatMap(strings)
  return []
}

/** One case: the plan it gives, in fixture form; fails when a secret shows in it. */
export function planFixture<Inputs, Facts>(
  step: Step<Inputs, Facts>,
  fixture: StepFixture,
  options: StepFixtureOptions<Facts> = {},
): StepFixture['expected'] {
  const ctx = fixtureContext(fixture, options.secrets)
  const facts = options.facts ? options.facts(fixture.facts) : (fixture.facts as Facts)
  const plan = step.plan(facts, step.inputs(ctx))
  const actual = {actions: plan.actions.map(fixtureAction), ...(plan.reason === undefined ? {} : {reason: plan.reason})}
  for (const shown of strings(actual)) {
    const key = secretShownIn(shown, ctx.secrets)
    if (key !== undefined) throw new Error(`the secret ${key} shows in the plan: ${shown.slice(0, 200)}`)
  }
  return actual
}

/** A vitest `describe` with one test per case of the folder; the folder must have at least one. */
export function describeStepFixtures<Inputs, Facts>(
  step: Step<Inputs, Facts>,
  folder: string,
  options: StepFixtureOptions<Facts> = {},
): void {
  const cases = loadStepFixtures(folder)
  describe(`${step.id} plan cases in ${basename(dirname(folder))}/${basename(folder)}/*.json`, () => {
    it('has cases', () => expect(cases.map((c) => c.file)).not.toEqual([]))
    for (const {file, path, fixture} of cases) {
      it(`${file}: ${fixture.title}`, () => {
        const actual = planFixture(step, fixture, options)
        if (process.env.UPDATE_STEP_FIXTURES === '1') writeFileSync(path, `${JSON.stringify({...fixture, expected: actual}, null, 2)}\n`)
        else expect(actual).toEqual(fixture.expected)
      })
    }
  })
}
