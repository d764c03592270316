import {isIP} from 'node:net'
import {ConfigError, DeployError, ExitCode} from '../errors.js'
import {cmd} from '../ssh/shell.js'
import {renderTemplate} from '../templates.js'
import {osMajor} from './detect.js'
import type {HostFacts} from './facts.js'

export type FirewallKind = 'nftables' | 'firewalld'

export const NFT_RULES_PATH = '/etc/lnmp-deploy/firewall.nft'
export const NFT_UNIT = 'lnmp-deploy-firewall'

/** Ask whether firewalld runs: its rules would be fought by a table of our own, so it is used when active. */
export const FIREWALLD_ACTIVE_COMMAND = 'systemctl is-active --quiet firewalld'

/**
 * nftables on Debian/Ubuntu; on the RHEL family firewalld when it is active, else nftables (EL8/9 ship
 * nft). CentOS 7's 3.10 kernel has no usable nftables, so there firewalld must be running.
 */
export function chooseFirewall(hostName: string, facts: Pick<HostFacts, 'osFamily' | 'osVersion'>, firewalldActive: boolean): FirewallKind {
  if (facts.osFamily === 'rhel' && firewalldActive) return 'firewalld'
  if (facts.osFamily === 'rhel' && osMajor(facts) <= 7) {
    throw new DeployError(
      `${hostName}: no firewall to restrict memcached and MariaDB: firewalld is not running and CentOS 7 has no nftables`,
      ExitCode.stepFailed,
      {
        host: hostName,
        hint: 'systemctl enable --now firewalld, then run again',
      },
    )
  }
  return 'nftables'
}

export interface AllowRule {
  /** addresses that may connect: the web hosts' private addresses, IP literals */
  sources: readonly string[]
  memcachedPort: number
  mysqlPort: number
}

function splitFamilies(sources: readonly string[]): {v4: string[]; v6: string[]} {
  const bad = sources.filter((s) => isIP(s) === 0)
  if (bad.length > 0) {
    throw new ConfigError(`firewall rules need IP addresses, got ${bad.join(', ')}`, {
      hint: 'set privateAddress of the web hosts to their IP addresses',
    })
  }
  if (sources.length === 0) throw new ConfigError('firewall rules need at least one web host address')
  return {v4: [...new Set(sources.filter((s) => isIP(s) === 4))], v6: [...new Set(sources.filter((s) => isIP(s) === 6))]}
}

/** The nftables table `inet lnmp_deploy`: the web hosts in, everyone else dropped on those two ports only. */
export function renderNftables(rule: AllowRule): string {
  const {v4, v6} = splitFamilies(rule.sources)
  const sets: string[] = []
  const accepts: string[] = []
  const ports = `{ ${rule.memcachedPort}, ${rule.mysqlPort} }`
  if (v4.length > 0) {
    sets.push(`\tset web_v4 {\n\t\ttype ipv4_addr\n\t\telements = { ${v4.join(', ')} }\n\t}`)
    accepts.push(`\t\tip saddr @web_v4 tcp dport ${ports} accept`)
  }
  if (v6.length > 0) {
    sets.push(`\tset web_v6 {\n\t\ttype ipv6_addr\n\t\telements = { ${v6.join(', ')} }\n\t}`)
    accepts.push(`\t\tip6 saddr @web_v6 tcp dport ${ports} accept`)
  }
  return renderTemplate('firewall/lnmp-deploy.nft', {
    sets: sets.join('\n'),
    acceptRules: accepts.join('\n'),
    memcachedPort: rule.memcachedPort,
    mysqlPort: rule.mysqlPort,
  })
}

/** Check a rules file without applying it (the write-file action's validate; `{}` is the temp path). */
export const NFT_VALIDATE = 'nft -c -f {}'

/** firewalld's rich rules for the allow list, in the form `firewall-cmd --list-rich-rules` prints them. */
export function firewalldRichRules(rule: AllowRule): string[] {
  const {v4, v6} = splitFamilies(rule.sources)
  return [...v4.map((a) => ['ipv4', a] as const), ...v6.map((a) => ['ipv6', a] as const)].flatMap(([family, address]) =>
    [rule.memcachedPort, rule.mysqlPort].map(
      (port) => `rule family="${family}" source address="${address}" port port="${port}" protocol="tcp" accept`,
    ),
  )
}

/**
 * firewalld: one rich rule per web address and port in the permanent config, then a reload. The ports
 * are not opened in the zone otherwise, so every other source stays refused; SSH's service is untouched.
 */
export function firewalldCommands(rule: AllowRule): string[] {
  return [...firewalldRichRules(rule).map((r) => cmd('firewall-cmd', '--permanent', `--add-rich-rule=${r}`)), 'firewall-cmd --reload']
}

/**
 * What brings firewalld's permanent rules to the allow list: add the missing rules, remove the ones of ours
 * (same ports) for addresses no longer allowed, reload. Empty when nothing differs.
 */
export function firewalldSyncCommands(present: readonly string[], rule: AllowRule): string[] {
  const wanted = firewalldRichRules(rule)
  const ours = (r: string) => [rule.memcachedPort, rule.mysqlPort].some((p) => r.includes(`port port="${p}" protocol="tcp" accept`))
  const add = wanted.filter((r) => !present.includes(r))
  const remove = present.filter((r) => ours(r) && !wanted.includes(r))
  if (add.length === 0 && remove.length === 0) return []
  return [
    ...remove.map((r) => cmd('firewall-cmd', '--permanent', `--remove-rich-rule=${r}`)),
    ...add.map((r) => cmd('firewall-cmd', '--permanent', `--add-rich-rule=${r}`)),
    'firewall-cmd --reload',
  ]
}
