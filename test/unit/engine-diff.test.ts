import {describe, expect, it} from 'vitest'

import {fileDiff} from '../../src/engine/diff.js'

describe('fileDiff', () => {
  it('is empty when nothing changes', () => {
    expect(fileDiff('/etc/x', 'a\n', 'a\n')).toBe('')
  })

  it('shows a new file against /dev/null', () => {
    expect(fileDiff('/etc/x.conf', undefined, 'a\nb\n')).toBe(
      ['--- /dev/null', '+++ /etc/x.conf', '@@ -0,0 +1,2 @@', '+a', '+b'].join('\n'),
    )
  })

  it('shows a changed line with three lines of context', () => {
    const old = `${['1', '2', '3', '4', '5', '6', '7', '8', '9'].join('\n')}\n`
    const next = `${['1', '2', '3', '4', 'five', '6', '7', '8', '9'].join('\n')}\n`
    expect(fileDiff('/etc/x', old, next)).toBe(
      ['--- /etc/x', '+++ /etc/x', '@@ -2,7 +2,7 @@', ' 2', ' 3', ' 4', '-5', '+five', ' 6', ' 7', ' 8'].join('\n'),
    )
  })

  it('splits distant changes into hunks', () => {
    const lines = Array.from({length: 20}, (_, i) => `l${i + 1}`)
    const next = [...lines]
    next[1] = 'X'
    next[17] = 'Y'
    const diff = fileDiff('/f', `${lines.join('\n')}\n`, `${next.join('\n')}\n`)
    expect(diff.split('\n').filter((l) => l.startsWith('@@'))).toEqual(['@@ -1,5 +1,5 @@', '@@ -15,6 +15,6 @@'])
  })

  it('handles insertions and deletions', () => {
    expect(fileDiff('/f', 'a\nb\nc\n', 'a\nc\nd\n')).toBe(['--- /f', '+++ /f', '@@ -1,3 +1,3 @@', ' a', '-b', ' c', '+d'].join('\n'))
  })

  it('marks a missing final newline', () => {
    expect(fileDiff('/f', 'a\nb', 'a\nb\n')).toBe(
      ['--- /f', '+++ /f', '@@ -1,2 +1,2 @@', ' a', '-b', '\\ No newline at end of file', '+b'].join('\n'),
    )
  })

  it('hides the content of a sensitive file', () => {
    expect(fileDiff('/etc/my.cnf', 'password=old\n', 'password=new\n', {sensitive: true})).toBe(
      ['--- /etc/my.cnf', '+++ /etc/my.cnf', '(content hidden)'].join('\n'),
    )
  })
})
