import {describe, expect, it} from 'vitest'

import {type BuildKeyParts, buildKey} from '../../src/packages/key.js'

const base: BuildKeyParts = {
  name: 'php',
  version: '8.4.24',
  sourceSha256: 'a'.repeat(64),
  args: ['--prefix=/application/php-8.4.24-0123abcd', '--enable-fpm'],
  platform: {osId: 'debian', osVersion: '13', arch: 'x86_64'},
  libraries: ['libxml2-dev', 'libssl-dev'],
}

describe('buildKey', () => {
  it('names the component and version, then 16 hex digits; the same parts give the same key', () => {
    expect(buildKey(base)).toMatch(/^php-8\.4\.24-[0-9a-f]{16}$/)
    expect(buildKey({...base, args: [...base.args], libraries: [...base.libraries]})).toBe(buildKey(base))
  })

  it('ignores the order of the library list, not the order of the configure arguments', () => {
    expect(buildKey({...base, libraries: ['libssl-dev', 'libxml2-dev']})).toBe(buildKey(base))
    expect(buildKey({...base, args: [...base.args].reverse()})).not.toBe(buildKey(base))
  })

  it.each<[string, Partial<BuildKeyParts>]>([
    ['a changed flag', {args: [...base.args, '--with-zip']}],
    ['another version', {version: '8.4.23'}],
    ['another tarball under the same version', {sourceSha256: 'b'.repeat(64)}],
    ['another prefix', {args: ['--prefix=/opt/php-8.4.24-0123abcd', '--enable-fpm']}],
    ['another release of the OS', {platform: {osId: 'debian', osVersion: '12', arch: 'x86_64'}}],
    ['another OS', {platform: {osId: 'ubuntu', osVersion: '13', arch: 'x86_64'}}],
    ['another architecture', {platform: {osId: 'debian', osVersion: '13', arch: 'aarch64'}}],
    ['another library set', {libraries: ['libxml2-dev', 'libssl-dev', 'libzip-dev']}],
    ['another build it is compiled against', {against: 'php-8.4.24-0000000000000000'}],
  ])('never reuses a package across %s', (_why, change) => {
    expect(buildKey({...base, ...change})).not.toBe(buildKey(base))
  })
})
