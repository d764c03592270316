import path from 'node:path'

/**
 * Where the lab keeps its state on the controller. Outside the repo and outside /tmp, so the base (minutes to
 * build) and the artifacts survive reboots and fresh checkouts. LNMP_LAB_DIR moves all of it.
 */
export interface LabPaths {
  dir: string
  base: string
  lxc: string
  key: string
  publicKey: string
  knownHosts: string
  sshConfig: string
  config: string
  acngDir: string
  acngCache: string
  artifacts: string
  /** the web hosts' shared compiler cache */
  ccache: string
  lock: string
}

export function labPaths(env: NodeJS.ProcessEnv = process.env): LabPaths {
  const dir = path.resolve(env.LNMP_LAB_DIR ?? '/var/tmp/lnmp-lab')
  return {
    dir,
    base: path.join(dir, 'base'),
    lxc: path.join(dir, 'lxc'),
    key: path.join(dir, 'id_ed25519'),
    publicKey: path.join(dir, 'id_ed25519.pub'),
    knownHosts: path.join(dir, 'known_hosts'),
    sshConfig: path.join(dir, 'ssh_config'),
    config: path.join(dir, 'lnmp-deploy.yml'),
    acngDir: path.join(dir, 'apt-proxy'),
    acngCache: path.join(dir, 'apt-proxy', 'cache'),
    artifacts: path.join(dir, 'artifacts'),
    ccache: path.join(dir, 'ccache'),
    lock: path.join(dir, '.lock'),
  }
}

/** The overlay upper dir of a host: everything that makes it differ from the base. */
export function hostDir(paths: Pick<LabPaths, 'lxc'>, name: string): string {
  return path.join(paths.lxc, name)
}

export function deltaDir(paths: Pick<LabPaths, 'lxc'>, name: string): string {
  return path.join(paths.lxc, name, 'delta0')
}
