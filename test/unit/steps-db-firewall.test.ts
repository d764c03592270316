import {describe, expect, it} from 'vitest'

import {clusterHosts} from '../../src/config/hosts.js'
import {configSchema} from '../../src/config/schema.js'
import {sha256Of} from '../../src/hash.js'
import type {StepContext} from '../../src/engine/step.js'
import {DeployError} from '../../src/errors.js'
import type {HostFacts} from '../../src/platform/facts.js'
import {NFT_RULES_PATH, firewalldRichRules} from '../../src/platform/firewall.js'
import {type DbFirewallFacts, NFT_UNIT_PATH, dbFirewall, dbFirewallInputs, planDbFirewall} from '../../src/steps/db-firewall.js'
import {FACTS} from './steps-support-fixtures.js'

function ctxFor(facts: HostFacts, webHosts = ['172.16.1.7', '172.16.1.8']): StepContext {
  const config = configSchema.parse({
    version: 1,
    hosts: [
      {name: 'lb01', address: '10.0.0.5', privateAddress: '172.16.1.5', roles: ['lb']},
      ...webHosts.map((a, i) => ({name: `web0${i + 1}`, address: `10.0.0.${7 + i}`, privateAddress: a, roles: ['web']})),
      {name: 'db01', address: '10.0.0.51', privateAddress: '172.16.1.51', roles: ['db', 'cache']},
    ],
  })
  const cluster = clusterHosts(config)
  return {config, host: cluster.at(-1) as StepContext['host'], cluster, facts, secrets: new Map(), artifacts: new Map()}
}

const nothing: DbFirewallFacts = {
  firewalldActive: false,
  missingPackages: ['nftables'],
  rulesSha256: undefined,
  unitSha256: undefined,
  enabled: false,
  active: false,
  tableLoaded: false,
  richRules: [],
}

function loaded(ctx: StepContext): DbFirewallFacts {
  const want = dbFirewallInputs(ctx)
  return {
    ...nothing,
    missingPackages: [],
    rulesSha256: sha256Of(want.rules),
    unitSha256: sha256Of(want.unit),
    enabled: true,
    active: true,
    tableLoaded: true,
  }
}

describe('db-firewall', () => {
  it('runs on db and cache hosts before MariaDB and memcached, whose checks connect from each web host', async () => {
    const {mariadb} = await import('../../src/steps/mariadb.js')
    const {memcached} = await import('../../src/steps/memcached.js')
    expect(dbFirewall.roles).toEqual(['db', 'cache'])
    expect(dbFirewall.after).toEqual([])
    expect(mariadb.after).toEqual(['db-firewall'])
    expect(memcached.after).toEqual(['db-firewall'])
  })

  it('Debian 12: installs nft, writes rules checked by `nft -c`, a boot unit, and starts it', () => {
    const ctx = ctxFor(FACTS.debian12)
    const want = dbFirewallInputs(ctx)
    expect(want.rule).toEqual({sources: ['172.16.1.7', '172.16.1.8'], memcachedPort: 11211, mysqlPort: 3306})
    const plan = planDbFirewall(nothing, want)
    expect(
      plan.actions.map((a) => ({
        ...a,
        ...('content' in a ? {content: '…'} : {}),
        ...('command' in a && a.kind === 'run' && a.description.startsWith('install') ? {command: '…'} : {}),
      })),
    ).toEqual([
      {kind: 'run', description: 'install nftables', command: '…'},
      {kind: 'write-file', path: NFT_RULES_PATH, content: '…', mode: 0o644, validate: 'nft -c -f {}'},
      {kind: 'write-file', path: NFT_UNIT_PATH, content: '…', mode: 0o644},
      {kind: 'run', description: 'reload systemd units', command: 'systemctl daemon-reload'},
      {kind: 'service', service: 'lnmp-deploy-firewall', op: 'enable-now', ready: {command: 'nft list table inet lnmp_deploy'}},
    ])
    expect(want.rules).toContain('elements = { 172.16.1.7, 172.16.1.8 }')
    expect(want.unit).toContain(`ExecStart=/usr/sbin/nft -f ${NFT_RULES_PATH}`)
    // Debian 13: the same nftables package, paths and unit, so the same plan
    const trixie = ctxFor(FACTS.debian13)
    expect(planDbFirewall(nothing, dbFirewallInputs(trixie))).toEqual(plan)
  })

  it('Ubuntu 24.04 in place: nothing to do; a web host added: new rules loaded in one nft transaction', () => {
    const ctx = ctxFor(FACTS.ubuntu2404)
    expect(planDbFirewall(loaded(ctx), dbFirewallInputs(ctx))).toEqual({
      actions: [],
      reason: 'nftables: only 172.16.1.7, 172.16.1.8 may reach 11211, 3306',
    })
    const grown = ctxFor(FACTS.ubuntu2404, ['172.16.1.7', '172.16.1.8', '172.16.1.9'])
    const plan = planDbFirewall(loaded(ctx), dbFirewallInputs(grown))
    expect(plan.actions.map((a) => (a.kind === 'run' ? a.command : a.kind))).toEqual(['write-file', `nft -f ${NFT_RULES_PATH}`])
  })

  it('a flushed ruleset (table gone, unit still active) is loaded again', () => {
    const ctx = ctxFor(FACTS.debian12)
    const plan = planDbFirewall({...loaded(ctx), tableLoaded: false}, dbFirewallInputs(ctx))
    expect(plan.actions).toEqual([
      {kind: 'run', description: `load ${NFT_RULES_PATH} (table inet lnmp_deploy)`, command: `nft -f ${NFT_RULES_PATH}`},
    ])
  })

  it('Rocky 9 with firewalld: rich rules added for what is missing, ours for departed hosts removed, then reload', () => {
    const ctx = ctxFor(FACTS.rocky9)
    const want = dbFirewallInputs(ctx)
    const departed = firewalldRichRules({sources: ['172.16.1.9'], memcachedPort: 11211, mysqlPort: 3306})
    const someoneElses = 'rule family="ipv4" source address="10.9.9.9" service name="http" accept'
    const present = [...want.richRules.slice(0, 3), ...departed, someoneElses]
    const plan = planDbFirewall({...nothing, firewalldActive: true, richRules: present}, want)
    expect(plan.actions.map((a) => (a.kind === 'run' ? a.command : a.kind))).toEqual([
      `firewall-cmd --permanent '--remove-rich-rule=rule family="ipv4" source address="172.16.1.9" port port="11211" protocol="tcp" accept'`,
      `firewall-cmd --permanent '--remove-rich-rule=rule family="ipv4" source address="172.16.1.9" port port="3306" protocol="tcp" accept'`,
      `firewall-cmd --permanent '--add-rich-rule=rule family="ipv4" source address="172.16.1.8" port port="3306" protocol="tcp" accept'`,
      'firewall-cmd --reload',
    ])
    expect(planDbFirewall({...nothing, firewalldActive: true, richRules: [...want.richRules, someoneElses]}, want)).toEqual({
      actions: [],
      reason: 'firewalld: only 172.16.1.7, 172.16.1.8 may reach 11211, 3306',
    })
  })

  it('Rocky 9 without firewalld uses nftables; CentOS 7 without firewalld is refused, with it uses rich rules', () => {
    const rocky = ctxFor(FACTS.rocky9)
    expect(planDbFirewall(nothing, dbFirewallInputs(rocky)).actions[0]).toEqual({
      kind: 'run',
      description: 'install nftables',
      command: 'dnf install -y nftables',
    })
    const centos = ctxFor(FACTS.centos7)
    expect(() => planDbFirewall(nothing, dbFirewallInputs(centos))).toThrow(DeployError)
    expect(planDbFirewall({...nothing, firewalldActive: true}, dbFirewallInputs(centos)).actions).toHaveLength(5)
  })

  it('never filters SSH: no rule names it', () => {
    const want = dbFirewallInputs(ctxFor(FACTS.debian12))
    const rules = want.rules.split('\n').filter((l) => !l.startsWith('#'))
    expect(`${rules.join('\n')}\n${want.richRules.join('\n')}`).not.toMatch(/\b22\b|ssh/i)
  })
})
