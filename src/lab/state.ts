import {readFileSync} from 'node:fs'
import {writeFile} from 'node:fs/promises'

import {LabError} from '../errors.js'
import type {LabPaths} from './paths.js'
import {DEFAULT_LAB_RELEASE, LAB_LOGINS, LAB_RELEASES, type LabLogin, type LabRelease} from './release.js'
import {DEFAULT_LAB_WEBS, isLabWebCount, type LabShape, MAX_LAB_WEBS, MIN_LAB_WEBS} from './topology.js'

/**
 * What the lab's hosts were made as: their release, the account the config logs in with, how many web hosts and
 * session stores there are and whether the web hosts share one ccache. Written when hosts are made, removed with
 * them, so `lab up` without options brings back the same lab.
 */
export interface LabState extends LabShape {
  release: LabRelease
  login: LabLogin
  /** the web hosts bind-mount one ccache kept on this machine (`lab up --shared-ccache`); else each has its own */
  sharedCcache: boolean
}

/**
 * A lab nobody asked anything of; also what hosts made before the lab recorded its state were, but for the
 * shared ccache they had (a lab.json without the field reads as shared; hosts without any lab.json lose the mount
 * at their next boot, only making a rebuild slower).
 */
export const DEFAULT_LAB_STATE: LabState = {
  release: DEFAULT_LAB_RELEASE,
  login: 'root',
  webs: DEFAULT_LAB_WEBS,
  caches: 1,
  sharedCcache: false,
}

/** lab.json's text as a state; `file` names it in errors. Fields a lab recorded before they existed get what it had. */
export function parseLabState(raw: string, file: string): LabState {
  const fix = {hint: 'run `lnmp-deploy lab destroy`, then `lab up`'}
  let json: unknown
  try {
    json = JSON.parse(raw)
  } catch (error) {
    throw new LabError(`${file} is not valid JSON`, {cause: error, ...fix})
  }
  const parsed: Partial<Record<keyof LabState, unknown>> = typeof json === 'object' && json !== null ? json : {}
  const release = LAB_RELEASES.find((r) => r === parsed.release)
  const login = LAB_LOGINS.find((l) => l === parsed.login)
  if (!release || !login) throw new LabError(`${file} names no known release and login`, fix)
  // a lab recorded before the web tier was a choice had web01 and web02
  const webs = parsed.webs ?? DEFAULT_LAB_WEBS
  if (!isLabWebCount(webs)) {
    throw new LabError(`${file} records ${JSON.stringify(webs)} web hosts; a lab has ${MIN_LAB_WEBS} to ${MAX_LAB_WEBS}`, fix)
  }
  // a lab recorded before the shared ccache was a choice was made with it
  const sharedCcache = parsed.sharedCcache ?? true
  if (typeof sharedCcache !== 'boolean')
    throw new LabError(`${file} records sharedCcache ${JSON.stringify(sharedCcache)}, not true or false`, fix)
  // a lab recorded before session stores were a choice had db01 only
  return {release, login, webs, caches: parsed.caches === 2 ? 2 : 1, sharedCcache}
}

export function readLabState(paths: Pick<LabPaths, 'state'>): LabState | undefined {
  let raw: string
  try {
    raw = readFileSync(paths.state, 'utf8')
  } catch {
    return undefined
  }
  return parseLabState(raw, paths.state)
}

export async function writeLabState(paths: Pick<LabPaths, 'state'>, state: LabState): Promise<void> {
  await writeFile(paths.state, `${JSON.stringify(state)}\n`)
}
