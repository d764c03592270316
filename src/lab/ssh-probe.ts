import {LabError} from '../errors.js'
import {quote} from '../ssh/shell.js'
import {portOpen} from './apt-proxy.js'
import {tryRun, type CommandResult} from './exec.js'
import type {LabPaths} from './paths.js'
import {readLabState} from './state.js'
import {labHost} from './topology.js'

/**
 * The lab's own readiness checks, with the system ssh client and the lab's client files: the lab key, the
 * recorded host keys and StrictHostKeyChecking=yes, so "answers SSH" also means "is the host we recorded".
 */
export function sshArgs(paths: Pick<LabPaths, 'sshConfig' | 'knownHosts' | 'key'>, address: string, user = 'root'): string[] {
  return [
    '-F',
    paths.sshConfig,
    '-i',
    paths.key,
    '-o',
    'IdentitiesOnly=yes',
    '-o',
    `UserKnownHostsFile=${paths.knownHosts}`,
    '-o',
    'GlobalKnownHostsFile=/dev/null',
    '-o',
    'StrictHostKeyChecking=yes',
    '-o',
    'BatchMode=yes',
    '-o',
    'ConnectTimeout=3',
    '-l',
    user,
    address,
  ]
}

function addressOf(name: string): string {
  const host = labHost(name)
  if (!host) throw new LabError(`${name} is not a lab host`)
  return host.address
}

/**
 * Runs a command on a lab host as root (or user) and returns what it did; never throws for a non-zero exit.
 * On a lab whose root may not log in, root's commands go through the deploy user's sudo.
 */
export function labSsh(
  paths: LabPaths,
  name: string,
  command: string,
  options: {user?: string; timeoutMs?: number} = {},
): Promise<CommandResult> {
  const user = options.user ?? 'root'
  const throughSudo = user === 'root' && readLabState(paths)?.login === 'deploy'
  const args = throughSudo
    ? [...sshArgs(paths, addressOf(name), 'deploy'), `sudo -n sh -c ${quote(command)}`]
    : [...sshArgs(paths, addressOf(name), user), command]
  return tryRun('ssh', args, {timeout: options.timeoutMs ?? 30_000})
}

/**
 * Waits until the host takes an SSH login with the lab key and its recorded host key, and returns the
 * state systemd reaches (`is-system-running --wait`) in that same login: one round trip, not two.
 */
export async function waitForBoot(paths: LabPaths, name: string, deadline: number): Promise<string> {
  const address = addressOf(name)
  let last: CommandResult | undefined
  while (Date.now() < deadline) {
    // a cheap TCP poll until sshd listens, then the real login
    if (await portOpen(address, 22, 200)) {
      last = await labSsh(paths, name, 'timeout 60 systemctl is-system-running --wait', {timeoutMs: 70_000})
      // ssh itself failing is 255; systemctl answers with a word and a non-zero code for every state but running
      if (last.code !== 255 && last.stdout.trim() !== '') return last.stdout.trim()
    }
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new LabError(
    `${name} (${address}): no SSH login with the lab key before the deadline${last ? `: ${last.stderr.trim()}` : ': port 22 never opened'}`,
    {
      hint: `see ${paths.lxc}/${name}/console.log`,
    },
  )
}

/** `systemctl is-system-running`, optionally waiting for boot to finish; '-' when SSH fails. */
export async function systemdState(paths: LabPaths, name: string, wait = false): Promise<string> {
  const r = await labSsh(paths, name, wait ? 'timeout 60 systemctl is-system-running --wait' : 'systemctl is-system-running', {
    timeoutMs: 70_000,
  })
  // the exit code is non-zero for every state but "running": the word is what counts
  return r.stdout.trim() || '-'
}
