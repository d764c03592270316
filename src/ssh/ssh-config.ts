import {readFile} from 'node:fs/promises'
import {homedir} from 'node:os'
import {join} from 'node:path'
import SSHConfig from 'ssh-config'

/**
 * What ~/.ssh/config says about a host alias: the parts of it lnmp-deploy honours. The config file's
 * per-host values win over these; these win over lnmp-deploy.yml's ssh defaults.
 */
export interface SshConfigHost {
  hostName?: string
  user?: string
  port?: number
  /** expanded, in the order ssh would try them */
  identityFiles: string[]
  proxyJump?: string
}

export function defaultSshConfigPath(home = homedir()): string {
  return join(home, '.ssh', 'config')
}

/** `~/x` and ssh's `%d` (home), `%h` (host name) and `%%` tokens. */
export function expandSshPath(path: string, home: string, hostName: string): string {
  const tilde = path === '~' ? home : path.startsWith('~/') ? join(home, path.slice(2)) : path
  return tilde.replace(/%([%dh])/g, (_, t: string) => (t === 'd' ? home : t === 'h' ? hostName : '%'))
}

export function lookupSshConfig(text: string, alias: string, home = homedir()): SshConfigHost {
  const computed = SSHConfig.parse(text).compute(alias)
  const first = (key: string): string | undefined => {
    const value = computed[key]
    return Array.isArray(value) ? value[0] : value
  }
  const hostName = first('HostName')
  const result: SshConfigHost = {identityFiles: []}
  if (hostName) result.hostName = hostName.replace(/%h/g, alias)
  const user = first('User')
  if (user) result.user = user
  const port = first('Port')
  if (port && /^\d+$/.test(port)) result.port = Number(port)
  const files = computed.IdentityFile
  const list = files === undefined ? [] : Array.isArray(files) ? files : [files]
  result.identityFiles = list.map((f) => expandSshPath(f, home, result.hostName ?? alias))
  const jump = first('ProxyJump')
  if (jump && jump.toLowerCase() !== 'none') result.proxyJump = jump
  return result
}

/** A missing ~/.ssh/config says nothing about any host. */
export async function readSshConfig(alias: string, path = defaultSshConfigPath(), home = homedir()): Promise<SshConfigHost> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {identityFiles: []}
    throw error
  }
  return lookupSshConfig(text, alias, home)
}
