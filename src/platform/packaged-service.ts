import {cmd} from '../ssh/shell.js'
import {batchCommand, firstWord, parseBatch} from './batch-probe.js'
import type {HostFacts} from './facts.js'
import {packageQueryCommand, parseMissingPackages} from './packages.js'

/** A service installed from the distribution's packages, with one config file of ours (memcached, MariaDB). */
export interface PackagedServiceWant {
  packages: readonly string[]
  configPath: string
  service: string
}

export interface PackagedServiceFacts {
  missingPackages: string[]
  configSha256: string | undefined
  enabled: boolean
  active: boolean
}

/** Its packages, its config file and its unit, in one round trip (read only). */
export function packagedServiceCommand(want: PackagedServiceWant, facts: HostFacts): string {
  return batchCommand({
    packages: packageQueryCommand(want.packages, facts),
    config: cmd('sha256sum', want.configPath),
    enabled: cmd('systemctl', 'is-enabled', want.service),
    active: cmd('systemctl', 'is-active', want.service),
  })
}

export function parsePackagedService(stdout: string, want: PackagedServiceWant, facts: HostFacts): PackagedServiceFacts {
  const answers = parseBatch(stdout)
  return {
    missingPackages: parseMissingPackages(want.packages, answers.get('packages') ?? '', facts),
    configSha256: firstWord(answers.get('config')),
    enabled: answers.get('enabled')?.trim() === 'enabled',
    active: answers.get('active')?.trim() === 'active',
  }
}
