import {cmd, quote} from './shell.js'

/**
 * How a command reaches root. Logged in as root it runs as is; otherwise through sudo: `-n` when the user
 * may sudo without a password, `-S` with the run's password fed on stdin (never on a command line).
 */
export type SudoMode = 'root' | 'nopasswd' | 'password'

export interface WrappedCommand {
  command: string
  /** written to the command's stdin before the caller's own stdin */
  stdinPrefix: string
}

export function withCwd(command: string, cwd: string | undefined): string {
  return cwd === undefined ? command : `cd ${quote(cwd)} && ${command}`
}

export function wrapCommand(
  command: string,
  options: {sudo?: boolean; cwd?: string; mode: SudoMode | undefined; password?: string},
): WrappedCommand {
  const inner = withCwd(command, options.cwd)
  if (!options.sudo || options.mode === 'root') return {command: inner, stdinPrefix: ''}
  if (options.mode === 'password') {
    if (options.password === undefined) throw new Error('sudo password mode without a password')
    // -k: always read the password, so it is never left over as the command's stdin
    return {command: `sudo -S -k -p '' -- ${cmd('sh', '-c', inner)}`, stdinPrefix: `${options.password}\n`}
  }
  return {command: `sudo -n -- ${cmd('sh', '-c', inner)}`, stdinPrefix: ''}
}

/** The probe run once per connection to learn the mode: prints the uid, then whether sudo -n works. */
export const SUDO_PROBE = `id -u; sudo -n true 2>&1 && echo sudo-ok || true`

export function modeFromProbe(stdout: string): {mode: SudoMode} | {mode: undefined; detail: string} {
  const [uid, ...rest] = stdout.trim().split('\n')
  if (uid?.trim() === '0') return {mode: 'root'}
  const tail = rest.join('\n').trim()
  if (tail.endsWith('sudo-ok')) return {mode: 'nopasswd'}
  return {mode: undefined, detail: tail}
}

/** Why sudo refused, in words for the user, or undefined when the failure is the command's own. */
export function sudoRefusal(stderr: string): string | undefined {
  if (/a password is required/i.test(stderr)) return 'sudo needs a password'
  if (/incorrect password|no password was provided|Sorry, try again/i.test(stderr)) return 'the sudo password was rejected'
  if (/is not in the sudoers file|not allowed to execute|may not run sudo/i.test(stderr)) return 'is not allowed to use sudo'
  if (/sudo: (not found|command not found)|sh: \d+: sudo: not found/i.test(stderr)) return 'sudo is not installed'
  return undefined
}
