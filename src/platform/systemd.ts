import {UnsupportedPlatformError} from './detect.js'
import type {HostFacts} from './facts.js'

/**
 * nginx and PHP-FPM run as systemd units here: on a host without systemd as PID 1 the chain would compile
 * for minutes and then fail at its first `systemctl`. Refused while computing the inputs, before any build.
 */
export function requireSystemd(ctx: {facts: HostFacts; host: {name: string}}, what: string): void {
  if (ctx.facts.initSystem !== 'systemd') {
    throw new UnsupportedPlatformError(
      ctx.host.name,
      `${what} needs systemd as PID 1 (its service runs as a systemd unit); this host has none`,
      'deploy the web role to a host that boots with systemd',
    )
  }
}
