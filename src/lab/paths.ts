import path from 'node:path'

import type {LabRelease} from './release.js'

/**
 * Where the lab keeps its state on the controller. Outside the repo and outside /tmp, so the base (minutes to
 * build) and the artifacts survive reboots and fresh checkouts. LNMP_LAB_DIR moves all of it.
 */
export interface LabPaths {
  dir: string
  /** one debootstrapped root per release: bases/<release> */
  bases: string
  /** the release and login the hosts were made with (state.ts) */
  state: string
  lxc: string
  key: string
  publicKey: string
  knownHosts: string
  sshConfig: string
  config: string
  acngDir: string
  acngCache: string
  artifacts: string
  /** verified source tarballs by their file name: the lab config's artifactCache */
  sources: string
  /** the web hosts' shared compiler cache */
  ccache: string
  lock: string
}

export function labPaths(env: NodeJS.ProcessEnv = process.env): LabPaths {
  const dir = path.resolve(env.LNMP_LAB_DIR ?? '/var/tmp/lnmp-lab')
  return {
    dir,
    bases: path.join(dir, 'bases'),
    state: path.join(dir, 'lab.json'),
    lxc: path.join(dir, 'lxc'),
    key: path.join(dir, 'id_ed25519'),
    publicKey: path.join(dir, 'id_ed25519.pub'),
    knownHosts: path.join(dir, 'known_hosts'),
    sshConfig: path.join(dir, 'ssh_config'),
    config: path.join(dir, 'lnmp-deploy.yml'),
    acngDir: path.join(dir, 'apt-proxy'),
    acngCache: path.join(dir, 'apt-proxy', 'cache'),
    artifacts: path.join(dir, 'artifacts'),
    sources: path.join(dir, 'artifacts', 'sources'),
    ccache: path.join(dir, 'ccache'),
    lock: path.join(dir, '.lock'),
  }
}

/** The read-only root every host of a release sits on. */
export function basePath(paths: Pick<LabPaths, 'bases'>, release: LabRelease): string {
  return path.join(paths.bases, release)
}

/** Where a lab made before there was a choice of release kept its (bookworm) base. */
export function legacyBasePath(paths: Pick<LabPaths, 'dir'>): string {
  return path.join(paths.dir, 'base')
}

/** The overlay upper dir of a host: everything that makes it differ from the base. */
export function hostDir(paths: Pick<LabPaths, 'lxc'>, name: string): string {
  return path.join(paths.lxc, name)
}

export function deltaDir(paths: Pick<LabPaths, 'lxc'>, name: string): string {
  return path.join(paths.lxc, name, 'delta0')
}
