import {renderTemplate} from '../templates.js'
import type {HostFacts} from './facts.js'

export interface MemcachedSettings {
  /** the address to bind: the db host's private address, or 0.0.0.0 only when listenAll is set */
  listen: string
  port: number
  memoryMb: number
}

/** Where each family's memcached unit reads its options from. */
export function memcachedConfigPath(facts: HostFacts): string {
  return facts.osFamily === 'debian' ? '/etc/memcached.conf' : '/etc/sysconfig/memcached'
}

/** Debian: option lines for the wrapper script; RHEL: the environment file its unit passes as $OPTIONS. */
export function renderMemcachedConfig(settings: MemcachedSettings, facts: HostFacts): string {
  const vars = {listen: settings.listen, port: settings.port, memoryMb: settings.memoryMb}
  return renderTemplate(facts.osFamily === 'debian' ? 'memcached/memcached.conf' : 'memcached/sysconfig', vars)
}
