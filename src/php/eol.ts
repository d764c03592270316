import {ARTIFACTS} from '../artifacts.js'
import {messages} from '../messages.js'
import type {HostFacts} from '../platform/facts.js'
import {unbuildableReason} from './buildable.js'
import {compareVersions} from './version.js'

/**
 * The last day of security support of each PHP minor (https://www.php.net/supported-versions.php and
 * https://www.php.net/eol.php). Beside the version table in src/artifacts.ts: a minor added there gets its
 * line here (a unit test holds it).
 */
export const PHP_END_OF_LIFE: Readonly<Record<string, string>> = {
  '7.4': '2022-11-28',
  '8.0': '2023-11-26',
  '8.1': '2025-12-31',
  '8.2': '2026-12-31',
  '8.3': '2027-12-31',
  '8.4': '2028-12-31',
}

/** From this many days before its end of life, a PHP version is "ending soon" and plan/verify/init warn. */
export const ENDING_SOON_DAYS = 90

export type PhpSupportState = 'supported' | 'ending-soon' | 'eol'

export interface PhpSupportStatus {
  /** the minor the table knows it by: '8.2' */
  minor: string
  /** the last day of security support, at 00:00 UTC */
  eol: Date
  state: PhpSupportState
  /** whole days from today to that last day: 0 on the day itself, negative once it is past */
  daysLeft: number
}

const DAY_MS = 24 * 60 * 60 * 1000

/** '8.2.32' -> '8.2' */
export function phpMinorOf(version: string): string {
  return version.split('.').slice(0, 2).join('.')
}

/** today's calendar day in UTC, as a timestamp at 00:00 UTC */
function utcDay(date: Date): number {
  return Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate())
}

function isoDay(date: Date): string {
  return date.toISOString().slice(0, 10)
}

/**
 * Where a PHP version stands on `today` (its UTC calendar day): supported, ending soon (its last day of
 * security support within ENDING_SOON_DAYS), or past it. Undefined for a minor the table does not know.
 */
export function phpSupportStatus(version: string, today: Date): PhpSupportStatus | undefined {
  const minor = phpMinorOf(version)
  const last = PHP_END_OF_LIFE[minor]
  if (last === undefined) return undefined
  const eol = new Date(`${last}T00:00:00Z`)
  const daysLeft = Math.round((eol.getTime() - utcDay(today)) / DAY_MS)
  const state: PhpSupportState = daysLeft < 0 ? 'eol' : daysLeft <= ENDING_SOON_DAYS ? 'ending-soon' : 'supported'
  return {minor, eol, state, daysLeft}
}

/** PHP versions of the artifact table with a verified sha256, newest first: the ones lnmp-deploy can build unaided. */
export function verifiedPhpVersions(): string[] {
  return Object.entries(ARTIFACTS.php)
    .filter(([, entry]) => entry.sha256 !== undefined)
    .map(([version]) => version)
    .sort((a, b) => compareVersions(b, a))
}

/** The version to move to: the newest verified one still supported (not ending soon) on `today`. */
export function recommendedPhpVersion(today: Date): string | undefined {
  return verifiedPhpVersions().find((v) => phpSupportStatus(v, today)?.state === 'supported')
}

/**
 * The warning for a PHP version past its end of life or within ENDING_SOON_DAYS of it, naming the version
 * to move to; undefined while it is supported (or when the table does not know its minor).
 */
export function phpEolWarning(version: string, today: Date): string | undefined {
  const status = phpSupportStatus(version, today)
  if (status === undefined || status.state === 'supported') return undefined
  const recommended = recommendedPhpVersion(today)
  const instead = recommended === undefined ? messages.php.noSupportedVersion : messages.php.setVersion(recommended)
  const eol = isoDay(status.eol)
  return status.state === 'eol'
    ? messages.php.pastEol(version, eol, instead)
    : messages.php.endingSoon(version, eol, status.daysLeft, instead)
}

/** What plan and verify warn about a config, whatever its hosts: today only its PHP's end of life. */
export function phpVersionWarnings(config: {php: {version: string}}, today: Date): string[] {
  const warning = phpEolWarning(config.php.version, today)
  return warning === undefined ? [] : [warning]
}

/** A version with its end-of-life note, as init offers it: "8.2.32 (end of life 2026-12-31, in 30 days)". */
export function phpVersionLabel(version: string, today: Date): string {
  const status = phpSupportStatus(version, today)
  if (status === undefined) return version
  const eol = isoDay(status.eol)
  if (status.state === 'supported') return messages.php.supportedLabel(version, eol)
  if (status.state === 'ending-soon') return messages.php.endingSoonLabel(version, eol, status.daysLeft)
  return messages.php.pastEolLabel(version, eol)
}

export interface PhpVersionOffer {
  version: string
  /** the version with its end-of-life note */
  label: string
  status?: PhpSupportStatus
}

/**
 * The PHP versions init offers: the table's verified ones that build on every given host (none given: all
 * of them), newest first, each with its end-of-life note.
 */
export function offeredPhpVersions(today: Date, facts: readonly HostFacts[] = []): PhpVersionOffer[] {
  return verifiedPhpVersions()
    .filter((version) => facts.every((f) => unbuildableReason('php', version, f) === undefined))
    .map((version) => {
      const status = phpSupportStatus(version, today)
      return {version, label: phpVersionLabel(version, today), ...(status ? {status} : {})}
    })
}
