import {fingerprint} from '../engine/fingerprint.js'
import {appliesTo, orderSteps} from '../engine/graph.js'
import {readJournal} from '../engine/journal.js'
import {DeployError, ExitCode} from '../errors.js'
import {STEPS} from '../steps/index.js'
import {hostsWithRole} from '../config/hosts.js'
import {buildsCommand, parseBuilds} from '../steps/support/builds.js'
import type {Component} from '../steps/support/rollback-pin.js'
import type {ClusterAccess} from './cluster-access.js'

export interface BuildRow {
  host: string
  component: Component
  dir: string
  live: boolean
  /** ISO time the build completed */
  builtAt: string
}

/** The nginx and PHP builds on each web host, newest first, and which one `<prefix>/<name>` points at. */
export async function clusterBuilds(cluster: ClusterAccess, hostNames?: string[]): Promise<BuildRow[]> {
  const web = hostsWithRole(cluster.select(hostNames), 'web')
  const perHost = await Promise.all(
    web.map(async (host) => {
      try {
        const remote = await cluster.remoteOf(host.name)
        const rows: BuildRow[] = []
        for (const component of ['nginx', 'php'] as const) {
          const listing = await remote.exec(buildsCommand(cluster.config.prefix, component), {sudo: true})
          for (const b of parseBuilds(listing.stdout)) {
            rows.push({host: host.name, component, dir: b.dir, live: b.live, builtAt: new Date(b.builtAt * 1000).toISOString()})
          }
        }
        return rows
      } catch (error) {
        // an unreachable host is reported by the step rows already
        if (error instanceof DeployError && error.exitCode === ExitCode.connection) return []
        throw error
      }
    }),
  )
  return perHost.flat()
}

export interface StepStatusRow {
  host: string
  step: string
  state: 'done' | 'failed' | 'never run' | 'unreachable'
  at?: string
  /** does what ran last match what the config asks for now? */
  fingerprintMatches?: boolean
  owed: string[]
  error?: string
}

/** What each host's journal says, compared with what the config asks for now. Reads only. */
export async function clusterStatus(cluster: ClusterAccess, hostNames?: string[]): Promise<StepStatusRow[]> {
  const steps = orderSteps(STEPS)
  const hosts = cluster.select(hostNames)
  const perHost = await Promise.all(
    hosts.map(async (host): Promise<StepStatusRow[]> => {
      const mine = steps.filter((s) => appliesTo(s, host))
      try {
        const remote = await cluster.remoteOf(host.name)
        const [journal, ctx] = await Promise.all([readJournal(remote), cluster.contextFor(host)])
        return mine.map((step) => {
          const entry = journal.steps[step.id]
          const owed = journal.owed.filter((o) => o.stepId === step.id).map((o) => `${o.op} ${o.service}`)
          if (!entry) return {host: host.name, step: step.id, state: 'never run', owed}
          return {
            host: host.name,
            step: step.id,
            state: entry.result === 'ok' ? 'done' : 'failed',
            at: entry.at,
            fingerprintMatches: entry.fingerprint === fingerprint(step.inputs(ctx)),
            owed,
            ...(entry.error ? {error: entry.error} : {}),
          }
        })
      } catch (error) {
        if (!(error instanceof DeployError) || error.exitCode !== ExitCode.connection) throw error
        return mine.map((step) => ({host: host.name, step: step.id, state: 'unreachable', owed: [], error: error.message}))
      }
    }),
  )
  return perHost.flat()
}
