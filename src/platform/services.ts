import {cmd} from '../ssh/shell.js'
import type {HostFacts} from './facts.js'

/** Services lnmp-deploy manages from distribution packages; the compiled nginx and php-fpm have our own units. */
export type PackagedService = 'memcached' | 'mariadb' | 'nginx' | 'firewalld' | 'nftables'

/**
 * systemd unit names per family. MariaDB's unit is `mariadb` on Debian 10+, Ubuntu, CentOS 7 and EL8/9
 * (EL8/9 also alias it `mysqld`, CentOS 7 does not); nothing here needs the `mysql` alias.
 */
export function serviceName(service: PackagedService, _facts: HostFacts): string {
  switch (service) {
    case 'mariadb':
      return 'mariadb'
    default:
      return service
  }
}

/** Units lnmp-deploy writes for what it compiles (templates/systemd/). */
export const COMPILED_UNITS = {nginx: 'nginx', phpFpm: 'php-fpm'} as const

export type SystemctlOp = 'enable-now' | 'restart' | 'reload' | 'start' | 'stop' | 'is-active' | 'is-enabled' | 'daemon-reload'

export function systemctl(op: SystemctlOp, unit?: string): string {
  if (op === 'daemon-reload') return 'systemctl daemon-reload'
  if (unit === undefined) throw new Error(`systemctl ${op} needs a unit`)
  if (op === 'enable-now') return cmd('systemctl', 'enable', '--now', unit)
  if (op === 'is-active' || op === 'is-enabled') return cmd('systemctl', op, '--quiet', unit)
  return cmd('systemctl', op, unit)
}
