import {readFileSync} from 'node:fs'
import {writeFile} from 'node:fs/promises'

import {LabError} from '../errors.js'
import type {LabPaths} from './paths.js'
import {DEFAULT_LAB_RELEASE, LAB_LOGINS, LAB_RELEASES, type LabLogin, type LabRelease} from './release.js'

/**
 * What the lab's hosts were made as: their release and the account the config logs in with. Written when
 * hosts are made, removed with them, so `lab up` without options brings back the same lab.
 */
export interface LabState {
  release: LabRelease
  login: LabLogin
  /** session stores: 1 (db01) or 2 (db01 and cache01) */
  caches: number
}

/** A lab nobody asked anything of; also what hosts made before the lab recorded its state were. */
export const DEFAULT_LAB_STATE: LabState = {release: DEFAULT_LAB_RELEASE, login: 'root', caches: 1}

export function readLabState(paths: Pick<LabPaths, 'state'>): LabState | undefined {
  let raw: string
  try {
    raw = readFileSync(paths.state, 'utf8')
  } catch {
    return undefined
  }
  let parsed: Partial<LabState>
  try {
    parsed = JSON.parse(raw) as Partial<LabState>
  } catch (error) {
    throw new LabError(`${paths.state} is not valid JSON`, {cause: error, hint: 'run `lnmp-deploy lab destroy`, then `lab up`'})
  }
  const release = LAB_RELEASES.find((r) => r === parsed.release)
  const login = LAB_LOGINS.find((l) => l === parsed.login)
  if (!release || !login)
    throw new LabError(`${paths.state} names no known release and login`, {hint: 'run `lnmp-deploy lab destroy`, then `lab up`'})
  // a lab recorded before session stores were a choice had db01 only
  return {release, login, caches: parsed.caches === 2 ? 2 : 1}
}

export async function writeLabState(paths: Pick<LabPaths, 'state'>, state: LabState): Promise<void> {
  await writeFile(paths.state, `${JSON.stringify(state)}\n`)
}
