import {Socket} from 'node:net'

import type {ClusterHost} from '../engine/step.js'
import {messages} from '../messages.js'
import type {CheckEnv, ClusterCheck, VerifyResult} from './types.js'

/**
 * What must not be reachable: memcached and MariaDB answer the web hosts only. Binding to the private
 * address leaves them open to lb01 and to anything else on that network; db01's firewall closes them.
 * The db-firewall step's own verify tries them from every other host of the cluster (closed to lb01, open
 * to the web hosts); this check adds the one place no step looks from: this machine, which is not a web
 * host either (a CI runner, an admin's laptop on the same network). `--check closed-ports` selects both.
 */
export const MARIADB_PORT = 3306
/** a filtered port never answers: one second is plenty on a private network */
export const CONNECT_TIMEOUT_S = 1

export interface GuardedPort {
  service: 'memcached' | 'mariadb'
  port: number
}

export function guardedPorts(env: Pick<CheckEnv, 'config'>, store: ClusterHost): GuardedPort[] {
  return [
    ...(store.roles.includes('cache') ? [{service: 'memcached' as const, port: env.config.memcached.port}] : []),
    ...(store.roles.includes('db') ? [{service: 'mariadb' as const, port: MARIADB_PORT}] : []),
  ]
}

export function parseOpen(results: ReadonlyArray<{address: string; port: number; open: boolean}>): Map<string, boolean> {
  return new Map(results.map((r) => [`${r.address}:${r.port}`, r.open]))
}

/** Pure: one row per (source, service). */
export function judgeClosed(
  store: ClusterHost,
  source: string,
  ports: readonly GuardedPort[],
  open: ReadonlyMap<string, boolean>,
  command: string,
): VerifyResult[] {
  return ports.map((p): VerifyResult => {
    const key = `${store.privateAddress}:${p.port}`
    const state = open.get(key)
    const name = `${p.service}-closed-to-${source}`
    if (state === undefined) return {name, ok: false, detail: `no answer from the probe on ${source}`, command}
    if (!state) return {name, ok: true, detail: `${key} closed to ${source}`, command}
    return {
      name,
      ok: false,
      detail: `${key} (${p.service}) is reachable from ${source}, which is not a web host`,
      command,
      hint: `only the web hosts may reach ${p.service} on ${store.name}: run ${messages.rerun.command('db-firewall', store.name)}, and look for a rule that opens ${p.port}`,
    }
  })
}

/** The same attempt from this machine. */
export function tcpOpen(address: string, port: number, timeoutMs = CONNECT_TIMEOUT_S * 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket()
    const done = (open: boolean) => {
      socket.destroy()
      resolve(open)
    }
    socket.setTimeout(timeoutMs, () => done(false))
    socket.once('connect', () => done(true))
    socket.once('error', () => done(false))
    socket.connect(port, address)
  })
}

export const CONTROLLER = 'controller'

export const closedPortsCheck: ClusterCheck = {
  id: 'closed-ports',
  title: 'memcached and MariaDB closed to this machine (the db-firewall step checks the other hosts)',
  targets: (env) => env.cluster.filter((h) => h.roles.includes('cache') || h.roles.includes('db')),
  async run(env, store) {
    const ports = guardedPorts(env, store)
    const results = await Promise.all(
      ports.map(async (p) => ({address: store.privateAddress, port: p.port, open: await tcpOpen(store.privateAddress, p.port)})),
    )
    return judgeClosed(
      store,
      CONTROLLER,
      ports,
      parseOpen(results),
      `TCP connect from this machine to ${results.map((r) => `${r.address}:${r.port}`).join(', ')} (${CONNECT_TIMEOUT_S} s)`,
    )
  },
}
