import {mkdtempSync, readFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'

import {RunLogs, StepLog, runDirName, runLogDir} from '../../src/engine/logs.js'

describe('run log paths', () => {
  it('names the run folder by a sortable timestamp', () => {
    const now = new Date('2025-01-31T12:34:56.789Z')
    expect(runDirName(now)).toBe('2025-01-31T12-34-56-789Z')
    expect(runLogDir('/cfg', now)).toBe('/cfg/.lnmp-deploy/runs/2025-01-31T12-34-56-789Z')
  })

  it('puts each step of each host in its own file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'engine-logs-'))
    const log = new RunLogs(dir).stepLog('web01', 'www-user')
    expect(log.path).toBe(join(dir, 'web01', 'www-user.log'))
    log.close()
  })
})

describe('StepLog', () => {
  it('writes commands and output with secrets hidden, even split across chunks', () => {
    const dir = mkdtempSync(join(tmpdir(), 'engine-logs-'))
    const log = new StepLog(join(dir, 'h', 's.log'), ['hunter2'])
    log.command('mysql -p hunter2', ['other'])
    log.output('user pass: hun')
    log.output('ter2\nsecond other line\nno newline')
    log.note('exit 1')
    log.close()
    expect(readFileSync(join(dir, 'h', 's.log'), 'utf8')).toBe(
      ['$ mysql -p ***', 'user pass: ***', 'second *** line', 'no newline', '# exit 1', ''].join('\n'),
    )
  })

  it('keeps the last lines of the latest command for the failure record', () => {
    const log = new StepLog(undefined)
    log.command('first')
    log.output('old\n')
    log.command('second')
    log.output(Array.from({length: 30}, (_, i) => `line ${i + 1}`).join('\n'))
    expect(log.tail(3)).toBe('line 28\nline 29\nline 30')
  })
})
