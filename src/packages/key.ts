import {createHash} from 'node:crypto'

import type {HostFacts} from '../platform/facts.js'

/**
 * What makes two builds the same build: hosts whose parts are equal can run one host's compiled prefix.
 * Anything that changes the bytes make install writes is here; the host's name is not (PHP_UNAME is set
 * to the kernel and architecture only, see php-source).
 */
export interface BuildKeyParts {
  /** php, nginx, memcache */
  name: string
  version: string
  /** of the source tarball: a re-released tarball under the same version is another build */
  sourceSha256: string
  /** the resolved ./configure arguments, --prefix included (the prefix is compiled into the binaries) */
  args: readonly string[]
  platform: Pick<HostFacts, 'osId' | 'osVersion' | 'arch'>
  /** the -dev packages the build links against, as this platform names them */
  libraries: readonly string[]
  /** for an extension: the key of the build it is compiled against */
  against?: string
}

/**
 * `<name>-<version>-<16 hex>`: readable in a listing, safe as a file name, and a hash of every part in a
 * fixed order (the libraries sorted: their order in a list is not part of the build).
 */
export function buildKey(parts: BuildKeyParts): string {
  const canonical = JSON.stringify([
    parts.name,
    parts.version,
    parts.sourceSha256,
    [...parts.args],
    [parts.platform.osId, parts.platform.osVersion, parts.platform.arch],
    [...parts.libraries].sort(),
    parts.against ?? null,
  ])
  const hash = createHash('sha256').update(canonical).digest('hex').slice(0, 16)
  return `${parts.name}-${parts.version}-${hash}`
}
