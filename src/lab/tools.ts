import {existsSync} from 'node:fs'
import {writeFile, rm, chmod} from 'node:fs/promises'

import {LabError} from '../errors.js'
import {haveCommand, run} from './exec.js'

/** What the controller needs, as the Debian packages that provide it and how we tell they are there. */
export const LAB_TOOLS: ReadonlyArray<{pkg: string; present: () => Promise<boolean>}> = [
  {pkg: 'lxc', present: () => haveCommand('lxc-start')},
  {pkg: 'debootstrap', present: () => haveCommand('debootstrap')},
  {pkg: 'apt-cacher-ng', present: async () => existsSync('/usr/sbin/apt-cacher-ng')},
  {pkg: 'iptables', present: () => haveCommand('iptables')},
  {pkg: 'openssh-client', present: () => haveCommand('ssh-keygen')},
]

export async function missingTools(): Promise<string[]> {
  const present = await Promise.all(LAB_TOOLS.map((t) => t.present()))
  return LAB_TOOLS.filter((_, i) => !present[i]).map((t) => t.pkg)
}

const POLICY_RC_D = '/usr/sbin/policy-rc.d'

/**
 * Installs what is missing with apt-get, or, when not allowed to, says exactly what is missing.
 * lxc's postinst would start lxc-net (its own bridge and NAT) and apt-cacher-ng's its system daemon: the lab
 * uses neither, so a policy-rc.d that forbids starting services is in place for the install (and removed
 * after, unless it was there before).
 */
export async function ensureTools(options: {install: boolean; log?: (m: string) => void}): Promise<void> {
  const missing = await missingTools()
  if (missing.length === 0) return
  if (!options.install) {
    throw new LabError(`the lab needs these Debian packages on this machine: ${missing.join(' ')}`, {
      hint: `apt-get install --no-install-recommends ${missing.join(' ')}`,
    })
  }
  options.log?.(`installing ${missing.join(' ')} (services kept from starting by policy-rc.d)`)
  const ownPolicy = !existsSync(POLICY_RC_D)
  if (ownPolicy) {
    await writeFile(POLICY_RC_D, '#!/bin/sh\n# lnmp-deploy lab: keep package installs from starting services\nexit 101\n')
    await chmod(POLICY_RC_D, 0o755)
  }
  try {
    const env = {DEBIAN_FRONTEND: 'noninteractive'}
    const install = ['install', '-y', '-q', '--no-install-recommends', ...missing]
    const first = await run('apt-get install', 'apt-get', install, {env, reject: false}).catch(() => undefined)
    if (!first) {
      // a stale package index is the usual reason: refresh once and try again
      await run('apt-get update', 'apt-get', ['update', '-q'], {env})
      await run('apt-get install', 'apt-get', install, {env})
    }
  } finally {
    if (ownPolicy) await rm(POLICY_RC_D, {force: true})
  }
  const still = await missingTools()
  if (still.length > 0) throw new LabError(`after apt-get install these are still missing: ${still.join(' ')}`)
}
