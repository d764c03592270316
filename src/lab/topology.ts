import {DeployError, ExitCode} from '../errors.js'
import type {Role} from '../config/schema.js'

/**
 * The lab's shape: lb01, the web hosts web01..webNN, db01 and, as a second session store, cache01, on one
 * private /24 behind a bridge the lab owns. Everything else in src/lab/ derives names and addresses from here,
 * so there is one place to change them.
 */
export type LabHostName = 'lb01' | 'db01' | 'cache01' | `web${string}`

export interface LabHost {
  name: LabHostName
  address: string
  roles: Role[]
}

export const LAB_SUBNET_PREFIX = '10.77.0'
export const LAB_SUBNET = `${LAB_SUBNET_PREFIX}.0/24`
export const LAB_GATEWAY = `${LAB_SUBNET_PREFIX}.1`
export const LAB_BRIDGE = 'labbr0'
export const LAB_DOMAIN = 'lab'
export const APT_PROXY_PORT = 3142

/** How many web hosts a lab may have (`lab up --web N`): web01..web23, see labWebAddress. */
export const MIN_LAB_WEBS = 1
export const MAX_LAB_WEBS = 23
export const DEFAULT_LAB_WEBS = 2

/** What decides which hosts a lab has; lab.json records both. */
export interface LabShape {
  /** web hosts: web01..webNN */
  webs: number
  /** session stores: 1 (db01) or 2 (db01 and cache01) */
  caches: number
}

export function isLabWebCount(n: unknown): n is number {
  return typeof n === 'number' && Number.isInteger(n) && n >= MIN_LAB_WEBS && n <= MAX_LAB_WEBS
}

export const LAB_LB_HOST: LabHost = {name: 'lb01', address: `${LAB_SUBNET_PREFIX}.11`, roles: ['lb']}
export const LAB_DB_HOST: LabHost = {name: 'db01', address: `${LAB_SUBNET_PREFIX}.31`, roles: ['db', 'cache']}
/** The second session store of a lab made with `--cache 2` (issue 10): memcached only. */
export const LAB_CACHE_HOST: LabHost = {name: 'cache01', address: `${LAB_SUBNET_PREFIX}.32`, roles: ['cache']}

/**
 * The address of web host k (1..23): web01..web09 on .21-.29 (web01 and web02 where they always were),
 * web10..web23 on .101-.114; never the gateway (.1), lb01 (.11), db01 (.31) or cache01 (.32).
 */
export function labWebAddress(k: number): string {
  if (!isLabWebCount(k)) throw new RangeError(`no lab web host ${k}: they are web01 to web${MAX_LAB_WEBS}`)
  return `${LAB_SUBNET_PREFIX}.${k <= 9 ? 20 + k : 91 + k}`
}

export function labWebName(k: number): LabHostName {
  return `web${String(k).padStart(2, '0')}`
}

export function labWebHost(k: number): LabHost {
  return {name: labWebName(k), address: labWebAddress(k), roles: ['web']}
}

/** The hosts of a lab of this shape, in config order: lb01, web01..webNN, db01, and cache01 as a second store. */
export function labHostsFor(shape: LabShape): readonly LabHost[] {
  const webs = Array.from({length: shape.webs}, (_, i) => labWebHost(i + 1))
  return [LAB_LB_HOST, ...webs, LAB_DB_HOST, ...(shape.caches >= 2 ? [LAB_CACHE_HOST] : [])]
}

/** The hosts of a lab nobody asked anything of: lb01, web01, web02, db01. */
export const LAB_HOSTS: readonly LabHost[] = labHostsFor({webs: DEFAULT_LAB_WEBS, caches: 1})

/** Every host some lab may have: the names `lab` knows, whatever the current lab was made with. */
const EVERY_LAB_HOST: readonly LabHost[] = labHostsFor({webs: MAX_LAB_WEBS, caches: 2})

export function isLabHostName(name: string): name is LabHostName {
  return EVERY_LAB_HOST.some((h) => h.name === name)
}

/** A host by name, whichever lab has it (names and addresses do not depend on the lab's shape). */
export function labHost(name: string): LabHost | undefined {
  return EVERY_LAB_HOST.find((h) => h.name === name)
}

/** `--web N`: a whole number of web hosts from 1 to 23, else a usage error naming the flag and the range. */
export function parseLabWebs(value: string): number {
  const n = /^\d+$/.test(value.trim()) ? Number(value.trim()) : Number.NaN
  if (!isLabWebCount(n)) {
    throw new DeployError(
      `--web takes the number of web hosts, ${MIN_LAB_WEBS} to ${MAX_LAB_WEBS}; got ${JSON.stringify(value)}`,
      ExitCode.usage,
      {
        hint: `e.g. \`lnmp-deploy lab up --web 3\` for web01, web02 and web03`,
      },
    )
  }
  return n
}

/** The lines every host's /etc/hosts carries so hosts resolve each other without a DNS server. */
export function hostsBlock(hosts: readonly LabHost[] = LAB_HOSTS): string[] {
  return hosts.map((h) => `${h.address} ${h.name}.${LAB_DOMAIN} ${h.name}`)
}

/** The whole /etc/hosts of one host: loopback names first, then its own name, then the lab. */
export function etcHostsFor(name: string, hosts: readonly LabHost[] = LAB_HOSTS): string {
  return [
    '127.0.0.1 localhost',
    '::1 localhost ip6-localhost ip6-loopback',
    `127.0.1.1 ${name}.${LAB_DOMAIN} ${name}`,
    ...hostsBlock(hosts),
    '',
  ].join('\n')
}

/** A stable MAC per host (locally administered), so ARP caches survive a restart of the same host. */
export function macFor(address: string): string {
  const last = Number(address.split('.').at(-1))
  return `02:77:00:00:00:${last.toString(16).padStart(2, '0')}`
}
