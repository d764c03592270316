import type {ClusterHost} from '../engine/step.js'
import {ConfigError} from '../errors.js'
import {messages} from '../messages.js'
import type {Config, Role} from './schema.js'

/** Every configured host, in config order, as steps see it (privateAddress filled in). */
export function clusterHosts(config: Config): ClusterHost[] {
  const builder = builderOf(config)
  return config.hosts.map((h) => ({
    name: h.name,
    address: h.address,
    privateAddress: h.privateAddress ?? h.address,
    roles: [...h.roles],
    ...(builder !== undefined && h.roles.includes('web') ? {builder} : {}),
  }))
}

/** The web host that compiles for the others: build.builder, else the first web host; none when each compiles itself. */
export function builderOf(config: Config): string | undefined {
  if (!config.build.once) return undefined
  return config.build.builder ?? config.hosts.find((h) => h.roles.includes('web'))?.name
}

/**
 * The hosts named (e.g. by `--host`), in config order; no names means every host. An unknown name is a
 * ConfigError naming it and the hosts that do exist.
 */
export function selectHosts(config: Config, names: readonly string[]): ClusterHost[] {
  const all = clusterHosts(config)
  if (names.length === 0) return all
  const known = all.map((h) => h.name)
  for (const name of names) {
    if (!known.includes(name)) throw new ConfigError(messages.config.unknownHost(name, known))
  }
  return all.filter((h) => names.includes(h.name))
}

export function hostsWithRole(hosts: Config | readonly ClusterHost[], role: Role): ClusterHost[] {
  const list = isConfig(hosts) ? clusterHosts(hosts) : hosts
  return list.filter((h) => h.roles.includes(role))
}

function isConfig(value: Config | readonly ClusterHost[]): value is Config {
  return !Array.isArray(value)
}
