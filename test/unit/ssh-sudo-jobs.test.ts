import {describe, expect, it} from 'vitest'

import {jobHash, jobScript, parseResultOutput, parseStartOutput, validateJobId} from '../../src/ssh/jobs.js'
import {redact} from '../../src/redact.js'
import {modeFromProbe, sudoRefusal, wrapCommand} from '../../src/ssh/sudo.js'

describe('wrapCommand', () => {
  it('runs as is for root or without sudo, cwd quoted', () => {
    expect(wrapCommand('make install', {sudo: true, mode: 'root', cwd: '/usr/src/a b'})).toEqual({
      command: "cd '/usr/src/a b' && make install",
      stdinPrefix: '',
    })
    expect(wrapCommand('id', {mode: 'nopasswd'})).toEqual({command: 'id', stdinPrefix: ''})
  })

  it('uses sudo -n, or sudo -S with the password on stdin only', () => {
    expect(wrapCommand("echo 'x'", {sudo: true, mode: 'nopasswd'})).toEqual({
      command: `sudo -n -- sh -c 'echo '"'"'x'"'"''`,
      stdinPrefix: '',
    })
    const withPw = wrapCommand('id', {sudo: true, mode: 'password', password: 'p w'})
    expect(withPw).toEqual({command: "sudo -S -k -p '' -- sh -c id", stdinPrefix: 'p w\n'})
    expect(withPw.command).not.toContain('p w')
  })
})

describe('sudo probe and refusals', () => {
  it('reads the probe', () => {
    expect(modeFromProbe('0\n')).toEqual({mode: 'root'})
    expect(modeFromProbe('1001\nsudo-ok\n')).toEqual({mode: 'nopasswd'})
    expect(modeFromProbe('1002\nsudo: a password is required\n')).toEqual({mode: undefined, detail: 'sudo: a password is required'})
  })

  it('names why sudo refused', () => {
    expect(sudoRefusal('sudo: a password is required')).toBe('sudo needs a password')
    expect(sudoRefusal('sudo: 1 incorrect password attempt')).toBe('the sudo password was rejected')
    expect(sudoRefusal('bob is not in the sudoers file.  This incident will be reported.')).toBe('is not allowed to use sudo')
    expect(sudoRefusal('make: *** [all] Error 2')).toBeUndefined()
  })
})

describe('redact', () => {
  it('hides every secret, longest first', () => {
    expect(redact('pw=abc abcdef', ['abc', 'abcdef'])).toBe('pw=*** ***')
    expect(redact('nothing', [])).toBe('nothing')
  })
})

describe('job helpers', () => {
  it('validates ids', () => {
    expect(() => validateJobId('php-8.2.29_build')).not.toThrow()
    for (const bad of ['..', 'a/b', 'A', 'x y', '']) expect(() => validateJobId(bad)).toThrow('invalid job id')
  })

  it('hashes command and cwd together', () => {
    expect(jobHash('make', '/a')).toBe(jobHash('make', '/a'))
    expect(jobHash('make', '/a')).not.toBe(jobHash('make', '/b'))
    expect(jobHash('make', undefined)).toMatch(/^[a-f0-9]{64}$/)
  })

  it('writes the job script with a failing cd first', () => {
    expect(jobScript('make -j2', '/usr/src/php')).toBe('cd /usr/src/php || exit 1\nmake -j2\n')
    expect(jobScript('true', undefined)).toBe('true\n')
  })

  it('parses the start and result outputs', () => {
    expect(parseStartOutput('running 42 /var/lib/lnmp-deploy/jobs/x\n')).toEqual({
      state: 'running',
      pid: 42,
      dir: '/var/lib/lnmp-deploy/jobs/x',
    })
    expect(() => parseStartOutput('garbage')).toThrow('unexpected job start output')
    expect(parseResultOutput('3\n--lnmp-deploy-job-log--\nlast\n')).toEqual({code: 3, outputTail: 'last\n'})
    expect(parseResultOutput('lost\n--lnmp-deploy-job-log--\n')).toEqual({code: undefined, outputTail: ''})
  })
})
