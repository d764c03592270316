import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

import type {AnyStep, ClusterHost, StepContext} from '../../src/engine/step.js'
import type {HostFacts} from '../../src/platform/facts.js'
import {FACTS, webCtx} from './steps-support-fixtures.js'

/**
 * Probe output recorded on real hosts (issue 11). One file per step, query, host and platform:
 * `test/unit/fixtures/probes/<step id>/<query>-<host>-<label>.txt` holds the raw stdout of one query of the step's
 * probeQueries, as scripts/record-probes.ts wrote it; beside it `<query>-<host>-<label>.facts.json` pins what the
 * query's parser makes of it (test/unit/steps-probe-recorded.test.ts). The label is the platform as a key of FACTS:
 * the parser reads the output with those facts, and the recorder refuses a label its hosts do not match.
 *
 * No vitest in here: the recorder, a plain script, shares it with the test.
 */
export const PROBE_RECORDINGS = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'probes')

export type PlatformLabel = keyof typeof FACTS

export interface RecordingName {
  query: string
  host: string
  label: PlatformLabel
}

export function recordingFile(name: RecordingName): string {
  return `${name.query}-${name.host}-${name.label}.txt`
}

/** The pinned answer beside a recording. */
export function pinnedAnswerFile(recording: string): string {
  return recording.replace(/\.txt$/, '.facts.json')
}

export function isPlatformLabel(label: string): label is PlatformLabel {
  return Object.hasOwn(FACTS, label)
}

/**
 * A recording's file name read back, or why it cannot be: a host name may hold a '-' and so may a query's, so the
 * query is the longest of the step's query names the file starts with, and the label (no '-') ends it.
 */
export function parseRecordingFile(file: string, queries: readonly string[]): RecordingName | string {
  const query = queries
    .filter((q) => file.startsWith(`${q}-`))
    .sort((a, b) => b.length - a.length)
    .at(0)
  if (query === undefined) return `${file}: names no query of the step (${queries.join(', ')})`
  const m = /^(.+)-([^-]+)\.txt$/.exec(file.slice(query.length + 1))
  if (!m) return `${file}: not <query>-<host>-<label>.txt`
  const [, host = '', label = ''] = m
  if (!isPlatformLabel(label)) return `${file}: label ${label} is not a platform of FACTS (${Object.keys(FACTS).join(', ')})`
  return {query, host, label}
}

/** Whether a host is of the labelled platform: same OS, family, package manager and major release. */
export function hostMatchesLabel(facts: HostFacts, label: PlatformLabel): boolean {
  const want = FACTS[label]
  const major = (f: HostFacts) => f.osVersion.split('.')[0]
  return (
    facts.osId === want.osId &&
    facts.osFamily === want.osFamily &&
    facts.packageManager === want.packageManager &&
    major(facts) === major(want)
  )
}

/** Fixed test values: mariadb's inputs carry its passwords (its probe's SQL compares them), the app's its secret. */
export const RECORDING_SECRETS: ReadonlyMap<string, string> = new Map([
  ['database.rootPassword', 'recorded-root-pw'],
  ['database.appPassword', 'recorded-app-pw'],
  ['app.blowfishSecret', 'recorded-blowfish-secret-0123456789'],
])

/**
 * The context a recording is parsed in, built as the plan cases build theirs: the seed topology on the recording's
 * platform, on the recorded host. A host the seed lacks (the lab's web02) joins it with the step's roles, and the
 * build-once shipping is set up as the CLI's contextFor sets it: a web host that installs its builder's packages
 * asks about other packages than the builder (build-deps), and its recording is parsed with the same inputs.
 */
export function recordingContext(step: AnyStep, name: RecordingName): StepContext {
  const seed = webCtx(FACTS[name.label])
  const ctx = seed.cluster.some((h) => h.name === name.host)
    ? seed
    : webCtx(FACTS[name.label], {hosts: [...seed.config.hosts, {name: name.host, address: '10.0.0.99', roles: [...step.roles]}]})
  const host = ctx.cluster.find((h) => h.name === name.host && h.roles.some((r) => step.roles.includes(r)))
  if (!host) throw new Error(`${name.host} of the seed topology has no role of ${step.id} (${step.roles.join(', ')})`)
  return {...ctx, host, secrets: RECORDING_SECRETS, ...(ctx.config.build.once ? {packages: shippingContext(host, ctx.facts)} : {})}
}

/** contextFor's package cache (one that holds nothing) and the builder's facts for a host that is not its own builder. */
function shippingContext(host: ClusterHost, facts: HostFacts): NonNullable<StepContext['packages']> {
  const cacheDir = join(PROBE_RECORDINGS, 'no-package-cache')
  return host.builder === undefined || host.builder === host.name ? {cacheDir} : {cacheDir, builder: {name: host.builder, facts}}
}

/** An answer as its pinned JSON holds it: undefined (nothing found) as null, a left-out key left out. */
export function answerJson(answer: unknown): unknown {
  return JSON.parse(JSON.stringify(answer ?? null))
}
