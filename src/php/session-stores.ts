import {hostsWithRole} from '../config/hosts.js'
import type {Config} from '../config/schema.js'
import type {ClusterHost} from '../engine/step.js'
import {ConfigError} from '../errors.js'

/**
 * Where PHP keeps sessions: every host with the cache role, in config order, by its private address. With
 * more than one, the memcache extension writes every session to each of them (session_redundancy) and reads
 * fail over, so no single memcached is the one every login depends on.
 */
export interface SessionStore {
  host: ClusterHost
  address: string
  port: number
}

export function sessionStores(ctx: {cluster: readonly ClusterHost[]; config: Pick<Config, 'memcached'>}): SessionStore[] {
  const hosts = hostsWithRole([...ctx.cluster], 'cache')
  if (hosts.length === 0) throw new ConfigError('no host has the cache role: PHP sessions need a memcached host')
  return hosts.map((host) => ({host, address: host.privateAddress, port: ctx.config.memcached.port}))
}
