import {hostsWithRole} from '../config/hosts.js'
import type {EventSink, RunSummary} from '../engine/events.js'
import type {ClusterHost} from '../engine/step.js'
import {DeployError, ExitCode} from '../errors.js'
import {nginxSourceInputs} from '../steps/nginx-source.js'
import {phpSwitchInputs} from '../steps/php-switch.js'
import {buildsCommand, parseBuilds, previousBuild} from '../steps/support/builds.js'
import {type Component, pinCommand, pinPath, renderPin} from '../steps/support/rollback-pin.js'
import {cmd} from '../ssh/shell.js'
import type {ClusterAccess} from './cluster-access.js'
import {deploy} from './deploy.js'

export interface RollbackRequest {
  hosts?: string[]
  component: Component
  onEvent?: EventSink
  lockWaitSeconds?: number
  clearStaleLock?: boolean
  commandLine: string
}

export interface RollbackMove {
  host: string
  component: Component
  from: string
  to: string
}

/** The step that switches each component: it reads the pin, so a rollback is that step run with one. */
const SWITCH_STEP: Record<Component, string> = {php: 'php-switch', nginx: 'nginx-source'}

/**
 * `lnmp-deploy rollback`: on each web host, the component goes back to the newest build completed before the
 * live one (the versioned directories stay on the host). A pin on the host records it, then the component's
 * switch step runs as in any `run`: one host at a time out of the balancer's rotation, verified. A host whose
 * switch fails gets its pin back as it was, so the next `run` does not try the rollback again.
 */
export async function rollback(cluster: ClusterAccess, request: RollbackRequest): Promise<{moves: RollbackMove[]; summary: RunSummary}> {
  const web = hostsWithRole(cluster.select(request.hosts), 'web')
  if (web.length === 0) throw new DeployError('rollback: none of the selected hosts has the web role', ExitCode.config)
  const plans = await Promise.all(web.map((host) => planMove(cluster, host, request.component)))
  const missing = plans.filter((p) => p.move === undefined)
  if (missing.length > 0) {
    throw new DeployError(`rollback: ${missing.map((m) => `${m.host}: ${m.why}`).join('; ')}`, ExitCode.config, {
      host: missing[0]?.host,
      hint: 'lnmp-deploy status lists the builds on each host; nothing was changed',
    })
  }
  const moves = plans.map((p) => p.move as RollbackMove)
  const earlier = new Map<string, string>()
  for (const [i, move] of moves.entries()) {
    const remote = await cluster.remoteOf(move.host)
    earlier.set(move.host, plans[i]?.pin ?? '')
    await remote.run(cmd('mkdir', '-p', pinPath(move.component).replace(/\/[^/]+$/, '')), {sudo: true})
    await remote.writeFile(pinPath(move.component), renderPin({from: plans[i]?.wanted ?? '', to: move.to, at: new Date().toISOString()}), {
      sudo: true,
      mode: 0o644,
    })
  }
  const summary = await deploy(cluster, {
    mode: 'run',
    hosts: moves.map((m) => m.host),
    steps: [SWITCH_STEP[request.component]],
    onEvent: request.onEvent,
    lockWaitSeconds: request.lockWaitSeconds,
    clearStaleLock: request.clearStaleLock,
    commandLine: request.commandLine,
  })
  for (const failure of summary.failures) {
    const remote = await cluster.remoteOf(failure.host)
    const before = earlier.get(failure.host) ?? ''
    if (before.trim() === '') await remote.run(cmd('rm', '-f', pinPath(request.component)), {sudo: true})
    else await remote.writeFile(pinPath(request.component), before, {sudo: true, mode: 0o644})
  }
  return {moves, summary}
}

async function planMove(
  cluster: ClusterAccess,
  host: ClusterHost,
  component: Component,
): Promise<{host: string; move?: RollbackMove; why?: string; wanted?: string; pin?: string}> {
  const remote = await cluster.remoteOf(host.name)
  const ctx = await cluster.contextFor(host)
  const wanted = component === 'php' ? phpSwitchInputs(ctx).dir : nginxSourceInputs(ctx).dir
  const [listing, pin] = await Promise.all([
    remote.exec(buildsCommand(cluster.config.prefix, component), {sudo: true}),
    remote.exec(pinCommand(component), {sudo: true}),
  ])
  const builds = parseBuilds(listing.stdout)
  const live = builds.find((b) => b.live)
  const previous = previousBuild(builds)
  if (!live)
    return {host: host.name, why: `no live ${component} build (${cluster.config.prefix}/${component} points at none of its builds)`}
  if (!previous) return {host: host.name, why: `no ${component} build older than the live one (${live.dir}) is left`}
  return {host: host.name, wanted, pin: pin.stdout, move: {host: host.name, component, from: live.dir, to: previous.dir}}
}
