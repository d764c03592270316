import {hostsWithRole} from '../config/hosts.js'
import type {EventSink, RunSummary} from '../engine/events.js'
import {ConfigError, DeployError, ExitCode} from '../errors.js'
import {parseUpstreamServers, upstreamServersCommand} from '../platform/lb.js'
import {COMPILED_UNITS} from '../platform/services.js'
import {cmd} from '../ssh/shell.js'
import type {ClusterAccess} from './cluster-access.js'
import {deploy} from './deploy.js'

export interface RetireRequest {
  /** the host's name as the config had it */
  host: string
  /** where it is reached over SSH */
  address: string
  /** the address the balancer and the database knew it by; `address` when absent */
  privateAddress?: string
  onEvent?: EventSink
  lockWaitSeconds?: number
  clearStaleLock?: boolean
  commandLine: string
}

export interface RetireReport {
  host: string
  /** services stopped and disabled on it; none when the cluster could not be brought to the config first */
  stopped: string[]
  summary: RunSummary
}

/**
 * The steps whose files name the web hosts, in two rounds: the balancer first (its reload drains the host), then the
 * database's grants and firewall and memcached's clients. Together in one run, db01 could shut the host out while
 * lb01 still sent it users: a phpMyAdmin page that cannot reach MariaDB is a login page (a logout, as CI saw).
 */
export const FOLLOW_WEB_TIER = [['lb-upstream'], ['db-firewall', 'mariadb', 'memcached']]

/**
 * `lnmp-deploy retire web03 --address ...`: for a web host already removed from the config. First the cluster
 * follows the config (the balancer's reload drains it, the database and memcached forget it), then, once no
 * balancer lists it, its nginx and PHP-FPM are stopped and disabled. A failure before that leaves the host
 * serving as it was: nothing on it changes until nothing sends it users.
 */
export async function retire(cluster: ClusterAccess, request: RetireRequest): Promise<RetireReport> {
  const {host, address} = request
  const privateAddress = request.privateAddress ?? address
  if (cluster.config.hosts.some((h) => h.name === host)) {
    throw new ConfigError(`retire ${host}: ${host} is still one of the config's hosts`, {
      hint: `remove ${host} from hosts in the config first: retire drains it from the balancer as the config says, then stops it`,
    })
  }
  const taken = cluster.hosts.find((h) => h.address === address || h.privateAddress === privateAddress)
  if (taken) {
    throw new ConfigError(
      `retire ${host}: ${taken.address === address ? address : privateAddress} is ${taken.name}'s address in the config`,
      {
        hint: `give the address of the host being retired, not of ${taken.name}`,
      },
    )
  }
  const follow = (steps: string[]) =>
    deploy(cluster, {
      mode: 'run',
      steps,
      onEvent: request.onEvent,
      lockWaitSeconds: request.lockWaitSeconds,
      clearStaleLock: request.clearStaleLock,
      commandLine: request.commandLine,
    })
  const [balancer, rest] = FOLLOW_WEB_TIER as [string[], string[]]
  const drained = await follow(balancer)
  if (!drained.ok) return {host, stopped: [], summary: drained}
  await noBalancerLists(cluster, host, privateAddress)
  const summary = await follow(rest)
  if (!summary.ok) return {host, stopped: [], summary}
  const {remote, close} = await cluster.remoteOutside(host, address)
  const stopped: string[] = []
  try {
    for (const unit of [COMPILED_UNITS.nginx, COMPILED_UNITS.phpFpm]) {
      await remote.run(cmd('systemctl', 'disable', '--now', unit), {sudo: true})
      stopped.push(unit)
    }
  } finally {
    await close()
  }
  return {host, stopped, summary}
}

async function noBalancerLists(cluster: ClusterAccess, host: string, privateAddress: string): Promise<void> {
  for (const lb of hostsWithRole(cluster.hosts, 'lb')) {
    const remote = await cluster.remoteOf(lb.name)
    const listed = parseUpstreamServers((await remote.run(upstreamServersCommand(), {sudo: true})).stdout)
    if (listed.includes(privateAddress)) {
      throw new DeployError(
        `retire ${host}: ${lb.name}'s upstream still lists ${privateAddress}; ${host} was left running`,
        ExitCode.stepFailed,
        {
          host: lb.name,
          hint: `lnmp-deploy run --step lb-upstream, then retire ${host} again`,
        },
      )
    }
  }
}
