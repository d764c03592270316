import type {Role} from '../config/schema.js'
import {roleSchema} from '../config/schema.js'
import {ConfigError, DeployError, ExitCode} from '../errors.js'

/** The parts of a step the ordering needs; an AnyStep fits. */
export interface StepNode {
  id: string
  roles: Role[]
  after?: string[]
}

export interface HostNode {
  name: string
  roles: Role[]
  /** the host that compiles what this one runs (build once, ship): 'builder:x' waits for x there */
  builder?: string
}

export interface UnitRef {
  host: string
  stepId: string
}

/** One step on one host, with the units of this run it must wait for. */
export interface Unit extends UnitRef {
  needs: UnitRef[]
  /** dependencies left out of this run by the filters: not waited for, the step's probe judges them */
  outside: UnitRef[]
}

export interface HostSchedule {
  host: string
  /** in dependency order */
  units: Unit[]
}

export interface RunFilters {
  /** only these hosts (--host) */
  hosts?: string[]
  /** only these steps (--step) */
  steps?: string[]
  /** this step and every step ordered after it (--from) */
  from?: string
}

/** The step registry itself is wrong (a bug in lnmp-deploy, not in the user's config). */
export class StepGraphError extends DeployError {
  constructor(message: string) {
    super(message, ExitCode.internal)
  }
}

export type Dependency =
  | {kind: 'same-host'; stepId: string}
  | {kind: 'role'; role: Role; stepId: string}
  | {kind: 'builder'; stepId: string}

/**
 * 'x' is step x on the same host, 'role:x' is step x on every host with that role, 'builder:x' is step x
 * on the host that compiles for this one (none when the host is its own builder).
 */
export function parseAfter(stepId: string, entry: string): Dependency {
  const colon = entry.indexOf(':')
  if (colon === -1) return {kind: 'same-host', stepId: entry}
  if (entry.slice(0, colon) === 'builder') return {kind: 'builder', stepId: entry.slice(colon + 1)}
  const role = roleSchema.safeParse(entry.slice(0, colon))
  if (!role.success) {
    throw new StepGraphError(`step ${stepId}: after '${entry}' names no role (roles: ${roleSchema.options.join(', ')})`)
  }
  return {kind: 'role', role: role.data, stepId: entry.slice(colon + 1)}
}

export function appliesTo(step: StepNode, host: HostNode): boolean {
  return step.roles.some((r) => host.roles.includes(r))
}

/**
 * Steps in dependency order. Ties keep registry order, so the order is stable and reads like the
 * tutorial. Unknown ids and cycles are errors that name the steps.
 */
export function orderSteps<S extends StepNode>(steps: readonly S[]): S[] {
  const byId = new Map<string, S>()
  for (const s of steps) {
    if (byId.has(s.id)) throw new StepGraphError(`step id ${s.id} is registered twice`)
    byId.set(s.id, s)
  }
  const deps = new Map<string, string[]>()
  for (const s of steps) {
    const parsed = (s.after ?? []).map((a) => parseAfter(s.id, a))
    for (const {stepId: id} of parsed) {
      if (!byId.has(id)) throw new StepGraphError(`step ${s.id}: after names unknown step '${id}'`)
    }
    // 'builder:x' is a step on another host, the builder, which has no builder of its own: it orders hosts, not
    // the steps of one host (nginx-source waits for the builder's pecl-memcache, which comes later on every host)
    deps.set(
      s.id,
      parsed.filter((d) => d.kind !== 'builder').map((d) => d.stepId),
    )
  }

  const ordered: S[] = []
  const state = new Map<string, 'visiting' | 'done'>()
  const visit = (s: S, trail: string[]): void => {
    const seen = state.get(s.id)
    if (seen === 'done') return
    if (seen === 'visiting') {
      const cycle = [...trail.slice(trail.indexOf(s.id)), s.id]
      throw new StepGraphError(`step dependency cycle: ${cycle.join(' -> ')}`)
    }
    state.set(s.id, 'visiting')
    for (const id of deps.get(s.id) ?? []) visit(byId.get(id) as S, [...trail, s.id])
    state.set(s.id, 'done')
    ordered.push(s)
  }
  for (const s of steps) visit(s, [])
  return ordered
}

/**
 * Which step runs on which host, in what order, waiting for what. A step applies to the hosts having one
 * of its roles; the filters narrow the run; a dependency the filters left out is not waited for.
 */
export function schedule(steps: readonly StepNode[], hosts: readonly HostNode[], filters: RunFilters = {}): HostSchedule[] {
  const ordered = orderSteps(steps)
  const selectedHosts = selectHosts(hosts, filters.hosts)
  const selectedSteps = selectSteps(ordered, filters)
  const inRun = (host: string, stepId: string): boolean => selectedHosts.some((h) => h.name === host) && selectedSteps.has(stepId)

  const byId = new Map(ordered.map((s) => [s.id, s]))
  const result: HostSchedule[] = []
  for (const host of selectedHosts) {
    const units: Unit[] = []
    for (const step of ordered) {
      if (!selectedSteps.has(step.id) || !appliesTo(step, host)) continue
      const needs: UnitRef[] = []
      const outside: UnitRef[] = []
      for (const ref of dependencyUnits(step, host, hosts, byId)) {
        ;(inRun(ref.host, ref.stepId) ? needs : outside).push(ref)
      }
      units.push({host: host.name, stepId: step.id, needs, outside})
    }
    if (units.length > 0) result.push({host: host.name, units})
  }
  return result
}

function dependencyUnits(step: StepNode, host: HostNode, hosts: readonly HostNode[], byId: ReadonlyMap<string, StepNode>): UnitRef[] {
  const refs: UnitRef[] = []
  for (const entry of step.after ?? []) {
    const dep = parseAfter(step.id, entry)
    const target = byId.get(dep.stepId) as StepNode
    if (dep.kind === 'same-host') {
      // a same-host dependency that does not apply to this host has nothing to wait for
      if (appliesTo(target, host)) refs.push({host: host.name, stepId: dep.stepId})
      continue
    }
    if (dep.kind === 'builder') {
      const builder = hosts.find((h) => h.name === host.builder)
      if (builder && builder.name !== host.name && appliesTo(target, builder)) refs.push({host: builder.name, stepId: dep.stepId})
      continue
    }
    for (const other of hosts) {
      if (other.roles.includes(dep.role) && appliesTo(target, other)) refs.push({host: other.name, stepId: dep.stepId})
    }
  }
  return refs
}

function selectHosts(hosts: readonly HostNode[], names: string[] | undefined): HostNode[] {
  if (!names || names.length === 0) return [...hosts]
  for (const name of names) {
    if (!hosts.some((h) => h.name === name)) {
      throw new ConfigError(`--host ${name}: no such host in the config (hosts: ${hosts.map((h) => h.name).join(', ')})`)
    }
  }
  return hosts.filter((h) => names.includes(h.name))
}

function selectSteps(ordered: readonly StepNode[], filters: RunFilters): Set<string> {
  const known = ordered.map((s) => s.id)
  const check = (flag: string, id: string): void => {
    if (!known.includes(id)) throw new ConfigError(`${flag} ${id}: no such step (steps: ${known.join(', ')})`)
  }
  let ids = known
  if (filters.from !== undefined) {
    check('--from', filters.from)
    ids = ids.slice(ids.indexOf(filters.from))
  }
  if (filters.steps && filters.steps.length > 0) {
    for (const id of filters.steps) check('--step', id)
    ids = ids.filter((id) => filters.steps?.includes(id))
  }
  return new Set(ids)
}
