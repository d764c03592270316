import {randomBytes} from 'node:crypto'
import {readFileSync} from 'node:fs'

import {hostsWithRole} from '../config/hosts.js'
import {sha256Of} from '../hash.js'
import {ask} from '../engine/probe-query.js'
import type {Action, CheckResult, ProbeQuery, Step, StepContext, StepPlan} from '../engine/step.js'
import {type PackagedServiceFacts, packagedServiceCommand, parsePackagedService} from '../platform/packaged-service.js'
import {memcachedConfigPath, renderMemcachedConfig} from '../platform/memcached.js'
import {installCommand, packagesFor} from '../platform/packages.js'
import {serviceName} from '../platform/services.js'
import {cmd} from '../ssh/shell.js'
import {templatePath} from '../templates.js'
import {check} from './support/checks.js'

/**
 * The procedure's memcache server milestones on db01: install memcached, start and enable it, check that it
 * listens. Unlike the seed's CentOS default (every address, UDP on), it binds only to the host's private
 * address with UDP off: the web hosts are its only clients.
 */
export interface MemcachedInputs {
  packages: string[]
  installCommand: string
  configPath: string
  config: string
  service: string
  listen: string
  port: number
}

export type MemcachedFacts = PackagedServiceFacts

export function memcachedInputs(ctx: StepContext): MemcachedInputs {
  const {memcached} = ctx.config
  const listen = memcached.listenAll ? '0.0.0.0' : ctx.host.privateAddress
  const packages = packagesFor(['memcached'], ctx.facts)
  return {
    packages,
    installCommand: installCommand(packages, ctx.facts),
    configPath: memcachedConfigPath(ctx.facts),
    config: renderMemcachedConfig({listen, port: memcached.port, memoryMb: memcached.memoryMb}, ctx.facts),
    service: serviceName('memcached', ctx.facts),
    listen,
    port: memcached.port,
  }
}

export function planMemcached(facts: MemcachedFacts, want: MemcachedInputs): StepPlan {
  const actions: Action[] = []
  const ready = {tcp: {host: want.listen === '0.0.0.0' ? '127.0.0.1' : want.listen, port: want.port}}
  const installing = facts.missingPackages.length > 0
  if (installing) actions.push({kind: 'run', description: `install ${facts.missingPackages.join(' ')}`, command: want.installCommand})
  const configChanged = facts.configSha256 !== sha256Of(want.config)
  if (configChanged) actions.push({kind: 'write-file', path: want.configPath, content: want.config, mode: 0o644})
  // a package install starts memcached with the distribution's config: it must be restarted to take ours
  const needsRestart = configChanged || installing
  if (needsRestart) {
    actions.push({kind: 'service', service: want.service, op: 'restart', ready})
    if (!facts.enabled) actions.push({kind: 'service', service: want.service, op: 'enable-now'})
  } else if (!facts.enabled || !facts.active) {
    actions.push({kind: 'service', service: want.service, op: 'enable-now', ready})
  }
  if (actions.length === 0) return {actions, reason: `memcached installed, configured for ${want.listen}:${want.port}, enabled and running`}
  return {actions}
}

/** One line of the set/get/delete exchange that proves a client can use the store. */
export function judgeSetGet(reply: string, key: string, value: string): {ok: boolean; detail: string} {
  const lines = reply.split('\n').map((l) => l.trim())
  const ok =
    lines.includes('STORED') && lines.includes(`VALUE ${key} 0 ${value.length}`) && lines.includes(value) && lines.includes('DELETED')
  return {ok, detail: ok ? 'set, get and delete answered' : `unexpected reply: ${lines.filter(Boolean).join(' | ') || '(none)'}`}
}

export const memcachedQueries = {
  /** the package, the config file and the service, in one round trip */
  host: {
    command: (want, facts) => packagedServiceCommand(want, facts),
    sudo: true,
    parse: (stdout, want, facts): MemcachedFacts => parsePackagedService(stdout, want, facts),
  },
} satisfies Record<string, ProbeQuery<MemcachedInputs, unknown>>

const SET_GET_SCRIPT = () => readFileSync(templatePath('probes/memcached-set-get.sh'), 'utf8')

export const memcached: Step<MemcachedInputs, MemcachedFacts> = {
  id: 'memcached',
  title: 'Install memcached, bind it to the private address, start and enable it',
  roles: ['cache'],
  // its checks connect from each web host: the firewall lets a new one in first
  after: ['db-firewall'],

  inputs: memcachedInputs,

  probeQueries: memcachedQueries,

  probe: (remote, ctx, want) => ask(remote, memcachedQueries.host, want, ctx.facts),

  plan: planMemcached,

  async verify({remote, remoteOf}, ctx, want) {
    const checks: CheckResult[] = []
    // TCP and UDP (listeningCommand asks for TCP only): UDP must be off
    const ss = cmd('ss', '-Hlntu', 'sport', '=', `:${want.port}`)
    const sockets = (await remote.exec(ss, {sudo: true})).stdout.trim().split('\n').filter(Boolean)
    const tcpOk = sockets.some((s) => s.startsWith('tcp') && s.includes(`${want.listen}:${want.port}`))
    const udp = sockets.filter((s) => s.startsWith('udp'))
    checks.push(
      check(
        'memcached-listening',
        tcpOk && udp.length === 0,
        sockets.length > 0 ? sockets.map((s) => s.replace(/\s+/g, ' ')).join('; ') : 'nothing listens',
        {
          command: ss,
          hint: `memcached should listen on tcp ${want.listen}:${want.port} only (UDP off); see ${want.configPath}`,
        },
      ),
    )

    // the web hosts are the clients: prove each can store and read a value, not just connect
    const clients = hostsWithRole(ctx.cluster, 'web')
    const target = want.listen === '0.0.0.0' ? ctx.host.privateAddress : want.listen
    for (const client of clients.length > 0 ? clients : [ctx.host]) {
      const key = `lnmp-deploy-check-${randomBytes(6).toString('hex')}`
      const value = `from-${client.name}`
      const from = client.name === ctx.host.name ? remote : await remoteOf(client.name)
      const result = await from.exec(cmd('bash', '-s', '--', target, want.port, key, value), {stdin: SET_GET_SCRIPT()})
      const judged = judgeSetGet(result.stdout, key, value)
      checks.push(
        check(`memcached-set-get-from-${client.name}`, judged.ok, judged.detail, {
          command: `memcached set/get/delete ${target}:${want.port} from ${client.name}`,
          hint: `${client.name} cannot use memcached on ${ctx.host.name} (${target}:${want.port}): is it running and bound there, and is the port open to ${client.name}?`,
          output: result.stdout + result.stderr,
        }),
      )
    }
    return checks
  },
}
