import {hostsWithRole} from '../config/hosts.js'
import {sha256Of} from '../hash.js'
import {ask} from '../engine/probe-query.js'
import type {Action, CheckResult, ProbeQuery, Step, StepContext, StepPlan} from '../engine/step.js'
import {messages} from '../messages.js'
import {batchCommand, firstWord, parseBatch} from '../platform/batch-probe.js'
import type {HostFacts} from '../platform/facts.js'
import {
  type AllowRule,
  type FirewallKind,
  FIREWALLD_ACTIVE_COMMAND,
  NFT_RULES_PATH,
  NFT_UNIT,
  NFT_VALIDATE,
  chooseFirewall,
  firewalldRichRules,
  firewalldSyncCommands,
  renderNftables,
} from '../platform/firewall.js'
import {installCommand, packageQueryCommand, packagesFor, parseMissingPackages} from '../platform/packages.js'
import {and, cmd} from '../ssh/shell.js'
import {renderTemplate} from '../templates.js'
import {MYSQL_PORT} from './mariadb.js'
import {check, listeningCommand} from './support/checks.js'

/**
 * The procedure binds memcached (and here MariaDB) to db01's private address, but binding alone leaves
 * 11211 and 3306 open to lb01 and anything else on that network. This milestone adds a host firewall that
 * lets only the web hosts reach them: a table of our own (`inet lnmp_deploy`) on nftables, loaded by a
 * small unit at boot, or rich rules where firewalld runs. Nothing else is filtered, so SSH stays open.
 */
export const NFT_UNIT_PATH = `/etc/systemd/system/${NFT_UNIT}.service`
export const NFT_TABLE = 'inet lnmp_deploy'

export interface DbFirewallInputs {
  /** the host, named when its firewall is refused */
  host: string
  /** what picks the firewall (chooseFirewall) once the probe says whether firewalld runs */
  platform: Pick<HostFacts, 'osFamily' | 'osVersion'>
  rule: AllowRule
  packages: string[]
  installCommand: string
  rules: string
  unit: string
  richRules: string[]
}

export interface DbFirewallFacts {
  firewalldActive: boolean
  missingPackages: string[]
  rulesSha256: string | undefined
  unitSha256: string | undefined
  enabled: boolean
  active: boolean
  tableLoaded: boolean
  /** firewalld's permanent rich rules (empty without firewalld) */
  richRules: string[]
}

export function dbFirewallInputs(ctx: Pick<StepContext, 'config' | 'cluster' | 'facts' | 'host'>): DbFirewallInputs {
  const rule: AllowRule = {
    sources: [...new Set(hostsWithRole(ctx.cluster, 'web').map((h) => h.privateAddress))],
    memcachedPort: ctx.config.memcached.port,
    mysqlPort: MYSQL_PORT,
  }
  const packages = packagesFor(['nftables'], ctx.facts)
  return {
    host: ctx.host.name,
    platform: {osFamily: ctx.facts.osFamily, osVersion: ctx.facts.osVersion},
    rule,
    packages,
    installCommand: installCommand(packages, ctx.facts),
    rules: renderNftables(rule),
    unit: renderTemplate('systemd/lnmp-deploy-firewall.service', {rulesPath: NFT_RULES_PATH}),
    richRules: firewalldRichRules(rule),
  }
}

function planNftables(facts: DbFirewallFacts, want: DbFirewallInputs): Action[] {
  const actions: Action[] = []
  if (facts.missingPackages.length > 0)
    actions.push({kind: 'run', description: `install ${facts.missingPackages.join(' ')}`, command: want.installCommand})
  const rulesChanged = facts.rulesSha256 !== sha256Of(want.rules)
  // checked by nft itself before it replaces the old file: a bad rule set never reaches the boot unit
  if (rulesChanged) actions.push({kind: 'write-file', path: NFT_RULES_PATH, content: want.rules, mode: 0o644, validate: NFT_VALIDATE})
  if (facts.unitSha256 !== sha256Of(want.unit)) {
    actions.push(
      {kind: 'write-file', path: NFT_UNIT_PATH, content: want.unit, mode: 0o644},
      {kind: 'run', description: 'reload systemd units', command: 'systemctl daemon-reload'},
    )
  }
  if (!facts.enabled || !facts.active) {
    // starting the oneshot unit loads the file
    actions.push({
      kind: 'service',
      service: NFT_UNIT,
      op: 'enable-now',
      ready: {command: cmd('nft', 'list', 'table', 'inet', 'lnmp_deploy')},
    })
  } else if (rulesChanged || !facts.tableLoaded) {
    // the file declares, deletes and redefines the table: one transaction, no moment without rules
    actions.push({kind: 'run', description: `load ${NFT_RULES_PATH} (table ${NFT_TABLE})`, command: cmd('nft', '-f', NFT_RULES_PATH)})
  }
  return actions
}

export function planDbFirewall(facts: DbFirewallFacts, want: DbFirewallInputs): StepPlan {
  const kind: FirewallKind = chooseFirewall(want.host, want.platform, facts.firewalldActive)
  const actions =
    kind === 'nftables'
      ? planNftables(facts, want)
      : firewalldSyncCommands(facts.richRules, want.rule).map(
          (command): Action => ({kind: 'run', description: 'firewalld: allow only the web hosts', command}),
        )
  if (actions.length > 0) return {actions}
  const ports = `${want.rule.memcachedPort}, ${want.rule.mysqlPort}`
  return {actions, reason: `${kind}: only ${want.rule.sources.join(', ')} may reach ${ports}`}
}

export const dbFirewallQueries = {
  /** both firewalls' state (which one applies depends on whether firewalld runs), in one round trip */
  host: {
    command: (want, facts) =>
      batchCommand({
        firewalld: and(FIREWALLD_ACTIVE_COMMAND, 'echo active'),
        packages: packageQueryCommand(want.packages, facts),
        rules: cmd('sha256sum', NFT_RULES_PATH),
        unit: cmd('sha256sum', NFT_UNIT_PATH),
        enabled: cmd('systemctl', 'is-enabled', NFT_UNIT),
        active: cmd('systemctl', 'is-active', NFT_UNIT),
        table: and(`${cmd('nft', 'list', 'table', 'inet', 'lnmp_deploy')} >/dev/null`, 'echo loaded'),
        rich: cmd('firewall-cmd', '--permanent', '--list-rich-rules'),
      }),
    sudo: true,
    parse: (stdout, want, facts): DbFirewallFacts => {
      const a = parseBatch(stdout)
      const firewalldActive = a.get('firewalld')?.trim() === 'active'
      return {
        firewalldActive,
        missingPackages: parseMissingPackages(want.packages, a.get('packages') ?? '', facts),
        rulesSha256: firstWord(a.get('rules')),
        unitSha256: firstWord(a.get('unit')),
        enabled: a.get('enabled')?.trim() === 'enabled',
        active: a.get('active')?.trim() === 'active',
        tableLoaded: a.get('table')?.trim() === 'loaded',
        richRules: firewalldActive
          ? (a.get('rich') ?? '')
              .split('\n')
              .map((l) => l.trim())
              .filter(Boolean)
          : [],
      }
    },
  },
} satisfies Record<string, ProbeQuery<DbFirewallInputs, unknown>>

/** Ask from another host whether a TCP port answers: 0 open, anything else closed (reset or timeout). */
export function tcpOpenCommand(address: string, port: number): string {
  return cmd('timeout', 2, 'bash', '-c', `</dev/tcp/${address}/${port}`)
}

export const dbFirewall: Step<DbFirewallInputs, DbFirewallFacts> = {
  id: 'db-firewall',
  title: 'Let only the web hosts reach memcached and MariaDB (host firewall, SSH untouched)',
  roles: ['db', 'cache'],
  // before the services: a web host added to the config must be let in before their checks connect from it
  after: [],

  inputs: dbFirewallInputs,

  probeQueries: dbFirewallQueries,

  probe: (remote, ctx, want) => ask(remote, dbFirewallQueries.host, want, ctx.facts),

  plan: planDbFirewall,

  async verify({remote, remoteOf}, ctx, want) {
    const facts = await ask(remote, dbFirewallQueries.host, want, ctx.facts)
    const kind = chooseFirewall(want.host, want.platform, facts.firewalldActive)
    const checks: CheckResult[] = []
    if (kind === 'nftables') {
      checks.push(
        check(
          'firewall-table',
          facts.tableLoaded && facts.enabled,
          `table ${NFT_TABLE} ${facts.tableLoaded ? 'loaded' : 'missing'}; ${NFT_UNIT} ${facts.enabled ? 'enabled' : 'not enabled'}`,
          {
            command: `nft list table ${NFT_TABLE}`,
            hint: messages.rerun.hint('db-firewall', ctx.host.name),
          },
        ),
      )
    } else {
      const missing = want.richRules.filter((r) => !facts.richRules.includes(r))
      checks.push(
        check(
          'firewall-rich-rules',
          missing.length === 0,
          missing.length === 0 ? `${want.richRules.length} rich rules present` : `missing: ${missing.join('; ')}`,
          {
            command: 'firewall-cmd --permanent --list-rich-rules',
            hint: messages.rerun.hint('db-firewall', ctx.host.name),
          },
        ),
      )
    }

    // what counts is what other hosts see: the web hosts get in, every other host of the cluster does not
    const target = ctx.host.privateAddress
    const ports = [
      ...(ctx.host.roles.includes('cache') ? [{name: 'memcached', port: want.rule.memcachedPort}] : []),
      ...(ctx.host.roles.includes('db') ? [{name: 'mariadb', port: want.rule.mysqlPort}] : []),
    ]
    const probes = ctx.cluster
      .filter((h) => h.name !== ctx.host.name)
      .map((h) => ({host: h, allowed: want.rule.sources.includes(h.privateAddress)}))
    // the firewall comes before the services: one not listening yet cannot show the way in open (a reset looks
    // like the firewall's), so those checks wait for the service's own step, which connects from each web host
    const listening = new Map(
      await Promise.all(ports.map(async ({port}) => [port, (await remote.exec(listeningCommand(port))).stdout.trim() !== ''] as const)),
    )
    await Promise.all(
      probes.flatMap(({host, allowed}) =>
        ports.map(async ({name, port}) => {
          if (allowed && !listening.get(port)) {
            checks.push(
              check(
                `${name}-open-to-${host.name}`,
                true,
                `${target}:${port}: ${name} is not listening yet; its own step connects from ${host.name}`,
              ),
            )
            return
          }
          const from = await remoteOf(host.name)
          const command = tcpOpenCommand(target, port)
          const open = (await from.exec(command)).code === 0
          checks.push(
            check(
              `${name}-${allowed ? 'open-to' : 'closed-to'}-${host.name}`,
              open === allowed,
              `${target}:${port} is ${open ? 'open' : 'closed'} from ${host.name}`,
              {
                command: `${command} on ${host.name}`,
                hint: allowed
                  ? `${host.name} is a web host and must reach ${name}: is it running on ${target}:${port}, and is ${host.privateAddress} in the firewall's allow list?`
                  : `${name} on ${ctx.host.name} must not be reachable from ${host.name}: run ${messages.rerun.command('db-firewall', ctx.host.name)}`,
              },
            ),
          )
        }),
      ),
    )
    return checks.sort((a, b) => a.name.localeCompare(b.name))
  },
}
