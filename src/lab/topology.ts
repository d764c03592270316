import type {Role} from '../config/schema.js'

/**
 * The lab's fixed shape: the seed's four hosts on one private /24 behind a bridge the lab owns.
 * Everything else in src/lab/ derives names and addresses from here, so there is one place to change them.
 */
export interface LabHost {
  name: 'lb01' | 'web01' | 'web02' | 'db01' | 'cache01'
  address: string
  roles: Role[]
}

export const LAB_SUBNET_PREFIX = '10.77.0'
export const LAB_SUBNET = `${LAB_SUBNET_PREFIX}.0/24`
export const LAB_GATEWAY = `${LAB_SUBNET_PREFIX}.1`
export const LAB_BRIDGE = 'labbr0'
export const LAB_DOMAIN = 'lab'
export const APT_PROXY_PORT = 3142

export const LAB_HOSTS: readonly LabHost[] = [
  {name: 'lb01', address: `${LAB_SUBNET_PREFIX}.11`, roles: ['lb']},
  {name: 'web01', address: `${LAB_SUBNET_PREFIX}.21`, roles: ['web']},
  {name: 'web02', address: `${LAB_SUBNET_PREFIX}.22`, roles: ['web']},
  {name: 'db01', address: `${LAB_SUBNET_PREFIX}.31`, roles: ['db', 'cache']},
]

/** The second session store of a lab made with `--cache 2` (issue 10): memcached only. */
export const LAB_CACHE_HOST: LabHost = {name: 'cache01', address: `${LAB_SUBNET_PREFIX}.32`, roles: ['cache']}

/** Every host a lab may have, whichever it was made with: what `down` and `destroy` look for. */
export const ALL_LAB_HOSTS: readonly LabHost[] = [...LAB_HOSTS, LAB_CACHE_HOST]

/** The hosts of a lab with this many session stores: db01 always, cache01 as the second. */
export function labHostsFor(caches: number): readonly LabHost[] {
  return caches >= 2 ? ALL_LAB_HOSTS : LAB_HOSTS
}

export type LabHostName = LabHost['name']

export function isLabHostName(name: string): name is LabHostName {
  return ALL_LAB_HOSTS.some((h) => h.name === name)
}

export function labHost(name: string): LabHost | undefined {
  return ALL_LAB_HOSTS.find((h) => h.name === name)
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
