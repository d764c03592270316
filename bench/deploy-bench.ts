/**
 * Times deploys on the lab (issue 12): the procedure's side-by-side compile against build-once, a deploy from
 * warm packages, no-op reruns and verify on four hosts, adding web03 until it serves, and a no-op rerun on 25
 * hosts. Each figure is the real CLI in a fresh process (node bin/run.js ... --json), as the e2e suites run it.
 *
 *   sudo npm run bench
 *
 * Needs root (the lab). Destroys the lab's hosts (never the base) and leaves the lab up with web01 and web02.
 * Takes an hour or more on 2 cores. Results: bench/results/<YYYY-MM-DD>.json (see bench/README.md).
 */
import {execa} from 'execa'
import {copyFile, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile} from 'node:fs/promises'
import http from 'node:http'
import {cpus, loadavg, tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'
import YAML from 'yaml'

import {configSchema} from '../src/config/schema.js'
import {labPaths} from '../src/lab/paths.js'
import {labDestroy, labUp} from '../src/lab/lab.js'
import {DEFAULT_LAB_STATE, readLabState} from '../src/lab/state.js'
import {LAB_SUBNET_PREFIX} from '../src/lab/topology.js'
import {type CliResult, lnmpDeploy, runSummary} from '../test/helpers/cli.js'
import {ensureLabArtifacts, resetHosts} from '../test/helpers/lab.js'

const REPO = fileURLToPath(new URL('..', import.meta.url))
const RESULTS_DIR = fileURLToPath(new URL('./results/', import.meta.url))
// a deploy that compiles may take this long on a slow machine; a no-op run or verify that takes 2 minutes is broken
const DEPLOY_TIMEOUT_MS = 60 * 60_000
const QUICK_TIMEOUT_MS = 120_000
const FOUR_HOSTS = ['lb01', 'web01', 'web02', 'db01']
const ROUNDS_FOUR_HOSTS = 5
const ROUNDS_25_HOSTS = 3
const WEB03_WAIT_MS = 120_000
const WEB03_POLL_MS = 500

interface Figure {
  what: string
  seconds: number
  /** seconds; undefined for a figure that is a reference or an extra */
  target?: number
  pass?: boolean
  /** os.loadavg() (1, 5, 15 min) right before and right after the figure */
  loadBefore: number[]
  loadAfter: number[]
  /** each round of a median */
  rounds?: number[]
  /** steps each no-op round changed: anything but 0 means the figure timed more than a no-op */
  changed?: number[]
  note?: string
}

interface Results {
  startedAt: string
  finishedAt?: string
  machine: {cpus: number; cpuModel: string; node: string}
  figures: Figure[]
  /** figure 2 / figure 1 */
  ratio?: number
  aborted?: {what: string; message: string; output?: string}
}

/** A CLI call that did not exit 0: the benchmark stops, with what the command said last. */
class CommandFailed extends Error {
  constructor(
    readonly what: string,
    readonly exitCode: number,
    readonly output: string,
  ) {
    super(what)
  }
}

const log = (message: string) => process.stderr.write(`[bench] ${message}\n`)
const labLog = (message: string) => process.stderr.write(`[lab] ${message}\n`)
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))
const secondsSince = (since: bigint) => Number(process.hrtime.bigint() - since) / 1e9

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b)
  const mid = Math.floor(s.length / 2)
  return s.length % 2 ? (s[mid] ?? Number.NaN) : ((s[mid - 1] ?? Number.NaN) + (s[mid] ?? Number.NaN)) / 2
}

// ---- the built CLI -------------------------------------------------------------------------------------------

async function mtimes(dir: string): Promise<number[]> {
  const files = await readdir(dir, {recursive: true}).catch(() => [] as string[])
  return Promise.all(files.map(async (f) => (await stat(join(dir, f))).mtimeMs))
}

/** The figures are of the CLI in dist/: build it when it is missing or older than any file of src/. */
async function ensureBuilt(): Promise<void> {
  const built = await mtimes(join(REPO, 'dist'))
  const sources = await mtimes(join(REPO, 'src'))
  const missing = built.length === 0
  if (!missing && Math.min(...built) >= Math.max(...sources)) return
  log(`dist/ is ${missing ? 'missing' : 'older than src/'}: running npm run build`)
  await execa('npm', ['run', 'build'], {cwd: REPO, stdio: 'inherit'})
}

/** The tail of what a command said: its run summary (with the failures) when there is one, and its stderr. */
function lastOutput(r: CliResult): string {
  let said: string
  try {
    said = JSON.stringify(runSummary(r.stdout), null, 1)
  } catch {
    said = r.stdout
  }
  return `${said.slice(-6000)}\n${r.stderr.slice(-4000)}`
}

/** One CLI process, timed whole (node's start included: what a person or CI waits for); exit 0 or the benchmark stops. */
async function cli(args: string[], timeoutMs: number): Promise<{seconds: number; result: CliResult}> {
  const started = process.hrtime.bigint()
  const result = await lnmpDeploy(args, {timeoutMs})
  const took = secondsSince(started)
  if (result.exitCode !== 0) {
    // lnmpDeploy reports a killed process (its timeout) as exit -1
    const why = result.exitCode === -1 && took * 1000 >= timeoutMs ? `timed out after ${timeoutMs / 1000} s` : `exit ${result.exitCode}`
    throw new CommandFailed(`lnmp-deploy ${args.join(' ')}: ${why}`, result.exitCode, lastOutput(result))
  }
  return {seconds: took, result}
}

const deploy = (config: string, timeoutMs = DEPLOY_TIMEOUT_MS) => cli(['run', '-c', config, '--json'], timeoutMs)
const verify = (config: string) => cli(['verify', '-c', config, '--json'], QUICK_TIMEOUT_MS)
const changedSteps = (r: CliResult) => runSummary(r.stdout).counts.changed ?? 0

// ---- configs -------------------------------------------------------------------------------------------------

interface HostEntry {
  name: string
  address: string
  privateAddress?: string
  roles: string[]
}

interface ConfigDoc {
  hosts: HostEntry[]
  build?: Record<string, unknown>
  [key: string]: unknown
}

async function readConfig(file: string): Promise<ConfigDoc> {
  return YAML.parse(await readFile(file, 'utf8')) as ConfigDoc
}

async function editConfig(file: string, change: (doc: ConfigDoc) => void): Promise<void> {
  const doc = await readConfig(file)
  change(doc)
  await writeFile(file, YAML.stringify(doc))
}

/**
 * The lab's config in a directory of its own: its package cache (.lnmp-deploy/packages), secrets and run logs
 * start empty. Without the lab's `build` entry (parallelHosts 1, for shared-core dev labs), unless `build` is
 * given: the figures are of lnmp-deploy's defaults.
 */
async function freshConfig(build?: Record<string, unknown>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'lnmp-bench-'))
  const config = join(dir, 'lnmp-deploy.yml')
  await copyFile(labPaths().config, config)
  await editConfig(config, (doc) => {
    if (build) doc.build = build
    else delete doc.build
  })
  return config
}

/** The hosts the lab's generated config lists: rewritten by every `lab up`, so it names hosts just added. */
async function labHosts(): Promise<HostEntry[]> {
  return (await readConfig(labPaths().config)).hosts
}

/** An address of the lab's bridge, or the benchmark stops: it sends HTTP to nothing else. */
function labAddress(address: string | undefined, what: string): string {
  if (!address || !new RegExp(`^${LAB_SUBNET_PREFIX.replaceAll('.', '\\.')}\\.\\d{1,3}$`).test(address)) {
    throw new Error(`${what} has address ${address ?? '(none)'}, not a lab address ${LAB_SUBNET_PREFIX}.x`)
  }
  return address
}

// ---- recording -----------------------------------------------------------------------------------------------

const results: Results = {
  startedAt: new Date().toISOString(),
  machine: {cpus: cpus().length, cpuModel: cpus()[0]?.model ?? '?', node: process.version},
  figures: [],
}
let resultsFile = ''
/** set once the benchmark starts remaking the lab: from then on it puts the lab back, whatever happens */
let labTouched = false

/** bench/results/<local date>.json; a second run on the same day writes <date>-2.json, so no result is lost. */
async function pickResultsFile(): Promise<string> {
  await mkdir(RESULTS_DIR, {recursive: true})
  const d = new Date()
  const date = `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`
  const taken = new Set(await readdir(RESULTS_DIR))
  let name = `${date}.json`
  for (let n = 2; taken.has(name); n++) name = `${date}-${n}.json`
  return join(RESULTS_DIR, name)
}

/** Written after every figure: a benchmark that stops or crashes keeps what it measured. */
async function saveResults(): Promise<void> {
  await writeFile(resultsFile, `${JSON.stringify(results, null, 2)}\n`)
}

async function record(figure: Omit<Figure, 'pass'>): Promise<Figure> {
  const f: Figure = {...figure, pass: figure.target === undefined ? undefined : figure.seconds <= figure.target}
  results.figures.push(f)
  await saveResults()
  const target = f.target === undefined ? '' : ` (target <= ${f.target.toFixed(1)} s: ${f.pass ? 'pass' : 'FAIL'})`
  log(`${f.what}: ${f.seconds.toFixed(1)} s${target}`)
  return f
}

/** What a figure's function measured: its own seconds (setup it does is not timed), and any detail. */
type Measured = Pick<Figure, 'seconds' | 'rounds' | 'changed' | 'note'>

/** Runs `fn` between two load averages and records its figure. */
async function measure(what: string, target: number | undefined, fn: () => Promise<Measured>): Promise<Figure> {
  const loadBefore = loadavg()
  const {seconds, rounds, changed, note} = await fn()
  return record({what, target, loadBefore, loadAfter: loadavg(), seconds, rounds, changed, note})
}

/** One whole `run` as a figure. */
const timedDeploy = (config: string) => async (): Promise<Measured> => ({seconds: (await deploy(config)).seconds})

/** The median of whole-process CLI runs; no-op runs also say how many steps each changed. */
async function medianOf(rounds: number, once: () => Promise<{seconds: number; result: CliResult}>, noOp: boolean): Promise<Measured> {
  const times: number[] = []
  const changed: number[] = []
  for (let i = 0; i < rounds; i++) {
    const r = await once()
    times.push(r.seconds)
    if (noOp) changed.push(changedSteps(r.result))
  }
  const note = changed.some((c) => c > 0) ? `not a no-op: steps changed per round ${changed.join(', ')}` : undefined
  return {seconds: median(times), rounds: times, changed: noOp ? changed : undefined, note}
}

function printTable(): void {
  const load = (l: number[]) => (l[0] ?? Number.NaN).toFixed(2)
  const out = [
    '',
    `deploy benchmark, ${results.machine.cpus} cores (${results.machine.cpuModel}); load average is the 1-min figure`,
    `${'what'.padEnd(68)} ${'seconds'.padStart(8)} ${'target'.padStart(8)}  result  load before -> after`,
  ]
  for (const f of results.figures) {
    const target = f.target === undefined ? '-' : `<= ${f.target.toFixed(1)}`
    const result = f.pass === undefined ? '-' : f.pass ? 'pass' : 'FAIL'
    out.push(
      `${f.what.padEnd(68)} ${f.seconds.toFixed(1).padStart(8)} ${target.padStart(8)}  ${result.padEnd(6)}  ${load(f.loadBefore)} -> ${load(f.loadAfter)}`,
    )
    if (f.note) out.push(`    note: ${f.note}`)
  }
  if (results.ratio !== undefined) out.push(`cold build-once / side-by-side: ${results.ratio.toFixed(2)} (target <= 0.6)`)
  if (results.aborted) out.push(`STOPPED: ${results.aborted.message}`)
  out.push(`results: ${resultsFile}`, '')
  process.stdout.write(out.join('\n'))
}

// ---- lb01 and web03 ------------------------------------------------------------------------------------------

/** GET / through the balancer with the app's Host: the status and the backend that answered (X-Upstream's last). */
function getThroughLb(lb: string, serverName: string): Promise<{status: number; backend?: string} | undefined> {
  return new Promise((resolve) => {
    const req = http.get({host: lb, port: 80, path: '/', headers: {host: serverName}, agent: false, timeout: 2000}, (res) => {
      res.resume()
      const header = res.headers['x-upstream']
      const upstream = Array.isArray(header) ? header.join(', ') : header
      // "a:80, b:80" after a failover: the last address tried is the one that answered; without its port
      const backend = upstream?.split(',').at(-1)?.trim().replace(/:\d+$/, '')
      resolve({status: res.statusCode ?? 0, backend})
    })
    req.on('timeout', () => req.destroy(new Error('timeout')))
    req.on('error', () => resolve(undefined))
  })
}

/** Polls lb01 until web03 answered a request (below 500): seconds waited, or undefined after WEB03_WAIT_MS. */
async function waitUntilServedBy(lb: string, serverName: string, backend: string): Promise<number | undefined> {
  const started = process.hrtime.bigint()
  const deadline = Date.now() + WEB03_WAIT_MS
  for (;;) {
    const r = await getThroughLb(lb, serverName)
    if (r && r.status < 500 && r.backend === backend) return secondsSince(started)
    if (Date.now() + WEB03_POLL_MS > deadline) return undefined
    await sleep(WEB03_POLL_MS)
  }
}

// ---- the figures ---------------------------------------------------------------------------------------------

/** 1: a fresh lab, each web host compiling for itself, both at once (the original procedure); verify must pass. */
async function sideBySide(): Promise<Figure> {
  log('destroying the lab hosts (the base stays), then a fresh lab with web01 and web02')
  labTouched = true
  await labDestroy({log: labLog})
  // no shared ccache: each web host compiles through its own, empty one, as real servers do
  const up = await labUp({...DEFAULT_LAB_STATE, webs: 2, log: labLog})
  if (up.state.sharedCcache) throw new Error('the lab came up with a shared ccache: the cold figures would be warm')
  await ensureLabArtifacts()
  const config = await freshConfig({once: false, parallelHosts: 0})
  log(`run: web01 and web02 each compile nginx, PHP and PECL memcache (${config})`)
  const figure = await measure('procedure: two web hosts compile side by side', undefined, timedDeploy(config))
  log('verify after the side-by-side deploy (must pass)')
  try {
    await verify(config)
  } catch (error) {
    // as the cluster suite does: a lab host that once did not answer SSH (exit 4) is asked once more
    if (!(error instanceof CommandFailed) || error.exitCode !== 4) throw error
    log(`verify exit 4 (a host did not answer); once more:\n${error.output}`)
    await verify(config)
  }
  await rm(dirname(config), {recursive: true, force: true})
  return figure
}

/** 2: the four hosts new again, a config dir with an empty package cache, default build settings. */
async function coldBuildOnce(config: string, reference: Figure): Promise<void> {
  log(`resetting ${FOUR_HOSTS.join(', ')}: brand-new filesystems, so every host's own ccache is empty`)
  await resetHosts(FOUR_HOSTS)
  const target = 0.6 * reference.seconds
  const figure = await measure('cold deploy, build once (no shared ccache)', target, timedDeploy(config))
  results.ratio = figure.seconds / reference.seconds
  await saveResults()
}

/** 3: the four hosts new again; the same config dir, whose package cache now holds every package. */
async function warmPackages(config: string): Promise<void> {
  log(`resetting ${FOUR_HOSTS.join(', ')} again; the package cache of ${config} stays`)
  await resetHosts(FOUR_HOSTS)
  await measure('deploy with the package cache warm', undefined, timedDeploy(config))
}

/** 6: web03 joins the running lab and the config; timed from `run` until lb01 has had web03 answer. */
async function addWeb03(config: string): Promise<void> {
  log('lab up --web 3: web03 boots beside the running hosts')
  await labUp({...DEFAULT_LAB_STATE, webs: 3, log: labLog})
  const fromLab = (await labHosts()).find((h) => h.name === 'web03')
  const web03Address = labAddress(fromLab?.address, 'web03 in the lab config')
  await editConfig(config, (doc) => {
    const i = doc.hosts.findIndex((h) => h.name === 'web02')
    const web02 = doc.hosts[i]
    if (!web02) throw new Error(`${config} has no web02 to copy`)
    const web03: HostEntry = {...web02, name: 'web03', address: web03Address}
    // web02's own private address (none in the lab's config) is not web03's
    delete web03.privateAddress
    doc.hosts.splice(i + 1, 0, web03)
  })
  const parsed = configSchema.parse(await readConfig(config))
  const lb = labAddress(parsed.hosts.find((h) => h.roles.includes('lb'))?.address, 'the lb host')
  await measure('add web03 from the package cache, until it serves through lb01', 60, async () => {
    const run = await deploy(config)
    const waited = await waitUntilServedBy(lb, parsed.app.serverName, web03Address)
    if (waited === undefined) {
      log(`web03 never served through lb01 in ${WEB03_WAIT_MS / 1000} s: the figure fails, the benchmark goes on`)
      return {
        seconds: run.seconds + WEB03_WAIT_MS / 1000,
        note: `run took ${run.seconds.toFixed(1)} s; web03 never answered through lb01 in ${WEB03_WAIT_MS / 1000} s`,
      }
    }
    return {seconds: run.seconds + waited, note: `run ${run.seconds.toFixed(1)} s + until web03 answered ${waited.toFixed(1)} s`}
  })
}

/** 7: 23 web hosts; a deploy of the 20 new ones (an extra figure, no target), then no-op reruns on all 25 hosts. */
async function twentyFiveHosts(config: string): Promise<void> {
  log('lab up --web 23: web04..web23 boot beside the running hosts')
  await labUp({...DEFAULT_LAB_STATE, webs: 23, log: labLog})
  const all = await labHosts()
  // every host the lab has, as it lists them; the rest of the config (build defaults, secrets' dir) stays
  await editConfig(config, (doc) => {
    doc.hosts = all
  })
  log(`run: ${all.length} hosts, web04..web23 install from the package cache`)
  await measure('deploy of 20 more web hosts from packages', undefined, timedDeploy(config))
  await measure('no-op rerun, 25 hosts (1 lb, 23 web, 1 db)', 5, () =>
    medianOf(ROUNDS_25_HOSTS, () => deploy(config, QUICK_TIMEOUT_MS), true),
  )
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('the deploy benchmark needs root (it remakes the lab): sudo npm run bench')
  resultsFile = await pickResultsFile()
  await ensureBuilt()
  const load = loadavg().map((l) => l.toFixed(2))
  log(`${results.machine.cpus} cores; load average ${load.join(' ')}; results in ${resultsFile}`)
  await saveResults()

  const procedure = await sideBySide()
  const config = await freshConfig()
  await coldBuildOnce(config, procedure)
  await warmPackages(config)
  await measure('no-op rerun, four hosts', 2, () => medianOf(ROUNDS_FOUR_HOSTS, () => deploy(config, QUICK_TIMEOUT_MS), true))
  await measure('verify, four hosts', 3, () => medianOf(ROUNDS_FOUR_HOSTS, () => verify(config), false))
  await addWeb03(config)
  await twentyFiveHosts(config)
  await rm(dirname(config), {recursive: true, force: true})
}

let failed = false
try {
  await main()
} catch (error) {
  failed = true
  const what = error instanceof CommandFailed ? error.what : 'the benchmark'
  const message = error instanceof Error ? error.message : String(error)
  const output = error instanceof CommandFailed ? error.output : error instanceof Error ? error.stack : undefined
  results.aborted = {what, message, ...(output ? {output} : {})}
  process.stderr.write(`\n[bench] stopped: ${message}\n${output ?? ''}\n`)
  // the temp config dirs (secrets, package cache, run logs) stay for a look: /tmp/lnmp-bench-*
} finally {
  // the lab as others expect it: up, web01 and web02 (web03..web23 removed)
  if (labTouched && readLabState(labPaths())) {
    log('lab up --web 2: back to web01 and web02')
    await labUp({...DEFAULT_LAB_STATE, webs: 2, log: labLog}).catch((e: unknown) =>
      log(`could not put the lab back to 2 web hosts: ${String(e)}`),
    )
  }
  results.finishedAt = new Date().toISOString()
  if (resultsFile) {
    await saveResults()
    printTable()
  }
}
process.exitCode = failed ? 1 : 0
