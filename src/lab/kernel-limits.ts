import {readFile, writeFile} from 'node:fs/promises'

const INOTIFY_INSTANCES = '/proc/sys/fs/inotify/max_user_instances'

/**
 * inotify instances the lab's hosts need together. Every host's systemd, journald, logind and friends hold a few,
 * all counted against root on this machine (the containers share its uid): Debian's default of 128 runs out near
 * 20 hosts, and a host that gets none boots without sshd ("Failed to create inotify object: Too many open files").
 */
export function inotifyInstancesFor(hosts: number): number {
  const perHost = 16
  // this machine's own services use some too
  const forTheMachine = 128
  return forTheMachine + perHost * hosts
}

/** Raises the inotify instance limit to what `hosts` lab hosts need; never lowers it. Says what it changed. */
export async function ensureInotifyRoom(hosts: number, log: (line: string) => void): Promise<void> {
  const now = Number.parseInt((await readFile(INOTIFY_INSTANCES, 'utf8')).trim(), 10)
  const needed = inotifyInstancesFor(hosts)
  if (Number.isFinite(now) && now >= needed) return
  await writeFile(INOTIFY_INSTANCES, `${needed}\n`)
  log(`raised fs.inotify.max_user_instances from ${now} to ${needed} for ${hosts} hosts (until this machine reboots)`)
}
