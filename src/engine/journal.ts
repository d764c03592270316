import {DeployError, ExitCode} from '../errors.js'
import {cmd, quote} from '../ssh/shell.js'
import type {Remote} from '../ssh/remote.js'
import type {Readiness} from './step.js'
import {statePaths} from './paths.js'

export interface JournalEntry {
  fingerprint: string
  /** ISO time the step ended */
  at: string
  result: 'ok' | 'failed'
  error?: string
}

/** A restart or reload recorded before it is done: a run that dies in between still owes it. */
export interface OwedService {
  stepId: string
  service: string
  op: 'restart' | 'reload' | 'enable-now'
  ready?: Readiness
  /** restarted out of the balancer's rotation (see Action 'service') */
  behindBalancer?: boolean
  /** ISO time it was recorded */
  since: string
}

export interface JournalData {
  version: 1
  steps: Record<string, JournalEntry>
  owed: OwedService[]
}

export function emptyJournal(): JournalData {
  return {version: 1, steps: {}, owed: []}
}

/** The journal's file is damaged or from an unknown version; the host is named so the user can fix it. */
export class JournalError extends DeployError {
  constructor(host: string, message: string, path: string = statePaths().journal) {
    super(`${host}: journal ${path}: ${message}`, ExitCode.internal, {
      host,
      hint: `inspect it, or remove it to forget what ran on ${host} (every step then runs again)`,
    })
  }
}

/** Pure: the journal file's text to data. An empty text is a host that never ran anything. */
export function parseJournal(host: string, text: string, path?: string): JournalData {
  if (text.trim() === '') return emptyJournal()
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch (error) {
    throw new JournalError(host, `not JSON (${(error as Error).message})`, path)
  }
  if (!isRecord(raw) || raw.version !== 1 || !isRecord(raw.steps) || !Array.isArray(raw.owed)) {
    throw new JournalError(host, 'not a version 1 journal', path)
  }
  const steps: Record<string, JournalEntry> = {}
  for (const [id, entry] of Object.entries(raw.steps)) {
    if (
      !isRecord(entry) ||
      typeof entry.fingerprint !== 'string' ||
      typeof entry.at !== 'string' ||
      (entry.result !== 'ok' && entry.result !== 'failed')
    ) {
      throw new JournalError(host, `entry for step ${id} is malformed`, path)
    }
    steps[id] = {
      fingerprint: entry.fingerprint,
      at: entry.at,
      result: entry.result,
      ...(typeof entry.error === 'string' ? {error: entry.error} : {}),
    }
  }
  const owed: OwedService[] = []
  for (const o of raw.owed) {
    if (!isRecord(o) || typeof o.stepId !== 'string' || typeof o.service !== 'string' || !isOp(o.op) || typeof o.since !== 'string') {
      throw new JournalError(host, 'an owed service entry is malformed', path)
    }
    owed.push({
      stepId: o.stepId,
      service: o.service,
      op: o.op,
      since: o.since,
      ...(o.ready ? {ready: o.ready as Readiness} : {}),
      ...(o.behindBalancer === true ? {behindBalancer: true} : {}),
    })
  }
  return {version: 1, steps, owed}
}

export function serializeJournal(data: JournalData): string {
  return `${JSON.stringify(data, null, 2)}\n`
}

export async function readJournal(remote: Remote, stateDir?: string): Promise<JournalData> {
  const path = statePaths(stateDir).journal
  // a missing journal is a host that never ran anything; any other failure to read it is an error
  const result = await remote.exec(`[ ! -e ${quote(path)} ] || cat ${quote(path)}`, {sudo: true})
  if (result.code !== 0) throw new JournalError(remote.name, `cannot be read: ${result.stderr.trim() || `exit ${result.code}`}`, path)
  return parseJournal(remote.name, result.stdout, path)
}

export async function writeJournal(remote: Remote, data: JournalData, stateDir?: string): Promise<void> {
  const paths = statePaths(stateDir)
  await remote.run(cmd('mkdir', '-p', paths.dir), {sudo: true})
  await remote.writeFile(paths.journal, serializeJournal(data), {sudo: true, mode: 0o600})
}

/** Where a host's journal is kept; the runner only sees this, so its bookkeeping can be tested apart. */
export interface JournalStore {
  read(): Promise<JournalData>
  write(data: JournalData): Promise<void>
}

export function remoteJournalStore(remote: Remote, stateDir?: string): JournalStore {
  return {read: () => readJournal(remote, stateDir), write: (data) => writeJournal(remote, data, stateDir)}
}

/**
 * One host's journal during a run. Every change is written through at once, in order, so a run that dies
 * leaves the last thing it knew on the host.
 */
export class HostJournal {
  private constructor(
    private readonly store: JournalStore,
    private data: JournalData,
  ) {}

  static async load(store: JournalStore): Promise<HostJournal> {
    return new HostJournal(store, await store.read())
  }

  entry(stepId: string): JournalEntry | undefined {
    return this.data.steps[stepId]
  }

  owedBy(stepId: string): OwedService[] {
    return this.data.owed.filter((o) => o.stepId === stepId)
  }

  get owed(): readonly OwedService[] {
    return this.data.owed
  }

  snapshot(): JournalData {
    return structuredClone(this.data)
  }

  async recordStep(stepId: string, entry: JournalEntry): Promise<void> {
    this.data = {...this.data, steps: {...this.data.steps, [stepId]: entry}}
    await this.store.write(this.data)
  }

  async addOwed(owed: OwedService): Promise<void> {
    const others = this.data.owed.filter((o) => !sameService(o, owed))
    this.data = {...this.data, owed: [...others, owed]}
    await this.store.write(this.data)
  }

  async clearOwed(owed: Pick<OwedService, 'stepId' | 'service' | 'op'>): Promise<void> {
    this.data = {...this.data, owed: this.data.owed.filter((o) => !sameService(o, owed))}
    await this.store.write(this.data)
  }
}

function sameService(a: Pick<OwedService, 'stepId' | 'service' | 'op'>, b: Pick<OwedService, 'stepId' | 'service' | 'op'>): boolean {
  return a.stepId === b.stepId && a.service === b.service && a.op === b.op
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function isOp(v: unknown): v is OwedService['op'] {
  return v === 'restart' || v === 'reload' || v === 'enable-now'
}
