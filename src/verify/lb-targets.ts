import {hostsWithRole} from '../config/hosts.js'
import type {ClusterHost} from '../engine/step.js'
import type {Backend} from './session-judge.js'
import type {CheckEnv} from './types.js'

/** The load balancers (the rows of the checks made through them) and the web hosts behind them. */
export function lbHosts(env: Pick<CheckEnv, 'cluster'>): ClusterHost[] {
  return hostsWithRole(env.cluster, 'lb')
}

export function webBackends(env: Pick<CheckEnv, 'cluster'>): Backend[] {
  return hostsWithRole(env.cluster, 'web').map((h) => ({name: h.name, address: h.privateAddress}))
}

export const HTTP_PORT = 80
