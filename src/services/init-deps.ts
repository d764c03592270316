import os from 'node:os'
import path from 'node:path'
import type {Config} from '../config/schema.js'
import {ConfigError} from '../errors.js'
import {probeFacts} from '../platform/detect.js'
import type {SshTarget} from '../ssh/connect.js'
import {SshRemote} from '../ssh/connection.js'
import {recordHostKey, scanHostKey} from '../ssh/host-key-scan.js'
import {keysForHost, readKnownHostsFile} from '../ssh/known-hosts.js'
import {expandSshPath} from '../ssh/ssh-config.js'
import type {InitDeps} from './init.js'

/** The SSH layer as init uses it: the real key scan, known_hosts, and a login to read the host's facts. */
export function realInitDeps(): InitDeps {
  return {
    scanHostKey: (target) => scanHostKey(target),
    recordHostKey: (knownHostsPath, key) => recordHostKey(knownHostsPath, key),
    async recordedKeys(knownHostsPath, address, port) {
      return keysForHost(await readKnownHostsFile(knownHostsPath), address, port).map((e) => e.publicKey)
    },
    async detectHost(config, configPath, hostName) {
      const remote = new SshRemote(initTarget(config, hostName), {
        projectKnownHosts: path.resolve(path.dirname(configPath), config.ssh.knownHosts),
        ...(config.ssh.userKnownHosts ? {userKnownHosts: path.join(os.homedir(), '.ssh', 'known_hosts')} : {}),
        connectTimeoutMs: config.ssh.connectTimeoutSeconds * 1000,
        keepaliveMs: config.ssh.keepaliveSeconds * 1000,
      })
      try {
        return await probeFacts(remote)
      } finally {
        await remote.close()
      }
    },
  }
}

/**
 * The login target straight from the config init just built (no ~/.ssh/config: init wrote every value
 * itself). A jump naming a configured host becomes that host's target.
 */
function initTarget(config: Config, hostName: string, seen: readonly string[] = []): SshTarget {
  const host = config.hosts.find((h) => h.name === hostName)
  if (!host || seen.includes(hostName)) throw new ConfigError(`cannot reach ${hostName}: no such host, or a jump loop`)
  const identity = host.identityFile ?? config.ssh.identityFile
  const target: SshTarget = {
    name: host.name,
    address: host.address,
    port: host.port ?? config.ssh.port,
    user: host.user ?? config.ssh.user,
    identityFiles: identity ? [expandSshPath(identity, os.homedir(), host.address)] : [],
    identityExplicit: identity !== undefined,
  }
  if (host.jump && config.hosts.some((h) => h.name === host.jump)) target.jump = initTarget(config, host.jump, [...seen, hostName])
  return target
}
