import type {Role} from './schema.js'

/** Starting points for `init`: the host names and roles are fixed, the addresses are defaults to change. */
export interface PresetHost {
  name: string
  address: string
  /** the seed separates a public (10.0.0.x) and a private (172.16.1.x) network */
  privateAddress?: string
  roles: Role[]
}

export interface Preset {
  name: PresetName
  description: string
  hosts: readonly PresetHost[]
  /** where a dedicated session store goes when init is asked for one (its address a default to change) */
  cacheHost?: PresetHost
}

/** The name init offers for a dedicated session store (the lab's second store has it too). */
export const CACHE_HOST_NAME = 'cache01'

export const PRESET_NAMES = ['tutorial', 'lab'] as const
export type PresetName = (typeof PRESET_NAMES)[number]

export const PRESETS: Readonly<Record<PresetName, Preset>> = {
  tutorial: {
    name: 'tutorial',
    description: "the tutorial's four hosts: lb01, web01, web02, db01 (db + memcached)",
    hosts: [
      {name: 'lb01', address: '10.0.0.5', privateAddress: '172.16.1.5', roles: ['lb']},
      {name: 'web01', address: '10.0.0.7', privateAddress: '172.16.1.7', roles: ['web']},
      {name: 'web02', address: '10.0.0.8', privateAddress: '172.16.1.8', roles: ['web']},
      {name: 'db01', address: '10.0.0.51', privateAddress: '172.16.1.51', roles: ['db', 'cache']},
    ],
  },
  lab: {
    name: 'lab',
    description: 'the four local hosts of `lnmp-deploy lab up` (10.77.0.0/24)',
    hosts: [
      {name: 'lb01', address: '10.77.0.11', roles: ['lb']},
      {name: 'web01', address: '10.77.0.21', roles: ['web']},
      {name: 'web02', address: '10.77.0.22', roles: ['web']},
      {name: 'db01', address: '10.77.0.31', roles: ['db', 'cache']},
    ],
    // the host `lnmp-deploy lab up --cache 2` adds
    cacheHost: {name: CACHE_HOST_NAME, address: '10.77.0.32', roles: ['cache']},
  },
}

export function isPresetName(value: string): value is PresetName {
  return (PRESET_NAMES as readonly string[]).includes(value)
}

/** A fresh copy of a preset's hosts, safe to edit. */
export function presetHosts(name: PresetName): PresetHost[] {
  return PRESETS[name].hosts.map((h) => ({...h, roles: [...h.roles]}))
}
