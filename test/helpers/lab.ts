import {prepareLabArtifacts, type CachedSource, type PrepareArtifactsOptions} from '../../src/lab/artifacts.js'
import type {CommandResult} from '../../src/lab/exec.js'
import {labDestroy, labReset, labStatus, labUp} from '../../src/lab/lab.js'
import {labPaths} from '../../src/lab/paths.js'
import {DEFAULT_LAB_STATE, type LabState} from '../../src/lab/state.js'
import {labSsh} from '../../src/lab/ssh-probe.js'

/**
 * The lab for end-to-end suites: four real hosts (lb01, web01, web02, db01) on this machine.
 *
 *   beforeAll(() => ensureLabUp(), 600_000)
 *   afterAll(() => removeLabHosts(), 120_000)
 *   ... run lnmp-deploy with `--config ${labFiles().config}` ...
 */
export interface LabFiles {
  dir: string
  /** a ready lnmp-deploy.yml for the four hosts (root, the lab key, the lab known_hosts) */
  config: string
  /** the hosts' real keys, for their names, name.lab names and addresses */
  knownHosts: string
  /** private key accepted by root and by `deploy` (passwordless sudo) on every host */
  key: string
  sshConfig: string
}

export function labFiles(): LabFiles {
  const p = labPaths()
  return {dir: p.dir, config: p.config, knownHosts: p.knownHosts, key: p.key, sshConfig: p.sshConfig}
}

/**
 * Brings the lab up, or reuses it when its hosts already answer SSH with systemd running. What a suite does not
 * name is the default lab's (bookworm, root, one store, two web hosts, no shared ccache): hosts made otherwise
 * are destroyed first (their bases stay), so no suite inherits another one's lab.
 */
export async function ensureLabUp(wanted: Partial<LabState> = {}): Promise<LabFiles> {
  const status = await labStatus()
  const differs = await destroyUnless({...DEFAULT_LAB_STATE, ...wanted}, status.state)
  if (differs || !status.healthy) await labUp({...DEFAULT_LAB_STATE, ...wanted, log: (m) => process.stderr.write(`[lab] ${m}\n`)})
  return labFiles()
}

/** Destroys the lab's hosts unless they were made as `wanted` says; true when it did (or there were none to keep). */
export async function destroyUnless(wanted: LabState, state: LabState | undefined): Promise<boolean> {
  const current = state ?? DEFAULT_LAB_STATE
  const same = (Object.keys(wanted) as Array<keyof LabState>).every((k) => wanted[k] === current[k])
  if (!same) await labDestroy()
  return !same
}

/** Brand-new hosts in place of these (new delta, host keys; known_hosts rewritten). */
export async function resetHosts(names: readonly string[]): Promise<void> {
  for (const name of names) await labReset(name)
}

/**
 * What a suite leaves behind: nothing running and no hosts; the bridge, guard rules and apt proxy gone. The
 * base image, the lab key and the artifacts stay (minutes to make; the next `up` makes new hosts in seconds).
 * Safe to call twice.
 */
export async function removeLabHosts(): Promise<void> {
  await labDestroy()
}

/**
 * The source tarballs (nginx, PHP, PECL memcache) in the lab's source cache, which the lab's config names;
 * with `{phpMyAdmin: true}` the phpMyAdmin tarball too, whichever suite runs first.
 */
export async function ensureLabArtifacts(options: Pick<PrepareArtifactsOptions, 'phpMyAdmin'> = {}): Promise<CachedSource[]> {
  return prepareLabArtifacts(options)
}

/** A command on a lab host as root (or `user`), strict host-key checking with the lab's known_hosts. */
export function onLabHost(name: string, command: string, user = 'root', timeoutMs = 30_000): Promise<CommandResult> {
  return labSsh(labPaths(), name, command, {user, timeoutMs})
}
