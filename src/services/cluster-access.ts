import {isAbsolute, resolve} from 'node:path'

import {clusterHosts, selectHosts} from '../config/hosts.js'
import {loadConfig, type LoadedConfig} from '../config/load.js'
import {resolveSecrets} from '../config/secrets.js'
import type {ClusterHost, StepContext} from '../engine/step.js'
import {probeFacts} from '../platform/detect.js'
import type {HostFacts} from '../platform/facts.js'
import {withGeneratedSecrets} from '../secrets/store.js'
import {Connections, type ConnectionsOptions} from '../ssh/connections.js'
import type {Remote} from '../ssh/remote.js'

/** relative to the config file, beside the run logs and generated secrets */
export const DEFAULT_PACKAGE_CACHE = '.lnmp-deploy/packages'

export interface ClusterAccessOptions {
  configPath: string
  acceptNewHostKeys?: boolean
}

/**
 * Everything a command needs to act on the cluster: the loaded config, its secrets, one SSH connection per
 * host (opened on first use) and each host's facts (probed once). Commands open one, hand it to a service,
 * and close it.
 */
export class ClusterAccess {
  private readonly facts = new Map<string, Promise<HostFacts>>()

  private constructor(
    readonly loaded: LoadedConfig,
    readonly secrets: ReadonlyMap<string, string>,
    private readonly connections: Connections,
    private readonly connectionOptions: ConnectionsOptions,
  ) {}

  static async open(options: ClusterAccessOptions): Promise<ClusterAccess> {
    const loaded = await loadConfig(options.configPath)
    // the config's secrets plus the ones lnmp-deploy generated for what it leaves out (database passwords,
    // phpMyAdmin's blowfish_secret): one map, so every redaction covers both
    const secrets = await withGeneratedSecrets(loaded.dir, await resolveSecrets(loaded))
    const connectionOptions: ConnectionsOptions = {
      acceptNewHostKeys: options.acceptNewHostKeys ?? false,
      sudoPassword: secrets.get('ssh.sudoPassword'),
    }
    return new ClusterAccess(loaded, secrets, new Connections(loaded.config, loaded.dir, connectionOptions), connectionOptions)
  }

  get config() {
    return this.loaded.config
  }

  get hosts(): ClusterHost[] {
    return clusterHosts(this.config)
  }

  /** The hosts named, or all when none are; an unknown name is a config error naming it. */
  select(names: readonly string[] | undefined): ClusterHost[] {
    return names && names.length > 0 ? selectHosts(this.config, names) : this.hosts
  }

  remoteOf = (name: string): Promise<Remote> => this.connections.get(name)

  /**
   * A host the config no longer lists (retire), reached with the config's SSH settings and its known_hosts:
   * the host key recorded when it was a member must still match. The caller closes it.
   */
  async remoteOutside(name: string, address: string): Promise<{remote: Remote; close(): Promise<void>}> {
    const config = {...this.config, hosts: [...this.config.hosts, {name, address, roles: ['web' as const]}]}
    const connections = new Connections(config, this.loaded.dir, this.connectionOptions)
    try {
      return {remote: await connections.get(name), close: () => connections.closeAll()}
    } catch (error) {
      await connections.closeAll()
      throw error
    }
  }

  factsOf(name: string): Promise<HostFacts> {
    let facts = this.facts.get(name)
    if (!facts) {
      facts = this.remoteOf(name).then((remote) => probeFacts(remote))
      this.facts.set(name, facts)
    }
    return facts
  }

  contextFor = async (host: ClusterHost): Promise<StepContext> => ({
    config: this.config,
    host,
    cluster: this.hosts,
    facts: await this.factsOf(host.name),
    secrets: this.secrets,
    artifacts: this.localArtifacts(),
    ...(this.config.artifactCache === undefined ? {} : {sourceCache: resolve(this.loaded.dir, this.config.artifactCache)}),
    ...(this.config.build.once ? {packages: await this.packagesFor(host)} : {}),
  })

  /** The package cache, and the builder's facts for a host that ships from it (none when it cannot be reached). */
  private async packagesFor(host: ClusterHost): Promise<NonNullable<StepContext['packages']>> {
    const cacheDir = resolve(this.loaded.dir, this.config.packageCache ?? DEFAULT_PACKAGE_CACHE)
    if (host.builder === undefined || host.builder === host.name) return {cacheDir}
    const facts = await this.factsOf(host.builder).catch(() => undefined)
    return facts ? {cacheDir, builder: {name: host.builder, facts}} : {cacheDir}
  }

  /** Artifacts the controller uploads: config entries with a local file, resolved against the config's directory. */
  private localArtifacts(): StepContext['artifacts'] {
    const map = new Map<string, {localPath: string; sha256: string; fileName: string}>()
    for (const [name, artifact] of Object.entries(this.config.artifacts)) {
      if (!artifact?.file) continue
      const localPath = isAbsolute(artifact.file) ? artifact.file : resolve(this.loaded.dir, artifact.file)
      map.set(name, {localPath, sha256: artifact.sha256, fileName: localPath.split('/').pop() ?? name})
    }
    return map
  }

  secretValues(): string[] {
    return [...this.secrets.values()].filter((v) => v.length > 0)
  }

  async close(): Promise<void> {
    await this.connections.closeAll()
  }
}
