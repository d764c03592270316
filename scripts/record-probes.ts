// Records every step's probe output on a live cluster, for the parser tests (issue 11):
//   npx tsx scripts/record-probes.ts -c <config.yml> --label <platform> [--out <dir>]
// For each step of STEPS, each host with one of its roles and each query of its probeQueries, the query's command
// runs on the host and its raw stdout goes to <out>/<step id>/<query>-<host>-<label>.txt (out defaults to
// test/unit/fixtures/probes). Read only: the queries are read-only by contract; no plan, action, verify or lock.
// The label is the hosts' platform as a key of FACTS (test/unit/steps-support-fixtures.ts), checked against each
// host's facts. An output (or a command) holding one of the cluster's secrets is never written.
// Then `UPDATE_STEP_FIXTURES=1 npx vitest run test/unit/steps-probe-recorded.test.ts` pins what the parsers make of
// them: read those .facts.json before committing them.
import {mkdir, writeFile} from 'node:fs/promises'
import {join, relative, resolve} from 'node:path'
import {parseArgs} from 'node:util'

import {appliesTo} from '../src/engine/graph.js'
import {runQuery} from '../src/engine/probe-query.js'
import type {AnyStep, ClusterHost, ProbeQuery, StepContext} from '../src/engine/step.js'
import {DeployError} from '../src/errors.js'
import {secretShownIn} from '../src/redact.js'
import {ClusterAccess} from '../src/services/cluster-access.js'
import {STEPS} from '../src/steps/index.js'
import {hostMatchesLabel, isPlatformLabel, PROBE_RECORDINGS, type PlatformLabel, recordingFile} from '../test/unit/probe-recordings.js'
import {FACTS} from '../test/unit/steps-support-fixtures.js'

const USAGE = 'usage: npx tsx scripts/record-probes.ts -c <config.yml> --label <platform> [--out <dir>]'

interface Recorder {
  cluster: ClusterAccess
  label: PlatformLabel
  out: string
  /** what could not be recorded, one line each */
  problems: string[]
}

const say = (line: string) => process.stdout.write(`${line}\n`)

/** Every host must be of the labelled platform: the test parses a recording with that platform's facts. */
async function checkLabel(cluster: ClusterAccess, label: PlatformLabel): Promise<string[]> {
  const found = await Promise.all(cluster.hosts.map(async (h) => ({host: h.name, facts: await cluster.factsOf(h.name)})))
  return found
    .filter(({facts}) => !hostMatchesLabel(facts, label))
    .map(({host, facts}) => `${host} is ${facts.osId} ${facts.osVersion} (${facts.packageManager}), not ${label}`)
}

/** A step's inputs on one host, computed as a run computes them. */
interface StepOnHost {
  step: AnyStep
  ctx: StepContext
  inputs: unknown
}

async function recordQuery(r: Recorder, at: StepOnHost, name: string, query: ProbeQuery<unknown, unknown>): Promise<void> {
  const {step, ctx, inputs} = at
  const where = `${step.id} ${name} on ${ctx.host.name}`
  if (secretShownIn(query.command(inputs, ctx.facts), ctx.secrets) !== undefined) {
    r.problems.push(`${where}: its command holds a secret: not run (a step bug: secrets go on stdin)`)
    return
  }
  const result = await runQuery(await r.cluster.remoteOf(ctx.host.name), query, inputs, ctx.facts)
  const secret = secretShownIn(result.stdout, ctx.secrets)
  if (secret !== undefined) {
    r.problems.push(`${where}: its output holds the secret ${secret}: not written`)
    return
  }
  const folder = join(r.out, step.id)
  const path = join(folder, recordingFile({query: name, host: ctx.host.name, label: r.label}))
  await mkdir(folder, {recursive: true})
  await writeFile(path, result.stdout)
  say(`wrote ${relative(process.cwd(), path)} (${Buffer.byteLength(result.stdout)} bytes, exit ${result.code})`)
}

async function recordStepOnHost(r: Recorder, step: AnyStep, host: ClusterHost): Promise<void> {
  const ctx = await r.cluster.contextFor(host)
  let inputs: unknown
  try {
    inputs = step.inputs(ctx)
  } catch (error) {
    // the config cannot work for this step here (a run would refuse it too): nothing to ask
    say(`skipped ${step.id} on ${host.name}: ${(error as Error).message}`)
    return
  }
  for (const [name, query] of Object.entries(step.probeQueries ?? {})) {
    try {
      await recordQuery(r, {step, ctx, inputs}, name, query)
    } catch (error) {
      r.problems.push(`${step.id} ${name} on ${host.name}: ${(error as Error).message}`)
    }
  }
}

async function record(r: Recorder): Promise<void> {
  for (const step of STEPS) {
    if (!step.probeQueries) {
      say(`${step.id}: its probe asks the host nothing`)
      continue
    }
    for (const host of r.cluster.hosts.filter((h) => appliesTo(step, h))) await recordStepOnHost(r, step, host)
  }
}

async function main(): Promise<number> {
  const {values} = parseArgs({
    options: {config: {type: 'string', short: 'c'}, label: {type: 'string'}, out: {type: 'string'}, help: {type: 'boolean', short: 'h'}},
  })
  if (values.help || !values.config || !values.label) {
    say(USAGE)
    return values.help ? 0 : 2
  }
  if (!isPlatformLabel(values.label)) {
    say(`--label ${values.label}: not a platform of FACTS (${Object.keys(FACTS).join(', ')}); add the platform there first`)
    return 2
  }
  const cluster = await ClusterAccess.open({configPath: values.config})
  try {
    const mismatches = await checkLabel(cluster, values.label)
    if (mismatches.length > 0) {
      say(`--label ${values.label} does not fit the cluster:\n  ${mismatches.join('\n  ')}`)
      return 2
    }
    const recorder: Recorder = {cluster, label: values.label, out: resolve(values.out ?? PROBE_RECORDINGS), problems: []}
    await record(recorder)
    for (const problem of recorder.problems) say(`NOT RECORDED: ${problem}`)
    return recorder.problems.length > 0 ? 1 : 0
  } finally {
    await cluster.close()
  }
}

try {
  process.exitCode = await main()
} catch (error) {
  const hint = error instanceof DeployError && error.hint ? `\n${error.hint}` : ''
  process.stderr.write(`${(error as Error).message}${hint}\n`)
  process.exitCode = error instanceof DeployError ? error.exitCode : 1
}
