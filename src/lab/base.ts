import {existsSync} from 'node:fs'
import {chmod, mkdir, readFile, readdir, rename, rm, writeFile} from 'node:fs/promises'
import path from 'node:path'

import {LabError} from '../errors.js'
import {run, tryRun} from './exec.js'
import type {LabPaths} from './paths.js'
import {APT_PROXY_PORT} from './topology.js'

/**
 * The one Debian 12 root every host's overlay sits on. debootstrap takes minutes, so the base is built once
 * and kept in the lab dir; what the lab changes in it is versioned, so a changed customisation is re-applied
 * to the existing base instead of rebuilding it.
 */

export const BASE_SUITE = 'bookworm'
export const MIRROR = 'http://deb.debian.org/debian'
export const BASE_PACKAGES = [
  'systemd', 'systemd-sysv', 'dbus', 'libpam-systemd', 'openssh-server', 'iproute2', 'iputils-ping', 'procps',
  'sudo', 'ca-certificates', 'less', 'netcat-openbsd', 'python3', 'curl', 'xz-utils',
]
/** Bump when customizeBase changes what it writes. */
export const BASE_VERSION = '1'
const VERSION_FILE = '.lnmp-lab-base-version'

// timers and units that would race the deployment for the dpkg lock, or mean nothing in a container
const MASKED_UNITS = [
  'apt-daily.timer', 'apt-daily-upgrade.timer', 'e2scrub_all.timer', 'e2scrub_reap.service', 'fstrim.timer',
  'systemd-pstore.service', 'man-db.timer', 'dpkg-db-backup.timer',
]

export function baseBuilt(paths: LabPaths): boolean {
  return existsSync(path.join(paths.base, 'usr/bin/apt-get'))
}

export async function baseVersion(paths: LabPaths): Promise<string | undefined> {
  return (await readFile(path.join(paths.base, VERSION_FILE), 'utf8').catch(() => '')).trim() || undefined
}

export async function buildBase(paths: LabPaths, log: (m: string) => void): Promise<void> {
  if (baseBuilt(paths)) return
  const tmp = `${paths.base}.tmp`
  await rm(tmp, {recursive: true, force: true})
  await mkdir(path.dirname(paths.base), {recursive: true})
  log(`debootstrap ${BASE_SUITE} into ${paths.base} (once; about 2 minutes)`)
  const started = Date.now()
  // through the lab's apt proxy, so a rebuilt base comes from its cache
  await run('debootstrap of the lab base', 'debootstrap', ['--variant=minbase', `--include=${BASE_PACKAGES.join(',')}`, BASE_SUITE, tmp, MIRROR], {
    env: {http_proxy: `http://127.0.0.1:${APT_PROXY_PORT}`},
  })
  await rename(tmp, paths.base)
  log(`base built in ${Math.round((Date.now() - started) / 1000)} s`)
}

async function chroot(paths: LabPaths, what: string, args: string[]): Promise<void> {
  await run(`${what} in the lab base`, 'chroot', [paths.base, ...args])
}

export async function customizeBase(paths: LabPaths, log: (m: string) => void): Promise<void> {
  if ((await baseVersion(paths)) === BASE_VERSION) return
  log(`customising the base (version ${BASE_VERSION})`)
  const b = (p: string): string => path.join(paths.base, p)
  await writeFile(
    b('etc/apt/sources.list'),
    [
      `deb ${MIRROR} bookworm main`,
      `deb ${MIRROR} bookworm-updates main`,
      'deb http://deb.debian.org/debian-security bookworm-security main',
      '',
    ].join('\n'),
  )
  // the mirror may be a frozen snapshot (as on the controller); translations are noise on a server
  await writeFile(b('etc/apt/apt.conf.d/90lab'), 'Acquire::Check-Valid-Until "false";\nAcquire::Languages "none";\n')
  // identity is per host: each delta gets its own host keys, machine-id and hostname
  for (const f of await readdir(b('etc/ssh'))) if (f.startsWith('ssh_host_')) await rm(b(`etc/ssh/${f}`))
  await writeFile(b('etc/machine-id'), '')
  await writeFile(b('etc/hostname'), 'localhost\n')
  await writeFile(b('etc/resolv.conf'), '# lnmp-deploy lab: no DNS on the lab network; lab names are in /etc/hosts\n')
  await mkdir(b('root/.ssh'), {recursive: true, mode: 0o700})
  await writeFile(b('etc/ssh/sshd_config.d/lab.conf'), 'UseDNS no\nPermitRootLogin prohibit-password\nPasswordAuthentication no\n')
  if ((await tryRun('chroot', [paths.base, 'id', 'deploy'])).code !== 0) {
    await chroot(paths, 'adding the deploy user', ['useradd', '-m', '-u', '1000', '-s', '/bin/bash', '-G', 'sudo', 'deploy'])
  }
  await writeFile(b('etc/sudoers.d/deploy'), 'deploy ALL=(ALL) NOPASSWD:ALL\n')
  await chmod(b('etc/sudoers.d/deploy'), 0o440)
  for (const unit of MASKED_UNITS) await tryRun('chroot', [paths.base, 'systemctl', 'mask', unit])
  // services start on install, as on a real server
  await rm(b('usr/sbin/policy-rc.d'), {force: true})
  await chroot(paths, 'apt-get clean', ['apt-get', 'clean'])
  // a fresh server has no package lists: deployments run apt-get update first, as they must on real hosts
  await rm(b('var/lib/apt/lists'), {recursive: true, force: true})
  await mkdir(b('var/lib/apt/lists/partial'), {recursive: true})
  await writeFile(b(VERSION_FILE), `${BASE_VERSION}\n`)
}

export async function ensureBase(paths: LabPaths, options: {hostsRunning: boolean; log: (m: string) => void}): Promise<void> {
  await buildBase(paths, options.log)
  if ((await baseVersion(paths)) !== BASE_VERSION && options.hostsRunning) {
    throw new LabError('the lab base needs its customisation re-applied but hosts are running on it', {
      hint: 'run `lnmp-deploy lab down` first, then `lab up`',
    })
  }
  await customizeBase(paths, options.log)
}
