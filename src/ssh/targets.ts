import {homedir} from 'node:os'
import {isAbsolute, join, resolve} from 'node:path'

import type {Config, HostConfig} from '../config/schema.js'
import {ConfigError} from '../errors.js'
import type {SshTarget} from './connect.js'
import type {SshConfigHost} from './ssh-config.js'

/**
 * From a config host to everything needed to reach it. Precedence per value: the host's own entry in
 * lnmp-deploy.yml, then ssh.* in lnmp-deploy.yml when set to something other than its default, then
 * ~/.ssh/config for the host's address, then the defaults (root, 22, ssh's default keys).
 */

const DEFAULT_USER = 'root'
const DEFAULT_PORT = 22

export type SshConfigLookup = (alias: string) => Promise<SshConfigHost>

export function resolveLocalPath(path: string, baseDir: string, home = homedir()): string {
  const expanded = path === '~' ? home : path.startsWith('~/') ? join(home, path.slice(2)) : path
  return isAbsolute(expanded) ? expanded : resolve(baseDir, expanded)
}

/** `user@host:port`, each part optional but the host. */
export function parseJumpSpec(spec: string): {user?: string; host: string; port?: number} {
  const match = /^(?:([a-z_][a-z0-9_-]*)@)?([A-Za-z0-9.-]+|\[[0-9a-fA-F:.]+\])(?::(\d+))?$/.exec(spec)
  if (!match) throw new ConfigError(`jump host ${JSON.stringify(spec)} must be user@host:port or the name of a configured host`)
  // biome-ignore lint/style/noNonNullAssertion: group 2 is not optional in the regex
  const out: {user?: string; host: string; port?: number} = {host: match[2]!.replace(/^\[|\]$/g, '')}
  if (match[1]) out.user = match[1]
  if (match[3]) out.port = Number(match[3])
  return out
}

export async function resolveTarget(
  config: Config,
  configDir: string,
  hostName: string,
  lookup: SshConfigLookup,
  seen: string[] = [],
): Promise<SshTarget> {
  const host = config.hosts.find((h) => h.name === hostName)
  if (!host) throw new ConfigError(`no host named ${hostName} in the config`)
  if (seen.includes(hostName)) throw new ConfigError(`jump hosts loop: ${[...seen, hostName].join(' -> ')}`)
  const fromSsh = config.ssh.useSshConfig ? await lookup(host.address) : {identityFiles: []}
  const target = baseTarget(config, configDir, host.name, host.address, host, fromSsh)
  const jump = host.jump ?? fromSsh.proxyJump
  if (jump) target.jump = await resolveJumpChain(config, configDir, jump, lookup, [...seen, hostName])
  return target
}

function baseTarget(
  config: Config,
  configDir: string,
  name: string,
  alias: string,
  own: Pick<HostConfig, 'port' | 'user' | 'identityFile'>,
  fromSsh: SshConfigHost,
): SshTarget {
  const sshUser = config.ssh.user === DEFAULT_USER ? undefined : config.ssh.user
  const sshPort = config.ssh.port === DEFAULT_PORT ? undefined : config.ssh.port
  const target: SshTarget = {
    name,
    address: fromSsh.hostName ?? alias,
    port: own.port ?? sshPort ?? fromSsh.port ?? DEFAULT_PORT,
    user: own.user ?? sshUser ?? fromSsh.user ?? DEFAULT_USER,
    identityFiles: [],
  }
  const explicit = own.identityFile ?? config.ssh.identityFile
  if (explicit) {
    target.identityFiles = [resolveLocalPath(explicit, configDir)]
    target.identityExplicit = true
  } else {
    target.identityFiles = fromSsh.identityFiles
  }
  return target
}

/** ProxyJump `a,b`: reach a, through it b, through b the host. */
async function resolveJumpChain(
  config: Config,
  configDir: string,
  spec: string,
  lookup: SshConfigLookup,
  seen: string[],
): Promise<SshTarget> {
  let previous: SshTarget | undefined
  for (const hop of spec
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    let target: SshTarget
    if (config.hosts.some((h) => h.name === hop)) {
      target = await resolveTarget(config, configDir, hop, lookup, seen)
    } else {
      const parsed = parseJumpSpec(hop)
      const fromSsh = config.ssh.useSshConfig ? await lookup(parsed.host) : {identityFiles: []}
      const own: Pick<HostConfig, 'port' | 'user'> = {}
      if (parsed.port !== undefined) own.port = parsed.port
      if (parsed.user !== undefined) own.user = parsed.user
      target = baseTarget(config, configDir, hop, parsed.host, own, fromSsh)
    }
    if (previous) target.jump = previous
    previous = target
  }
  if (!previous) throw new ConfigError(`empty jump host specification ${JSON.stringify(spec)}`)
  return previous
}
