import {spawnSync} from 'node:child_process'

import {describe, expect, it} from 'vitest'

import {and, cmd, ifMissing, or, quote, withCleanup} from '../../src/ssh/shell.js'

/** What /bin/sh makes of a command line: its stdout and exit code. */
function sh(line: string): {out: string; code: number | null} {
  const r = spawnSync('sh', ['-c', line], {encoding: 'utf8'})
  return {out: r.stdout, code: r.status}
}

describe('quote', () => {
  it.each([
    ['plain', 'plain'],
    ['/application/php-8.2.32-1a2b3c4d/bin/php', '/application/php-8.2.32-1a2b3c4d/bin/php'],
    ['--with-config-file-scan-dir=/a/b', '--with-config-file-scan-dir=/a/b'],
    ['www:www', 'www:www'],
    ['', "''"],
    ['a b', "'a b'"],
    ["it's", `'it'"'"'s'`],
    ["''", `''"'"''"'"''`],
    ['$HOME', "'$HOME'"],
    ['$(id) `id`', "'$(id) `id`'"],
    ['a;b|c&d>e', "'a;b|c&d>e'"],
    ['*', "'*'"],
    ['~root', "'~root'"],
    ['a\\b', "'a\\b'"],
    ['"double"', `'"double"'`],
    ['line\nbreak\ttab', "'line\nbreak\ttab'"],
    ['pässwörd 密码', "'pässwörd 密码'"],
  ])('%j -> %j', (value, quoted) => {
    expect(quote(value)).toBe(quoted)
  })

  it('writes numbers as they are', () => {
    expect(quote(3)).toBe('3')
    expect(quote(-1)).toBe('-1')
  })

  it.each([
    "it's",
    "''",
    '$HOME',
    '$(id) `id`',
    'a;b|c&d>e',
    '*',
    '~root',
    'a\\b',
    '"double"',
    'line\nbreak\ttab',
    'pässwörd 密码',
    ' lead and trail ',
  ])('sh reads %j back as it was', (value) => {
    expect(sh(`printf '%s' ${quote(value)}`)).toEqual({out: value, code: 0})
  })
})

describe('cmd', () => {
  it('quotes each argument on its own', () => {
    expect(cmd('cp', '-a', '/etc/nginx/.', "/tmp/it's here")).toBe(`cp -a /etc/nginx/. '/tmp/it'"'"'s here'`)
    expect(cmd('curl', '-fsSL', '--retry', 3, '-o', '/x', 'https://h/a?b=c&d')).toBe("curl -fsSL --retry 3 -o /x 'https://h/a?b=c&d'")
  })
})

describe('and', () => {
  it('joins with &&, unbraced', () => {
    expect(and('mkdir -p /a', 'chmod 0755 /a')).toBe('mkdir -p /a && chmod 0755 /a')
    expect(and('a', 'b', 'c')).toBe('a && b && c')
    expect(and('a')).toBe('a')
  })

  it('stops at the first failure', () => {
    expect(sh(and('echo a', 'false', 'echo c'))).toEqual({out: 'a\n', code: 1})
  })
})

describe('or', () => {
  it('braces its alternatives', () => {
    expect(or('rpm -q epel-release >/dev/null 2>&1', 'dnf install -y epel-release')).toBe(
      '{ rpm -q epel-release >/dev/null 2>&1 || dnf install -y epel-release; }',
    )
    expect(or('a', 'b', 'c')).toBe('{ a || b || c; }')
  })

  it('composes inside and(): a failure before it stops the chain', () => {
    expect(and('x', or('a', 'b'), 'y')).toBe('x && { a || b; } && y')
    expect(sh(and('false', or('true', 'echo b'), 'echo y'))).toEqual({out: '', code: 1})
    // unbraced, the same chain would run b and y
    expect(sh('false && true || echo b && echo y')).toEqual({out: 'b\ny\n', code: 0})
  })
})

describe('ifMissing', () => {
  it('quotes the path, not the command', () => {
    expect(ifMissing('/application/php/lib/php.ini', 'cp a b')).toBe('if [ ! -e /application/php/lib/php.ini ]; then cp a b; fi')
    expect(ifMissing("/var/lib/it's", "rm -f '/x y'")).toBe(`if [ ! -e '/var/lib/it'"'"'s' ]; then rm -f '/x y'; fi`)
  })

  it('exits 0 when the path exists, without running the command', () => {
    expect(sh(ifMissing('/', 'echo ran; false'))).toEqual({out: '', code: 0})
    expect(sh(ifMissing('/nonexistent/lnmp-deploy', 'echo ran'))).toEqual({out: 'ran\n', code: 0})
  })
})

describe('withCleanup', () => {
  it('cleans up and exits with the command code', () => {
    expect(withCleanup('a && b', 'rm -rf "$d"')).toBe('a && b; rc=$?; rm -rf "$d"; exit $rc')
  })

  it('runs the cleanup whatever the command did', () => {
    expect(sh(withCleanup(and('echo a', 'false'), 'echo cleaned'))).toEqual({out: 'a\ncleaned\n', code: 1})
    expect(sh(withCleanup('(exit 3)', 'echo cleaned'))).toEqual({out: 'cleaned\n', code: 3})
    expect(sh(withCleanup('true', 'false'))).toEqual({out: '', code: 0})
  })
})
