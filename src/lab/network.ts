import {readFile} from 'node:fs/promises'

import {LabError} from '../errors.js'
import {run, tryRun} from './exec.js'
import {LAB_BRIDGE, LAB_GATEWAY, LAB_SUBNET, LAB_SUBNET_PREFIX} from './topology.js'

/**
 * The lab's network on the controller: one bridge with the gateway address, and iptables rules that keep
 * anything from being forwarded on or off it. ip_forward is left as the machine has it.
 */

const GUARD_COMMENT = 'lnmp-lab-guard'

/** The three FORWARD rules, as iptables arguments without the -I/-C/-D verb. */
export function guardRules(bridge: string = LAB_BRIDGE): string[][] {
  const tag = ['-m', 'comment', '--comment', GUARD_COMMENT]
  return [
    ['FORWARD', '-i', bridge, '!', '-o', bridge, '-j', 'DROP', ...tag],
    ['FORWARD', '-o', bridge, '!', '-i', bridge, '-j', 'DROP', ...tag],
    ['FORWARD', '-i', bridge, '-o', bridge, '-j', 'ACCEPT', ...tag],
  ]
}

/**
 * Who already uses the lab's /24, from `ip -4 -o addr show` and `ip -4 route show` output (any interface
 * but our own bridge). Returns one line per conflict; empty when the subnet is free.
 */
export function subnetConflicts(addrOutput: string, routeOutput: string, bridge: string = LAB_BRIDGE): string[] {
  const inSubnet = (s: string): boolean => s.startsWith(`${LAB_SUBNET_PREFIX}.`)
  const conflicts: string[] = []
  for (const line of addrOutput.split('\n')) {
    // "3: eth1    inet 10.77.0.5/24 brd ... scope global eth1"
    const m = /^\d+:\s+(\S+)\s+inet\s+(\S+)/.exec(line.trim())
    if (m && m[1] !== bridge && inSubnet(m[2] ?? '')) conflicts.push(`address ${m[2]} on ${m[1]}`)
  }
  for (const line of routeOutput.split('\n')) {
    const t = line.trim()
    if (t === '' || / dev (\S+)/.exec(t)?.[1] === bridge) continue
    const dest = t.split(/\s+/)[0] ?? ''
    if (inSubnet(dest) || dest === LAB_SUBNET) conflicts.push(`route ${t}`)
  }
  return conflicts
}

export async function bridgeExists(): Promise<boolean> {
  return (await tryRun('ip', ['link', 'show', LAB_BRIDGE])).code === 0
}

export async function ensureBridge(): Promise<void> {
  if (!(await bridgeExists())) {
    const addr = await run('listing addresses', 'ip', ['-4', '-o', 'addr', 'show'])
    const routes = await run('listing routes', 'ip', ['-4', 'route', 'show'])
    const conflicts = subnetConflicts(addr.stdout, routes.stdout)
    if (conflicts.length > 0) {
      throw new LabError(`the lab's subnet ${LAB_SUBNET} is already in use on this machine: ${conflicts.join('; ')}`, {
        hint: 'free that subnet (or remove what uses it) before `lab up`',
      })
    }
    await run(`creating bridge ${LAB_BRIDGE}`, 'ip', ['link', 'add', LAB_BRIDGE, 'type', 'bridge'])
    await run(`addressing bridge ${LAB_BRIDGE}`, 'ip', ['addr', 'add', `${LAB_GATEWAY}/24`, 'dev', LAB_BRIDGE])
  }
  await run(`bringing up bridge ${LAB_BRIDGE}`, 'ip', ['link', 'set', LAB_BRIDGE, 'up'])
}

export async function removeBridge(): Promise<void> {
  if (await bridgeExists()) await run(`removing bridge ${LAB_BRIDGE}`, 'ip', ['link', 'del', LAB_BRIDGE])
}

export async function ensureGuard(): Promise<void> {
  for (const rule of guardRules()) {
    if ((await tryRun('iptables', ['-w', '-C', ...rule])).code !== 0) {
      await run('adding the lab guard rule', 'iptables', ['-w', '-I', ...rule])
    }
  }
}

export async function removeGuard(): Promise<void> {
  for (const rule of guardRules()) {
    // a rule inserted twice (e.g. by an interrupted up) is removed as often as it is there
    while ((await tryRun('iptables', ['-w', '-C', ...rule])).code === 0) {
      await run('removing the lab guard rule', 'iptables', ['-w', '-D', ...rule])
    }
  }
}

export async function guardRulesPresent(): Promise<number> {
  const r = await tryRun('iptables', ['-w', '-S', 'FORWARD'])
  return r.stdout.split('\n').filter((l) => l.includes(GUARD_COMMENT)).length
}

export async function ipForwardEnabled(): Promise<boolean> {
  return (await readFile('/proc/sys/net/ipv4/ip_forward', 'utf8')).trim() === '1'
}
