import {LabError} from '../errors.js'

/**
 * The Debian releases a lab can run: every host of one lab runs the same one, on a base image of its own
 * (built once, kept). bookworm is the controller's own release and the lab's default.
 */
export const LAB_RELEASES = ['bookworm', 'trixie'] as const
export type LabRelease = (typeof LAB_RELEASES)[number]
export const DEFAULT_LAB_RELEASE: LabRelease = 'bookworm'

/** Debian's VERSION_ID for each, as a host's os-release says it. */
export const RELEASE_VERSION: Record<LabRelease, string> = {bookworm: '12', trixie: '13'}

/** Who the lab's config logs in as: root, or `deploy` with passwordless sudo and root's SSH login off (cloud images). */
export const LAB_LOGINS = ['root', 'deploy'] as const
export type LabLogin = (typeof LAB_LOGINS)[number]

export function parseLabRelease(value: string): LabRelease {
  const release = LAB_RELEASES.find((r) => r === value || RELEASE_VERSION[r] === value)
  if (!release) throw new LabError(`unknown lab release ${JSON.stringify(value)}`, {hint: `use one of ${LAB_RELEASES.join(', ')}`})
  return release
}

/** The hosts' apt sources: the release, its updates and its security suite, all through the lab's apt proxy. */
export function hostAptSources(release: LabRelease, mirror: string): string {
  return [
    `deb ${mirror} ${release} main`,
    `deb ${mirror} ${release}-updates main`,
    `deb http://deb.debian.org/debian-security ${release}-security main`,
    '',
  ].join('\n')
}
