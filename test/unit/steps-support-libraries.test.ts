import {spawnSync} from 'node:child_process'
import {copyFileSync, mkdirSync, mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'

import {librariesCheck, unresolvedLibrariesCommand} from '../../src/steps/support/checks.js'

describe('shared libraries of a shipped build', () => {
  it('finds nothing unresolved in a directory of binaries this machine runs', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lnmp-ldd-'))
    mkdirSync(join(dir, 'sbin'))
    copyFileSync('/bin/ls', join(dir, 'sbin', 'ls'))
    spawnSync('chmod', ['0755', join(dir, 'sbin', 'ls')])
    const r = spawnSync('bash', ['-c', unresolvedLibrariesCommand(dir)], {encoding: 'utf8'})
    expect([r.status, r.stdout]).toEqual([0, ''])
    expect(librariesCheck('php-libraries', dir, {code: 0, out: r.stdout}, 'hint').ok).toBe(true)
    rmSync(dir, {recursive: true, force: true})
  })

  it("names each file and library ldd cannot resolve (ldd's own output, read by the command's awk)", () => {
    // what `ldd a b` prints when b lacks a library: a header line per file, then its libraries
    const ldd = [
      '/application/php-8.4.24-0123abcd/sbin/php-fpm:',
      '\tlinux-vdso.so.1 (0x00007ffd)',
      '\tlibonig.so.5 => not found',
      '\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f)',
      '/application/php-8.4.24-0123abcd/lib/php/extensions/no-debug-non-zts-20240924/memcache.so:',
      '\tlibz.so.1 => /lib/x86_64-linux-gnu/libz.so.1 (0x00007f)',
      '',
    ].join('\n')
    const awk =
      unresolvedLibrariesCommand('/x')
        .split(' 2>/dev/null | ')[1]
        ?.replace(/ \|\| true$/, '') ?? ''
    const r = spawnSync('bash', ['-c', awk], {input: ldd, encoding: 'utf8'})
    expect(r.stdout).toBe('/application/php-8.4.24-0123abcd/sbin/php-fpm: libonig.so.5\n')
    const failed = librariesCheck('php-libraries', '/application/php-8.4.24-0123abcd', {code: 0, out: r.stdout}, 'install them')
    expect(failed).toMatchObject({
      ok: false,
      detail: 'unresolved: /application/php-8.4.24-0123abcd/sbin/php-fpm: libonig.so.5',
      hint: 'install them',
    })
  })
})
