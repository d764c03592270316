import {describe, expect, it} from 'vitest'

import {ARTIFACTS} from '../../src/artifacts.js'
import {
  ENDING_SOON_DAYS,
  offeredPhpVersions,
  PHP_END_OF_LIFE,
  phpEolWarning,
  phpMinorOf,
  phpSupportStatus,
  phpVersionLabel,
  phpVersionWarnings,
  recommendedPhpVersion,
  verifiedPhpVersions,
} from '../../src/php/eol.js'
import {FACTS} from './steps-support-fixtures.js'

// the day issue 9 was written: PHP 8.2 has 30 days of security support left
const TODAY = new Date('2026-12-01T09:00:00Z')
const day = (iso: string) => new Date(`${iso}T12:00:00Z`)

describe('the PHP end-of-life table', () => {
  it('holds the last day of security support of each minor (php.net/supported-versions, eol.php)', () => {
    expect(PHP_END_OF_LIFE).toEqual({
      '7.4': '2022-11-28',
      '8.0': '2023-11-26',
      '8.1': '2025-12-31',
      '8.2': '2026-12-31',
      '8.3': '2027-12-31',
      '8.4': '2028-12-31',
    })
    expect(ENDING_SOON_DAYS).toBe(90)
  })

  it('knows every PHP minor of the artifact table', () => {
    for (const version of Object.keys(ARTIFACTS.php)) expect(PHP_END_OF_LIFE, version).toHaveProperty([phpMinorOf(version)])
  })
})

describe('phpSupportStatus', () => {
  it('on 2026-12-01: 8.2 ends in 30 days, 8.3 and 8.4 are supported, 8.1 is past', () => {
    expect(phpSupportStatus('8.2.32', TODAY)).toEqual({
      minor: '8.2',
      eol: new Date('2026-12-31T00:00:00Z'),
      state: 'ending-soon',
      daysLeft: 30,
    })
    expect(phpSupportStatus('8.2.36', TODAY)?.state).toBe('ending-soon')
    expect(phpSupportStatus('8.3.14', TODAY)).toMatchObject({state: 'supported', daysLeft: 395})
    expect(phpSupportStatus('8.4.24', TODAY)).toMatchObject({minor: '8.4', state: 'supported', daysLeft: 761})
    expect(phpSupportStatus('8.1.33', TODAY)).toMatchObject({state: 'eol', daysLeft: -335})
    expect(phpSupportStatus('7.4.33', TODAY)?.state).toBe('eol')
  })

  it('counts calendar days in UTC: the last day is still supported, the day after is not', () => {
    expect(phpSupportStatus('8.2.32', day('2026-10-01'))).toMatchObject({state: 'supported', daysLeft: 91})
    expect(phpSupportStatus('8.2.32', day('2026-10-02'))).toMatchObject({state: 'ending-soon', daysLeft: 90})
    expect(phpSupportStatus('8.2.32', new Date('2026-12-31T23:59:59Z'))).toMatchObject({state: 'ending-soon', daysLeft: 0})
    expect(phpSupportStatus('8.2.32', new Date('2027-01-01T00:00:00Z'))).toMatchObject({state: 'eol', daysLeft: -1})
    expect(phpSupportStatus('8.2.32', new Date('2026-12-01T00:00:00Z'))?.daysLeft).toBe(
      phpSupportStatus('8.2.32', new Date('2026-12-01T23:59:59Z'))?.daysLeft,
    )
  })

  it('does not know a minor the table lacks', () => {
    expect(phpSupportStatus('8.5.0', TODAY)).toBeUndefined()
    expect(phpSupportStatus('5.5.32', TODAY)).toBeUndefined()
  })
})

describe('the end-of-life warning', () => {
  it('names the date, the days left and the version to move to', () => {
    expect(phpEolWarning('8.2.32', TODAY)).toBe('PHP 8.2.32 reaches its end of life on 2026-12-31 (30 days): set php.version to 8.4.24')
    expect(phpEolWarning('8.2.32', day('2026-12-30'))).toBe(
      'PHP 8.2.32 reaches its end of life on 2026-12-31 (1 day): set php.version to 8.4.24',
    )
    expect(phpEolWarning('8.2.32', day('2026-12-31'))).toBe(
      'PHP 8.2.32 reaches its end of life on 2026-12-31 (today): set php.version to 8.4.24',
    )
    expect(phpEolWarning('8.1.33', TODAY)).toBe(
      'PHP 8.1.33 reached its end of life on 2025-12-31 and gets no security fixes: set php.version to 8.4.24',
    )
  })

  it('says nothing while a version is supported, or for one the table does not know', () => {
    expect(phpEolWarning('8.4.24', TODAY)).toBeUndefined()
    expect(phpEolWarning('8.3.14', TODAY)).toBeUndefined()
    expect(phpEolWarning('8.2.32', day('2026-09-01'))).toBeUndefined()
    expect(phpEolWarning('8.5.0', TODAY)).toBeUndefined()
  })

  it('recommends the newest verified version still supported, and none when the table has none left', () => {
    expect(recommendedPhpVersion(TODAY)).toBe('8.4.24')
    expect(recommendedPhpVersion(day('2024-06-01'))).toBe('8.4.24')
    expect(recommendedPhpVersion(day('2028-11-01'))).toBeUndefined()
    expect(phpEolWarning('8.4.24', day('2028-11-01'))).toBe(
      'PHP 8.4.24 reaches its end of life on 2028-12-31 (60 days): move to a supported PHP release ' +
        "(https://www.php.net/supported-versions.php) and give its tarball's sha256 under artifacts.php",
    )
  })

  it('is what plan and verify warn about a config', () => {
    expect(phpVersionWarnings({php: {version: '8.2.32'}}, TODAY)).toEqual([
      'PHP 8.2.32 reaches its end of life on 2026-12-31 (30 days): set php.version to 8.4.24',
    ])
    expect(phpVersionWarnings({php: {version: '8.4.24'}}, TODAY)).toEqual([])
  })
})

describe('the versions init offers', () => {
  it('are the verified ones, newest first', () => {
    expect(verifiedPhpVersions()).toEqual(['8.4.24', '8.2.36', '8.2.32'])
  })

  it('each carries its end-of-life note', () => {
    expect(offeredPhpVersions(TODAY).map((o) => o.label)).toEqual([
      '8.4.24 (supported until 2028-12-31)',
      '8.2.36 (end of life 2026-12-31, in 30 days)',
      '8.2.32 (end of life 2026-12-31, in 30 days)',
    ])
    expect(phpVersionLabel('8.2.32', day('2026-12-30'))).toBe('8.2.32 (end of life 2026-12-31, in 1 day)')
    expect(phpVersionLabel('8.2.32', day('2027-02-01'))).toBe('8.2.32 (end of life since 2026-12-31)')
    expect(phpVersionLabel('8.5.1', TODAY)).toBe('8.5.1')
  })

  it('leave out what cannot build on a detected host: PHP 8.4 on CentOS 7 (OpenSSL 1.0)', () => {
    expect(offeredPhpVersions(TODAY, [FACTS.debian12]).map((o) => o.version)).toEqual(['8.4.24', '8.2.36', '8.2.32'])
    expect(offeredPhpVersions(TODAY, [FACTS.debian12, FACTS.centos7]).map((o) => o.version)).toEqual(['8.2.36', '8.2.32'])
  })
})
