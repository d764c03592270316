import {describe, expect, it} from 'vitest'

import {optionFileString, phpString, sqlString} from '../../src/steps/support/escape.js'

/**
 * Each escaper against hostile input, by exact output. Expected values are written with String.raw, so a
 * backslash in them is one backslash; NUL and newline are spelled out. Then a round trip through what the
 * target language's lexer does with such a literal: escaping the quote before the backslash, or forgetting a
 * trailing backslash, reads back as something else or ends the literal early.
 */
const NUL = '\u0000'

/** PHP's single-quoted literal: `\\` is a backslash, `\'` a quote, any other backslash is itself. */
function readPhpSingleQuoted(literal: string): string {
  expect(literal.startsWith("'") && literal.endsWith("'")).toBe(true)
  let out = ''
  for (let i = 1; i < literal.length - 1; i++) {
    const c = literal[i]
    const next = literal[i + 1]
    if (c === '\\' && (next === '\\' || next === "'")) {
      // an escape reaching the closing quote would escape it: the literal would not end there
      expect(i + 1).toBeLessThan(literal.length - 1)
      out += next
      i++
    } else {
      // an unescaped quote would have ended the literal here
      expect(c).not.toBe("'")
      out += c
    }
  }
  return out
}

/** A backslash-escaped literal (MariaDB's string, an option file's double-quoted value), for what our escapers emit. */
function readBackslashQuoted(literal: string, q: string): string {
  expect(literal.startsWith(q) && literal.endsWith(q)).toBe(true)
  let out = ''
  for (let i = 1; i < literal.length - 1; i++) {
    const c = literal[i]
    if (c === '\\') {
      // a backslash right before the closing quote would escape it: the literal would not end there
      expect(i + 1).toBeLessThan(literal.length - 1)
      out += literal[++i]
    } else {
      expect(c).not.toBe(q)
      out += c
    }
  }
  return out
}

const HOSTILE = [
  '',
  'plain',
  "it's",
  "''",
  'a\\b',
  'x\\',
  "\\'",
  "\\\\'",
  '"double"',
  "$cfg['x'] {$y} ${z}",
  `nul${NUL}byte`,
  'line\nbreak\r\ttab',
  '\\n\\0\\t',
  "'; DROP DATABASE lnmp_app; -- ",
  '?><?php echo 1;',
  'pässwörd 密码 🔑',
]

describe('phpString', () => {
  it.each([
    ['', "''"],
    ['plain', "'plain'"],
    ["it's", String.raw`'it\'s'`],
    ['a\\b', String.raw`'a\\b'`],
    ['x\\', String.raw`'x\\'`],
    ["\\'", String.raw`'\\\''`],
    ['"double"', `'"double"'`],
    ["$cfg['x'] {$y} ${z}", "'$cfg[\\'x\\'] {$y} ${z}'"],
    [`nul${NUL}byte`, `'nul${NUL}byte'`],
    ['line\nbreak\r\ttab', "'line\nbreak\r\ttab'"],
    ['\\n\\0', String.raw`'\\n\\0'`],
    ['?><?php echo 1;', "'?><?php echo 1;'"],
    ['pässwörd 密码 🔑', "'pässwörd 密码 🔑'"],
  ])('%j -> %j', (value, literal) => {
    expect(phpString(value)).toBe(literal)
  })

  it.each(HOSTILE)('reads back as %j', (value) => {
    expect(readPhpSingleQuoted(phpString(value))).toBe(value)
  })
})

describe('sqlString', () => {
  it.each([
    ['', "''"],
    ['plain', "'plain'"],
    ["it's", String.raw`'it\'s'`],
    ["''", String.raw`'\'\''`],
    ['a\\b', String.raw`'a\\b'`],
    ['x\\', String.raw`'x\\'`],
    ["\\'", String.raw`'\\\''`],
    ['"double"', `'"double"'`],
    // LIKE's wildcards are literal in a plain comparison: not escaped
    ['test_%', "'test_%'"],
    ["'; DROP DATABASE lnmp_app; -- ", String.raw`'\'; DROP DATABASE lnmp_app; -- '`],
    // passed through as they are (the mysql client refuses a raw NUL without --binary-mode)
    [`nul${NUL}byte`, `'nul${NUL}byte'`],
    ['line\nbreak\r\ttab', "'line\nbreak\r\ttab'"],
    ['\\n\\0', String.raw`'\\n\\0'`],
    ['pässwörd 密码 🔑', "'pässwörd 密码 🔑'"],
  ])('%j -> %j', (value, literal) => {
    expect(sqlString(value)).toBe(literal)
  })

  it.each(HOSTILE)('reads back as %j', (value) => {
    expect(readBackslashQuoted(sqlString(value), "'")).toBe(value)
  })
})

describe('optionFileString', () => {
  it.each([
    ['', '""'],
    ['plain', '"plain"'],
    ['say "hi"', String.raw`"say \"hi\""`],
    ["it's", `"it's"`],
    ['a\\b', String.raw`"a\\b"`],
    ['x\\', String.raw`"x\\"`],
    ['\\"', String.raw`"\\\""`],
    ['#not a comment', '"#not a comment"'],
    ['$HOME', '"$HOME"'],
    ['pässwörd 密码 🔑', '"pässwörd 密码 🔑"'],
  ])('%j -> %j', (value, literal) => {
    expect(optionFileString(value)).toBe(literal)
  })

  it.each(HOSTILE.filter((v) => !/[\n\r]/.test(v)))('reads back as %j', (value) => {
    expect(readBackslashQuoted(optionFileString(value), '"')).toBe(value)
  })
})
