import {DEFAULT_NGINX_VERSION, DEFAULT_PHP_VERSION} from '../default-versions.js'
import {ConfigError} from '../errors.js'
import {osMajor} from '../platform/detect.js'
import type {HostFacts} from '../platform/facts.js'
import {atLeast, majorOf} from './version.js'

export type BuildComponent = 'nginx' | 'php' | 'memcache'

/** OpenSSL series of the distribution's libssl-dev / openssl-devel. */
export function opensslSeries(facts: HostFacts): '1.0' | '1.1' | '3' {
  const major = osMajor(facts)
  if (facts.osId === 'ubuntu') return major >= 22 ? '3' : '1.1'
  if (facts.osFamily === 'debian') return major >= 12 ? '3' : '1.1'
  if (major <= 7) return '1.0'
  return major >= 9 ? '3' : '1.1'
}

/**
 * Refuse, before anything is downloaded, a version that cannot build against the target's libraries.
 * The seed's own versions (nginx 1.14.2, PHP 5.5.32) land here on any current distribution.
 */
export function checkBuildable(component: BuildComponent, version: string, facts: HostFacts, hostName = 'this host'): void {
  const reason = unbuildableReason(component, version, facts)
  if (reason) {
    const os = `${facts.osId} ${facts.osVersion}`
    throw new ConfigError(`${hostName}: ${component} ${version} cannot be built on ${os}: ${reason}`, {hint: SUGGESTION[component]})
  }
}

const SUGGESTION: Record<BuildComponent, string> = {
  nginx: `set nginx.version to 1.22.1 or newer (${DEFAULT_NGINX_VERSION} is the tested default)`,
  php: `set php.version to 8.1 or newer (${DEFAULT_PHP_VERSION} is the tested default; with OpenSSL 1.0, 8.3 at most); the seed's flags are translated for it`,
  memcache: 'leave the PECL memcache version to lnmp-deploy: it follows the PHP major',
}

export function unbuildableReason(component: BuildComponent, version: string, facts: HostFacts): string | undefined {
  const ssl = opensslSeries(facts)
  switch (component) {
    case 'php': {
      if (!atLeast(version, '7.1') && ssl !== '1.0') {
        return `PHP before 7.1 builds only against OpenSSL 1.0, and this system has OpenSSL ${ssl} (PHP 5.x also fails with current gcc and libxml2)`
      }
      if (!atLeast(version, '8.1') && ssl === '3') return `PHP before 8.1 does not build against OpenSSL 3, which this system has`
      // php-src #13498: configure asks pkg-config for openssl >= 1.1.1 from 8.4 on
      if (atLeast(version, '8.4') && ssl === '1.0') return 'PHP 8.4 and later need OpenSSL 1.1.1 or newer, and this system has OpenSSL 1.0'
      return undefined
    }
    case 'nginx': {
      if (!atLeast(version, '1.21.5') && ssl === '3') {
        return 'nginx before 1.21.5 knows neither PCRE2 nor OpenSSL 3, and its -Werror build stops on OpenSSL 3 deprecations and current gcc warnings'
      }
      return undefined
    }
    case 'memcache': {
      // 2.2.x/3.0.x are PHP 5 only, 4.x PHP 7 only, 8.x needs PHP 8: checked against PHP in pecl.ts
      return majorOf(version) >= 2 ? undefined : `no PECL memcache ${version}`
    }
  }
}
