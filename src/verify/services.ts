import type {Role} from '../config/schema.js'
import {batchCommand, parseBatch} from '../platform/batch-probe.js'
import {type PackagedService, serviceName} from '../platform/services.js'
import {cmd} from '../ssh/shell.js'
import type {ClusterCheck, VerifyResult} from './types.js'

/**
 * Services that must run now AND start again after a reboot, where no step's own verify asks already (the
 * compiled nginx and php-fpm, MariaDB, lb01's nginx and db01's firewall unit: their steps check active and
 * enabled; memcached's step checks only that it listens). A service that is active but not enabled passes every other check today
 * and takes the cluster down at the next reboot.
 */
export const ROLE_SERVICES: Readonly<Partial<Record<Role, readonly PackagedService[]>>> = {
  cache: ['memcached'],
}

export function servicesFor(roles: readonly Role[]): PackagedService[] {
  return [...new Set(roles.flatMap((r) => ROLE_SERVICES[r] ?? []))]
}

/** Pure: the answers of `systemctl is-active` and `is-enabled` per unit, one row per unit. */
export function judgeServices(host: string, units: readonly string[], answers: ReadonlyMap<string, string>): VerifyResult[] {
  return units.map((unit) => {
    const active = answers.get(`${unit}-active`)?.trim() || 'unknown'
    const enabled = answers.get(`${unit}-enabled`)?.trim() || 'unknown'
    const ok = active === 'active' && enabled === 'enabled'
    return {
      name: `${unit}-active-enabled`,
      ok,
      detail: `${active}, ${enabled}`,
      command: `systemctl is-active ${unit}; systemctl is-enabled ${unit}`,
      ...(ok
        ? {}
        : {
            hint:
              active !== 'active'
                ? `start it: systemctl start ${unit} on ${host} (journalctl -u ${unit} says why it stopped)`
                : `it will not come back after a reboot: systemctl enable ${unit} on ${host}`,
          }),
    }
  })
}

export const servicesCheck: ClusterCheck = {
  id: 'services',
  title: 'Services active and enabled (those no step checks)',
  targets: (env) => env.cluster.filter((h) => servicesFor(h.roles).length > 0),
  async run(env, host) {
    const ctx = await env.contextFor(host)
    const units = servicesFor(host.roles).map((s) => serviceName(s, ctx.facts))
    const remote = await env.remoteOf(host.name)
    const questions = Object.fromEntries(
      units.flatMap((u) => [
        [`${u}-active`, cmd('systemctl', 'is-active', u)],
        [`${u}-enabled`, cmd('systemctl', 'is-enabled', u)],
      ]),
    )
    const {stdout} = await remote.exec(batchCommand(questions))
    return judgeServices(host.name, units, parseBatch(stdout))
  },
}
