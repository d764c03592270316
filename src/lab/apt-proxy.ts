import {existsSync} from 'node:fs'
import {mkdir, readFile, rm, writeFile} from 'node:fs/promises'
import net from 'node:net'
import path from 'node:path'

import {LabError} from '../errors.js'
import {run, tryRun} from './exec.js'
import type {LabPaths} from './paths.js'
import {APT_PROXY_PORT, LAB_GATEWAY} from './topology.js'

/**
 * apt-cacher-ng started by the lab with a config of its own: it listens on the bridge and loopback, serves
 * only the Debian mirror (ForceManaged: nothing unmapped is fetched) and caches under the lab dir, so the
 * machine's own apt-cacher-ng setup (if any) is not touched. We start it and stop it by its pid.
 */
export function aptProxyConfig(paths: Pick<LabPaths, 'acngDir' | 'acngCache'>): string {
  return [
    '# lnmp-deploy lab apt-cacher-ng: only deb.debian.org (debian, debian-security); bridge and loopback only',
    `CacheDir: ${paths.acngCache}`,
    `LogDir: ${path.join(paths.acngDir, 'log')}`,
    'SupportDir: /usr/lib/apt-cacher-ng',
    `Port: ${APT_PROXY_PORT}`,
    `BindAddress: ${LAB_GATEWAY} 127.0.0.1`,
    `PidFile: ${pidFile(paths)}`,
    'Remap-debrep: deb.debian.org/debian ; http://deb.debian.org/debian',
    'Remap-secdeb: deb.debian.org/debian-security ; http://deb.debian.org/debian-security',
    'ForceManaged: 1',
    'ExThreshold: 4',
    '',
  ].join('\n')
}

function pidFile(paths: Pick<LabPaths, 'acngDir'>): string {
  return path.join(paths.acngDir, 'log', 'pid')
}

/** The pid of the proxy we started, if it still runs (checked by name, so a recycled pid is not taken for it). */
export async function aptProxyPid(paths: LabPaths): Promise<number | undefined> {
  const raw = await readFile(pidFile(paths), 'utf8').catch(() => '')
  const pid = Number.parseInt(raw.trim(), 10)
  if (!Number.isInteger(pid) || pid <= 0) return undefined
  return (await isAptCacher(pid)) ? pid : undefined
}

export function portOpen(host: string, port: number, timeoutMs = 300): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({host, port})
    const done = (ok: boolean): void => {
      socket.destroy()
      resolve(ok)
    }
    socket.setTimeout(timeoutMs, () => done(false))
    socket.once('connect', () => done(true))
    socket.once('error', () => done(false))
  })
}

export async function ensureAptProxy(paths: LabPaths): Promise<number> {
  const running = await aptProxyPid(paths)
  if (running !== undefined) return running
  if (await portOpen('127.0.0.1', APT_PROXY_PORT)) {
    throw new LabError(`port ${APT_PROXY_PORT} on 127.0.0.1 is taken by something the lab did not start`, {
      hint: 'stop the other apt-cacher-ng (or whatever listens there) before `lab up`',
    })
  }
  const logDir = path.join(paths.acngDir, 'log')
  await mkdir(logDir, {recursive: true})
  await mkdir(paths.acngCache, {recursive: true})
  await writeFile(path.join(paths.acngDir, 'acng.conf'), aptProxyConfig(paths))
  // it drops to its own user; it must own what it writes
  await run('handing the apt proxy dirs to apt-cacher-ng', 'chown', ['-R', 'apt-cacher-ng:', logDir, paths.acngCache])
  await rm(pidFile(paths), {force: true})
  await run(
    'starting apt-cacher-ng',
    'runuser',
    ['-u', 'apt-cacher-ng', '--', '/usr/sbin/apt-cacher-ng', '-c', paths.acngDir, 'ForeGround=0'],
    {
      cwd: '/',
      // the daemon it forks would hold a pipe open forever: its early complaints go to a file instead
      stdout: 'ignore',
      stderr: {file: path.join(logDir, 'start.err')},
    },
  )
  for (let i = 0; i < 100; i++) {
    const pid = await aptProxyPid(paths)
    if (pid !== undefined && (await portOpen(LAB_GATEWAY, APT_PROXY_PORT))) return pid
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new LabError(`apt-cacher-ng did not come up on ${LAB_GATEWAY}:${APT_PROXY_PORT}`, {hint: `see ${logDir}`})
}

async function isAptCacher(pid: number): Promise<boolean> {
  return (await readFile(`/proc/${pid}/comm`, 'utf8').catch(() => '')).trim() === 'apt-cacher-ng'
}

export async function stopAptProxy(paths: LabPaths): Promise<void> {
  const pid = await aptProxyPid(paths)
  if (pid === undefined) return
  process.kill(pid, 'SIGTERM')
  // it removes its pid file at once but takes a moment to exit: watch the process, not the file
  for (let i = 0; i < 50 && (await isAptCacher(pid)); i++) await new Promise((r) => setTimeout(r, 100))
  if (await isAptCacher(pid)) process.kill(pid, 'SIGKILL')
  if (existsSync(pidFile(paths))) await rm(pidFile(paths), {force: true})
}

/** Whether the proxy answers a request for a Debian index (used by status and tests; loopback only). */
export async function aptProxyServesDebian(): Promise<boolean> {
  const r = await tryRun('curl', [
    '-fsS',
    '-o',
    '/dev/null',
    '-m',
    '20',
    '-x',
    `http://127.0.0.1:${APT_PROXY_PORT}`,
    'http://deb.debian.org/debian/dists/bookworm/Release',
  ])
  return r.code === 0
}
