import {existsSync} from 'node:fs'
import {chmod, mkdir, rm} from 'node:fs/promises'

import {LabError} from '../errors.js'
import {aptProxyPid, ensureAptProxy, stopAptProxy} from './apt-proxy.js'
import {ensureBase} from './base.js'
import {writeClientFiles} from './client-files.js'
import {run, tryRun} from './exec.js'
import {ensureInotifyRoom} from './kernel-limits.js'
import {ccacheWords} from './format.js'
import {hostState, madeHostNames, prepareHost, removeHost, startHost, stopHost, waitForMonitorsGone, type LxcState} from './hosts.js'
import {withLabLock} from './lock.js'
import {bridgeExists, ensureBridge, ensureGuard, guardRulesPresent, ipForwardEnabled, removeBridge, removeGuard} from './network.js'
import {labPaths, type LabPaths} from './paths.js'
import type {LabLogin, LabRelease} from './release.js'
import {systemdState, waitForBoot} from './ssh-probe.js'
import {DEFAULT_LAB_STATE, readLabState, writeLabState, type LabState} from './state.js'
import {ensureTools} from './tools.js'
import {LAB_BRIDGE, LAB_GATEWAY, MAX_LAB_WEBS, MIN_LAB_WEBS, isLabWebCount, type LabHost, labHostsFor} from './topology.js'

/** The service behind `lnmp-deploy lab ...`: every function here is one command. */

export type Log = (message: string) => void

export interface LabHostStatus {
  name: string
  address: string
  roles: string[]
  lxc: LxcState
  ssh: 'ok' | 'failed' | '-'
  systemd: string
}

export interface LabStatus {
  dir: string
  /** undefined when no hosts were made */
  state: LabState | undefined
  bridge: string | undefined
  guardRules: number
  aptProxyPid: number | undefined
  config: string
  knownHosts: string
  key: string
  hosts: LabHostStatus[]
  /** every host running, answering SSH with its recorded key, and systemd running */
  healthy: boolean
}

export interface LabUpOptions {
  /** web hosts web01..webNN, 1 to 23; hosts added to a running lab boot beside it, extras are removed */
  webs?: number
  /** session stores: 2 adds cache01 (memcached only) beside db01 */
  caches?: number
  /** bind-mount one controller ccache into every web host (a development speed-up); applies when hosts boot */
  sharedCcache?: boolean
  /** the Debian release of new hosts; existing hosts keep theirs (a different one is refused) */
  release?: LabRelease
  /** who the lab's config logs in as */
  login?: LabLogin
  /** install missing controller packages with apt-get (default) or only name them */
  install?: boolean
  bootTimeoutMs?: number
  log?: Log
  paths?: LabPaths
}

export interface LabUpResult {
  seconds: number
  state: LabState
  paths: LabPaths
  hosts: Array<{name: string; address: string; systemd: string}>
}

const noLog: Log = () => {}

export function requireRoot(action: string, why = 'it manages a bridge, iptables rules and LXC containers on this machine'): void {
  if (process.getuid?.() !== 0) {
    throw new LabError(`lnmp-deploy lab ${action} needs root: ${why}`, {
      hint: `run it as root, e.g. sudo lnmp-deploy lab ${action}`,
    })
  }
}

/**
 * The lab's directory: others may pass through (apt-cacher-ng drops to its own user and reads its config
 * and cache below it) but not list it; the private key inside is 0600 on its own.
 */
async function ensureLabDir(paths: LabPaths): Promise<void> {
  await mkdir(paths.dir, {recursive: true})
  await chmod(paths.dir, 0o711)
}

async function ensureKey(paths: LabPaths): Promise<void> {
  await ensureLabDir(paths)
  if (existsSync(paths.key) && existsSync(paths.publicKey)) return
  await rm(paths.key, {force: true})
  await rm(paths.publicKey, {force: true})
  await run('creating the lab ssh key', 'ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'lnmp-deploy-lab', '-f', paths.key])
}

async function anyRunning(paths: LabPaths): Promise<boolean> {
  const states = await Promise.all((await madeHostNames(paths)).map((name) => hostState(paths, name)))
  return states.includes('RUNNING')
}

async function anyHost(paths: LabPaths): Promise<boolean> {
  return (await madeHostNames(paths)).length > 0
}

/**
 * The state for this `up`: what was asked, else what the hosts were made with, else the defaults. Hosts are
 * never silently remade on another release, and sshd's login policy and the ccache mount are read at boot, so a
 * change of the release on existing hosts, or of the others on running hosts, is refused with what to do instead.
 */
async function resolveState(paths: LabPaths, options: LabUpOptions): Promise<LabState> {
  const hostsExist = await anyHost(paths)
  const recorded = hostsExist ? readLabState(paths) : undefined
  const current: LabState | undefined = hostsExist ? (recorded ?? DEFAULT_LAB_STATE) : undefined
  const wanted: LabState = {
    release: options.release ?? current?.release ?? DEFAULT_LAB_STATE.release,
    login: options.login ?? current?.login ?? DEFAULT_LAB_STATE.login,
    webs: options.webs ?? current?.webs ?? DEFAULT_LAB_STATE.webs,
    caches: options.caches ?? current?.caches ?? DEFAULT_LAB_STATE.caches,
    sharedCcache: options.sharedCcache ?? current?.sharedCcache ?? DEFAULT_LAB_STATE.sharedCcache,
  }
  if (!isLabWebCount(wanted.webs)) throw new LabError(`a lab has ${MIN_LAB_WEBS} to ${MAX_LAB_WEBS} web hosts, not ${wanted.webs}`)
  if (current && current.release !== wanted.release) {
    throw new LabError(`the lab's hosts run Debian ${current.release}; --os ${wanted.release} needs new hosts`, {
      hint: `run \`lnmp-deploy lab destroy\` first (the ${current.release} base stays), then \`lab up --os ${wanted.release}\``,
    })
  }
  if (current && current.login !== wanted.login && (await anyRunning(paths))) {
    throw new LabError(`the lab's hosts run with the ${current.login} login; --login ${wanted.login} applies when they boot`, {
      hint: `run \`lnmp-deploy lab down\` first, then \`lab up --login ${wanted.login}\``,
    })
  }
  if (current && current.sharedCcache !== wanted.sharedCcache && (await anyRunning(paths))) {
    const flag = wanted.sharedCcache ? '--shared-ccache' : '--no-shared-ccache'
    throw new LabError(
      `the lab's web hosts run ${current.sharedCcache ? 'with' : 'without'} the shared ccache; ${flag} applies when they boot`,
      {
        hint: `run \`lnmp-deploy lab down\` first, then \`lab up ${flag}\``,
      },
    )
  }
  return wanted
}

/** Boots hosts that are prepared and waits until each answers SSH and systemd finished booting. */
async function bootHosts(paths: LabPaths, hosts: readonly LabHost[], timeoutMs: number, log: Log): Promise<LabUpResult['hosts']> {
  const deadline = Date.now() + timeoutMs
  return Promise.all(
    hosts.map(async (h) => {
      await startHost(paths, h.name)
      const systemd = await waitForBoot(paths, h.name, deadline)
      if (systemd !== 'running') log(`warning: ${h.name}: systemd is ${systemd} (ssh -F ${paths.sshConfig} ${h.name} systemctl --failed)`)
      return {name: h.name, address: h.address, systemd}
    }),
  )
}

export async function labUp(options: LabUpOptions = {}): Promise<LabUpResult> {
  requireRoot('up')
  const paths = options.paths ?? labPaths()
  const log = options.log ?? noLog
  const started = Date.now()
  await ensureLabDir(paths)
  return withLabLock(paths.lock, async () => {
    await ensureTools({install: options.install ?? true, log})
    await ensureKey(paths)
    await ensureBridge()
    await ensureGuard()
    if (await ipForwardEnabled()) log(`note: ip_forward is on here; the lab's guard rules keep its traffic on ${LAB_BRIDGE}`)
    await ensureAptProxy(paths)
    const state = await resolveState(paths, options)
    await ensureBase(paths, state.release, {hostsRunning: await anyRunning(paths), log})
    await writeLabState(paths, state)
    const wanted = labHostsFor(state)
    await ensureInotifyRoom(wanted.length, log)
    // a second store or web hosts asked for no more go: the lab has no host the config does not name
    for (const name of await madeHostNames(paths)) {
      if (wanted.some((h) => h.name === name)) continue
      log(`removing ${name}: the lab now has ${state.webs} web host(s) and ${state.caches} session store(s)`)
      await removeHost(paths, name)
    }
    await Promise.all(wanted.map((h) => prepareHost(paths, h, state)))
    await writeClientFiles(paths, wanted)
    log(
      `starting ${wanted.map((h) => h.name).join(', ')} (Debian ${state.release}, config logs in as ${state.login}, ${ccacheWords(state)})`,
    )
    const hosts = await bootHosts(paths, wanted, options.bootTimeoutMs ?? 90_000, log)
    return {seconds: (Date.now() - started) / 1000, state, paths, hosts}
  })
}

export async function labDown(options: {log?: Log; paths?: LabPaths} = {}): Promise<void> {
  requireRoot('down')
  const paths = options.paths ?? labPaths()
  await ensureLabDir(paths)
  await withLabLock(paths.lock, async () => {
    if (existsSync(paths.lxc)) {
      await Promise.all((await madeHostNames(paths)).map((name) => stopHost(paths, name)))
      await waitForMonitorsGone(paths)
    }
    await stopAptProxy(paths)
    // the tools may never have been installed (down on a clean machine): nothing of ours can exist then
    if ((await tryRun('sh', ['-c', 'command -v iptables'])).code === 0) await removeGuard()
    await removeBridge()
    options.log?.('lab is down (hosts kept; `lab destroy` deletes them)')
  })
}

export async function labDestroy(options: {log?: Log; paths?: LabPaths} = {}): Promise<void> {
  requireRoot('destroy')
  const paths = options.paths ?? labPaths()
  await labDown({paths})
  await withLabLock(paths.lock, async () => {
    for (const p of [paths.lxc, paths.knownHosts, paths.sshConfig, paths.config, paths.state]) await rm(p, {recursive: true, force: true})
  })
  options.log?.(`hosts destroyed (the bases in ${paths.bases}, the key and the artifacts are kept)`)
}

export async function labReset(name: string, options: {log?: Log; paths?: LabPaths; bootTimeoutMs?: number} = {}): Promise<LabUpResult> {
  requireRoot('reset')
  const paths = options.paths ?? labPaths()
  const state = readLabState(paths) ?? DEFAULT_LAB_STATE
  const hostsNow = labHostsFor(state)
  const host = hostsNow.find((h) => h.name === name)
  if (!host) throw new LabError(`${name} is not a lab host (lab hosts: ${hostsNow.map((h) => h.name).join(', ')})`)
  const started = Date.now()
  return withLabLock(paths.lock, async () => {
    if (!(await bridgeExists()) || (await aptProxyPid(paths)) === undefined) {
      throw new LabError(`cannot reset ${name}: the lab is down`, {hint: 'run `lnmp-deploy lab up` first'})
    }
    await removeHost(paths, name)
    await prepareHost(paths, host, state)
    // the new host keys replace the old ones in known_hosts before anyone connects
    await writeClientFiles(paths)
    await ensureInotifyRoom(hostsNow.length, options.log ?? noLog)
    const hosts = await bootHosts(paths, [host], options.bootTimeoutMs ?? 90_000, options.log ?? noLog)
    options.log?.(`${name} is a brand-new host`)
    return {seconds: (Date.now() - started) / 1000, state, paths, hosts}
  })
}

export async function labStatus(options: {paths?: LabPaths} = {}): Promise<LabStatus> {
  requireRoot('status', "it reads the containers' state and logs in with the lab's root-only key")
  const paths = options.paths ?? labPaths()
  const bridgeUp = await bridgeExists()
  const hasIptables = (await tryRun('sh', ['-c', 'command -v iptables'])).code === 0
  const state = readLabState(paths)
  const hosts = await Promise.all(
    labHostsFor(state ?? DEFAULT_LAB_STATE).map(async (h): Promise<LabHostStatus> => {
      const lxc = await hostState(paths, h.name)
      let ssh: LabHostStatus['ssh'] = '-'
      let systemd = '-'
      if (lxc === 'RUNNING' && existsSync(paths.knownHosts)) {
        systemd = await systemdState(paths, h.name)
        ssh = systemd === '-' ? 'failed' : 'ok'
      }
      return {name: h.name, address: h.address, roles: [...h.roles], lxc, ssh, systemd}
    }),
  )
  return {
    dir: paths.dir,
    state,
    bridge: bridgeUp ? `${LAB_BRIDGE} ${LAB_GATEWAY}/24` : undefined,
    guardRules: hasIptables ? await guardRulesPresent() : 0,
    aptProxyPid: await aptProxyPid(paths),
    config: paths.config,
    knownHosts: paths.knownHosts,
    key: paths.key,
    hosts,
    healthy: hosts.every((h) => h.lxc === 'RUNNING' && h.ssh === 'ok' && h.systemd === 'running'),
  }
}
