import {DeployError, ExitCode} from '../errors.js'
import type {Remote} from '../ssh/remote.js'
import type {HostFacts, OsFamily} from './facts.js'

/** The host runs an operating system lnmp-deploy has no package or service names for. */
export class UnsupportedPlatformError extends DeployError {
  constructor(host: string, message: string, hint?: string) {
    super(`${host}: ${message}`, ExitCode.stepFailed, {host, hint})
  }
}

const SEPARATOR = '--lnmp-deploy-facts--'

/**
 * One round trip: os-release, architecture, cores and whether systemd is PID 1 (its runtime directory
 * exists only then). Sections are separated by a marker so a missing os-release cannot shift the rest.
 */
export const FACTS_COMMAND = [
  'cat /etc/os-release 2>/dev/null || cat /usr/lib/os-release 2>/dev/null',
  `echo ${SEPARATOR}`,
  'uname -m',
  'nproc 2>/dev/null || echo 1',
  'if test -d /run/systemd/system; then echo systemd; else echo other; fi',
].join('; ')

export async function probeFacts(remote: Remote): Promise<HostFacts> {
  const result = await remote.run(FACTS_COMMAND)
  return parseFacts(remote.name, result.stdout)
}

/** KEY=value lines of os-release(5), with shell-style quoting removed. */
export function parseOsRelease(text: string): Record<string, string> {
  const fields: Record<string, string> = {}
  for (const line of text.split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim())
    if (!m) continue
    let value = m[2] ?? ''
    if (/^".*"$/.test(value)) value = value.slice(1, -1).replaceAll(/\\(["\\$`])/g, '$1')
    else if (/^'.*'$/.test(value)) value = value.slice(1, -1)
    fields[m[1] as string] = value
  }
  return fields
}

const DEBIAN_IDS = new Set(['debian', 'ubuntu'])
const RHEL_IDS = new Set(['centos', 'rocky', 'almalinux', 'rhel', 'ol'])

/** Lowest major release of each family whose package names this project knows. */
const MIN_MAJOR: Record<string, number> = {debian: 11, ubuntu: 20, rhel: 7}

export function parseFacts(hostName: string, output: string): HostFacts {
  const [osText = '', rest = ''] = output.split(SEPARATOR)
  const os = parseOsRelease(osText)
  const [arch = '', coresText = '', init = ''] = rest
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '')
  const osId = (os.ID ?? '').toLowerCase()
  const osVersion = os.VERSION_ID ?? ''
  if (osId === '') {
    throw new UnsupportedPlatformError(
      hostName,
      'no /etc/os-release: cannot tell the operating system',
      'lnmp-deploy supports Debian, Ubuntu, CentOS 7, Rocky/AlmaLinux 8 and 9',
    )
  }

  const like = (os.ID_LIKE ?? '').toLowerCase().split(/\s+/)
  const family: OsFamily | undefined =
    DEBIAN_IDS.has(osId) || like.includes('debian') ? 'debian' : RHEL_IDS.has(osId) || like.includes('rhel') ? 'rhel' : undefined
  const major = Number.parseInt(osVersion, 10)
  const minKey = family === 'rhel' ? 'rhel' : osId === 'ubuntu' ? 'ubuntu' : 'debian'
  const min = MIN_MAJOR[minKey] ?? 0
  if (family === undefined || ((DEBIAN_IDS.has(osId) || RHEL_IDS.has(osId)) && !(major >= min))) {
    const name = os.PRETTY_NAME ?? `${osId} ${osVersion}`
    throw new UnsupportedPlatformError(
      hostName,
      `unsupported operating system ${name} (os-release ID=${osId}${osVersion ? `, VERSION_ID=${osVersion}` : ''})`,
      'lnmp-deploy supports Debian 11+, Ubuntu 20.04+, CentOS 7, Rocky/AlmaLinux/RHEL 8 and 9',
    )
  }

  const cores = Number.parseInt(coresText, 10)
  return {
    osId,
    osVersion,
    osFamily: family,
    packageManager: family === 'debian' ? 'apt' : major <= 7 ? 'yum' : 'dnf',
    arch,
    cores: Number.isFinite(cores) && cores > 0 ? cores : 1,
    initSystem: init === 'systemd' ? 'systemd' : 'other',
  }
}

/** The major release as a number (12 for Debian 12, 24 for Ubuntu 24.04, 9 for Rocky 9.4). */
export function osMajor(facts: Pick<HostFacts, 'osVersion'>): number {
  return Number.parseInt(facts.osVersion, 10)
}
