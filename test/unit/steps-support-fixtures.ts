import {configSchema, type ConfigInput} from '../../src/config/schema.js'
import {clusterHosts} from '../../src/config/hosts.js'
import type {StepContext} from '../../src/engine/step.js'
import type {HostFacts} from '../../src/platform/facts.js'

/** Facts as `detect` recorded them on each target family. */
export const FACTS: Record<'debian12' | 'debian13' | 'ubuntu2404' | 'rocky9' | 'alma8' | 'centos7', HostFacts> = {
  debian12: {osId: 'debian', osVersion: '12', osFamily: 'debian', packageManager: 'apt', arch: 'x86_64', cores: 2, initSystem: 'systemd'},
  // as a trixie lab host reports itself (test/unit/fixtures/recorded/facts-debian13-trixie.txt)
  debian13: {osId: 'debian', osVersion: '13', osFamily: 'debian', packageManager: 'apt', arch: 'x86_64', cores: 2, initSystem: 'systemd'},
  ubuntu2404: {
    osId: 'ubuntu',
    osVersion: '24.04',
    osFamily: 'debian',
    packageManager: 'apt',
    arch: 'x86_64',
    cores: 4,
    initSystem: 'systemd',
  },
  rocky9: {osId: 'rocky', osVersion: '9.4', osFamily: 'rhel', packageManager: 'dnf', arch: 'x86_64', cores: 8, initSystem: 'systemd'},
  // EL8: MariaDB 10.3 (one auth plugin per user), OpenSSL 1.1; as platform-detect's recorded AlmaLinux 8
  alma8: {osId: 'almalinux', osVersion: '8.10', osFamily: 'rhel', packageManager: 'dnf', arch: 'x86_64', cores: 1, initSystem: 'systemd'},
  centos7: {osId: 'centos', osVersion: '7', osFamily: 'rhel', packageManager: 'yum', arch: 'x86_64', cores: 1, initSystem: 'systemd'},
}

/** web01 of the seed's topology, as a step on it sees the cluster. */
export function webCtx(
  facts: HostFacts,
  overrides: Partial<ConfigInput> = {},
  artifacts: StepContext['artifacts'] = new Map(),
): StepContext {
  const config = configSchema.parse({
    version: 1,
    hosts: [
      {name: 'lb01', address: '10.0.0.5', privateAddress: '172.16.1.5', roles: ['lb']},
      {name: 'web01', address: '10.0.0.7', privateAddress: '172.16.1.7', roles: ['web']},
      {name: 'db01', address: '10.0.0.51', privateAddress: '172.16.1.51', roles: ['db', 'cache']},
    ],
    ...overrides,
  })
  const cluster = clusterHosts(config)
  return {config, host: cluster[1]!, cluster, facts, secrets: new Map(), artifacts}
}
