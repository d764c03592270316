import {homedir} from 'node:os'
import {join, resolve} from 'node:path'

import type {Config} from '../config/schema.js'
import {SshRemote} from './connection.js'
import type {Remote} from './remote.js'
import {defaultSshConfigPath, readSshConfig} from './ssh-config.js'
import {resolveTarget} from './targets.js'

export interface ConnectionsOptions {
  acceptNewHostKeys?: boolean
  /** resolved value of ssh.sudoPassword, never the reference */
  sudoPassword?: string | undefined
  /** for tests: another ~/.ssh/config and ~/.ssh/known_hosts */
  sshConfigPath?: string
  userKnownHostsPath?: string
}

/** One SSH connection per configured host, opened when first asked for and shared by every step. */
export class Connections {
  private readonly remotes = new Map<string, Promise<SshRemote>>()

  constructor(
    private readonly config: Config,
    /** the directory of lnmp-deploy.yml: relative paths in it are relative to this */
    private readonly configDir: string,
    private readonly options: ConnectionsOptions = {},
  ) {}

  get knownHostsPath(): string {
    return resolve(this.configDir, this.config.ssh.knownHosts)
  }

  /** Connected (host key verified, logged in) remote for a configured host. */
  get(hostName: string): Promise<Remote> {
    let remote = this.remotes.get(hostName)
    if (!remote) {
      remote = this.open(hostName)
      this.remotes.set(hostName, remote)
      // a failure is not cached: a later get may try again (e.g. after the user fixed known_hosts)
      remote.catch(() => {
        if (this.remotes.get(hostName) === remote) this.remotes.delete(hostName)
      })
    }
    return remote
  }

  async closeAll(): Promise<void> {
    const all = [...this.remotes.values()]
    this.remotes.clear()
    await Promise.all(all.map(async (r) => (await r.catch(() => undefined))?.close()))
  }

  private async open(hostName: string): Promise<SshRemote> {
    const sshConfigPath = this.options.sshConfigPath ?? defaultSshConfigPath()
    const target = await resolveTarget(this.config, this.configDir, hostName, (alias) => readSshConfig(alias, sshConfigPath))
    const userKnownHosts = this.config.ssh.userKnownHosts
      ? (this.options.userKnownHostsPath ?? join(homedir(), '.ssh', 'known_hosts'))
      : undefined
    const remote = new SshRemote(target, {
      projectKnownHosts: this.knownHostsPath,
      ...(userKnownHosts ? {userKnownHosts} : {}),
      acceptNewHostKeys: this.options.acceptNewHostKeys === true,
      connectTimeoutMs: this.config.ssh.connectTimeoutSeconds * 1000,
      keepaliveMs: this.config.ssh.keepaliveSeconds * 1000,
      ...(this.options.sudoPassword === undefined ? {} : {sudoPassword: this.options.sudoPassword}),
    })
    await remote.connect()
    return remote
  }
}
