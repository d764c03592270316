import {existsSync} from 'node:fs'
import {chmod, mkdir, readFile, readdir, rename, rm, writeFile} from 'node:fs/promises'
import path from 'node:path'

import {LabError} from '../errors.js'
import {run, tryRun} from './exec.js'
import {basePath, legacyBasePath, type LabPaths} from './paths.js'
import {hostAptSources, type LabRelease} from './release.js'
import {APT_PROXY_PORT} from './topology.js'

/**
 * The Debian root every host's overlay sits on, one per release. debootstrap takes minutes, so a base is
 * built once and kept in the lab dir; what the lab changes in it is versioned, so a changed customisation is
 * re-applied to the existing base instead of rebuilding it.
 */

export const MIRROR = 'http://deb.debian.org/debian'
export const BASE_PACKAGES = [
  'systemd',
  'systemd-sysv',
  'dbus',
  'libpam-systemd',
  'openssh-server',
  'iproute2',
  'iputils-ping',
  'procps',
  'sudo',
  'ca-certificates',
  'less',
  'netcat-openbsd',
  'python3',
  'curl',
  'xz-utils',
]
/** Bump when customizeBase changes what it writes. */
export const BASE_VERSION = '1'
const VERSION_FILE = '.lnmp-lab-base-version'

// timers and units that would race the deployment for the dpkg lock, or mean nothing in a container
const MASKED_UNITS = [
  'apt-daily.timer',
  'apt-daily-upgrade.timer',
  'e2scrub_all.timer',
  'e2scrub_reap.service',
  'fstrim.timer',
  'systemd-pstore.service',
  'man-db.timer',
  'dpkg-db-backup.timer',
]

export function baseBuilt(root: string): boolean {
  return existsSync(path.join(root, 'usr/bin/apt-get'))
}

export async function baseVersion(root: string): Promise<string | undefined> {
  return (await readFile(path.join(root, VERSION_FILE), 'utf8').catch(() => '')).trim() || undefined
}

/** A lab from before releases were a choice kept its bookworm base at <dir>/base: it moves, not rebuilt. */
async function adoptLegacyBase(paths: LabPaths, release: LabRelease, log: (m: string) => void): Promise<void> {
  const legacy = legacyBasePath(paths)
  if (release !== 'bookworm' || !baseBuilt(legacy) || existsSync(basePath(paths, release))) return
  await mkdir(paths.bases, {recursive: true})
  await rename(legacy, basePath(paths, release))
  log(`moved the bookworm base to ${basePath(paths, release)}`)
}

export async function buildBase(paths: LabPaths, release: LabRelease, log: (m: string) => void): Promise<void> {
  const root = basePath(paths, release)
  if (baseBuilt(root)) return
  const tmp = `${root}.tmp`
  await rm(tmp, {recursive: true, force: true})
  await mkdir(paths.bases, {recursive: true})
  log(`debootstrap ${release} into ${root} (once; about 2 minutes)`)
  const started = Date.now()
  // through the lab's apt proxy, so a rebuilt base comes from its cache
  await run(
    `debootstrap of the lab's ${release} base`,
    'debootstrap',
    ['--variant=minbase', `--include=${BASE_PACKAGES.join(',')}`, release, tmp, MIRROR],
    {
      env: {http_proxy: `http://127.0.0.1:${APT_PROXY_PORT}`},
    },
  )
  await rename(tmp, root)
  log(`${release} base built in ${Math.round((Date.now() - started) / 1000)} s`)
}

export async function customizeBase(paths: LabPaths, release: LabRelease, log: (m: string) => void): Promise<void> {
  const root = basePath(paths, release)
  if ((await baseVersion(root)) === BASE_VERSION) return
  log(`customising the ${release} base (version ${BASE_VERSION})`)
  const b = (p: string): string => path.join(root, p)
  const chroot = (what: string, args: string[]) => run(`${what} in the lab's ${release} base`, 'chroot', [root, ...args])
  await writeFile(b('etc/apt/sources.list'), hostAptSources(release, MIRROR))
  // the mirror may be a frozen snapshot (as on the controller); translations are noise on a server
  await writeFile(b('etc/apt/apt.conf.d/90lab'), 'Acquire::Check-Valid-Until "false";\nAcquire::Languages "none";\n')
  // identity is per host: each delta gets its own host keys, machine-id and hostname
  for (const f of await readdir(b('etc/ssh'))) if (f.startsWith('ssh_host_')) await rm(b(`etc/ssh/${f}`))
  await writeFile(b('etc/machine-id'), '')
  await writeFile(b('etc/hostname'), 'localhost\n')
  await writeFile(b('etc/resolv.conf'), '# lnmp-deploy lab: no DNS on the lab network; lab names are in /etc/hosts\n')
  await mkdir(b('root/.ssh'), {recursive: true, mode: 0o700})
  await writeFile(b('etc/ssh/sshd_config.d/lab.conf'), 'UseDNS no\nPermitRootLogin prohibit-password\nPasswordAuthentication no\n')
  if ((await tryRun('chroot', [root, 'id', 'deploy'])).code !== 0) {
    await chroot('adding the deploy user', ['useradd', '-m', '-u', '1000', '-s', '/bin/bash', '-G', 'sudo', 'deploy'])
  }
  await writeFile(b('etc/sudoers.d/deploy'), 'deploy ALL=(ALL) NOPASSWD:ALL\n')
  await chmod(b('etc/sudoers.d/deploy'), 0o440)
  for (const unit of MASKED_UNITS) await tryRun('chroot', [root, 'systemctl', 'mask', unit])
  // services start on install, as on a real server
  await rm(b('usr/sbin/policy-rc.d'), {force: true})
  await chroot('apt-get clean', ['apt-get', 'clean'])
  // a fresh server has no package lists: deployments run apt-get update first, as they must on real hosts
  await rm(b('var/lib/apt/lists'), {recursive: true, force: true})
  await mkdir(b('var/lib/apt/lists/partial'), {recursive: true})
  await writeFile(b(VERSION_FILE), `${BASE_VERSION}\n`)
}

export async function ensureBase(
  paths: LabPaths,
  release: LabRelease,
  options: {hostsRunning: boolean; log: (m: string) => void},
): Promise<void> {
  if (!options.hostsRunning) await adoptLegacyBase(paths, release, options.log)
  await buildBase(paths, release, options.log)
  if ((await baseVersion(basePath(paths, release))) !== BASE_VERSION && options.hostsRunning) {
    throw new LabError('the lab base needs its customisation re-applied but hosts are running on it', {
      hint: 'run `lnmp-deploy lab down` first, then `lab up`',
    })
  }
  await customizeBase(paths, release, options.log)
}
