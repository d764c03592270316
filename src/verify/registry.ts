import {ConfigError} from '../errors.js'
import {closedPortsCheck} from './closed-ports.js'
import {servicesCheck} from './services.js'
import {sessionFailoverCheck} from './session-failover.js'
import {sessionProofCheck} from './session-proof.js'
import type {ClusterCheck} from './types.js'
import {webRootCleanCheck} from './web-root-clean.js'

/** The checks across hosts, by stable id (what `--check` selects), in the order the report lists them. */
export const CLUSTER_CHECKS: readonly ClusterCheck[] = [
  servicesCheck,
  sessionProofCheck,
  closedPortsCheck,
  webRootCleanCheck,
  sessionFailoverCheck,
]

/**
 * Checks issue 5 names that a step's own verify already makes: `--check` accepts their names and selects
 * that step rather than running the same test twice.
 */
export const CHECK_ALIASES: Readonly<Record<string, readonly string[]>> = {
  // the seed's test_memcache.php (set, get, delete, value compared) from each web host: pecl-memcache's verify
  'memcache-connect': ['pecl-memcache'],
  // the app user's login through the compiled PHP's mysqli from each web host: mariadb's verify
  'mariadb-login': ['mariadb'],
  // every web host answers through lb01 (two rounds of round robin, the upstream's addresses named): lb-upstream's
  'lb-proxy': ['lb-upstream'],
  // closed to every other host of the cluster, open to the web hosts: db-firewall's verify; this machine: ours
  'closed-ports': ['closed-ports', 'db-firewall'],
}

export interface CheckSelection {
  /** step ids whose own verify runs */
  steps: string[]
  clusterChecks: ClusterCheck[]
}

/**
 * What `--check` asks for: none means everything; each id is a step id, a cluster check id or an alias.
 * An unknown id is a ConfigError listing every known one.
 */
export function selectChecks(
  ids: readonly string[] | undefined,
  stepIds: readonly string[],
  checks: readonly ClusterCheck[] = CLUSTER_CHECKS,
): CheckSelection {
  if (!ids || ids.length === 0) return {steps: [...stepIds], clusterChecks: checks.filter((c) => !c.onlyWhenAsked)}
  const known = [...new Set([...stepIds, ...checks.map((c) => c.id), ...Object.keys(CHECK_ALIASES)])]
  const unknown = ids.filter((id) => !known.includes(id))
  if (unknown.length > 0) {
    throw new ConfigError(`--check ${unknown.join(', ')}: no such check`, {hint: `checks: ${known.join(', ')}`})
  }
  const wanted = new Set(ids.flatMap((id) => CHECK_ALIASES[id] ?? [id]))
  return {steps: stepIds.filter((s) => wanted.has(s)), clusterChecks: checks.filter((c) => wanted.has(c.id))}
}
