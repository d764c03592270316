import {mkdtemp, rm, writeFile} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {loadConfig, parseConfig, formatKeyPath} from '../../src/config/load.js'
import {ConfigError, ExitCode} from '../../src/errors.js'

const VALID = `version: 1
hosts:
  - name: web01
    address: 10.0.0.7
    roles: [web]
`

function problemsOf(text: string): string {
  try {
    parseConfig(text, 'c.yml')
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError)
    expect((error as ConfigError).exitCode).toBe(ExitCode.config)
    return (error as Error).message
  }
  throw new Error('expected a ConfigError')
}

describe('parseConfig', () => {
  it('fills in defaults for a minimal config', () => {
    const {config, path: file, dir} = parseConfig(VALID, '/x/y/c.yml')
    expect(file).toBe('/x/y/c.yml')
    expect(dir).toBe('/x/y')
    expect(config.ssh.user).toBe('root')
    expect(config.ssh.port).toBe(22)
    expect(config.prefix).toBe('/application')
    expect(config.hosts).toEqual([{name: 'web01', address: '10.0.0.7', roles: ['web']}])
  })

  it('reports an unknown key at the key itself, with its path', () => {
    expect(problemsOf(`${VALID}colour: blue\n`)).toContain('c.yml:6:1: colour: unknown key')
    const nested = VALID.replace('    roles: [web]\n', '    roles: [web]\n    pasword: x\n')
    expect(problemsOf(nested)).toContain('c.yml:6:5: hosts[0].pasword: unknown key')
  })

  it('reports a wrong type at the value', () => {
    const text = VALID.replace('    roles: [web]\n', '    roles: [web]\n    port: "22"\n')
    expect(problemsOf(text)).toContain('c.yml:6:11: hosts[0].port: expected number, received string')
  })

  it('reports a bad value such as a host name that is shell code', () => {
    const text = VALID.replace('name: web01', 'name: "web01; rm -rf /"')
    expect(problemsOf(text)).toContain('c.yml:3:11: hosts[0].name: must be a host name (letters, digits, inner dashes)')
  })

  it('reports a missing key at the map that lacks it', () => {
    const text = `version: 1\nhosts:\n  - name: web01\n    roles: [web]\n`
    expect(problemsOf(text)).toContain('c.yml:3:5: hosts[0].address: missing (expected string)')
  })

  it('reports duplicate host names at the second one', () => {
    const text = `${VALID}  - name: web01\n    address: 10.0.0.8\n    roles: [web]\n`
    expect(problemsOf(text)).toContain('c.yml:6:11: hosts[1].name: duplicate host name web01')
  })

  it('lists every problem at once, in file order, and counts them', () => {
    const text = `version: 2\nbogus: 1\nhosts:\n  - name: "a b"\n    address: 10.0.0.7\n    roles: [wbe]\n`
    const message = problemsOf(text)
    expect(message.split('\n')).toEqual([
      'c.yml is not a valid lnmp-deploy config (4 problems):',
      '  c.yml:1:10: version: expected 1',
      '  c.yml:2:1: bogus: unknown key',
      '  c.yml:4:11: hosts[0].name: must be a host name (letters, digits, inner dashes)',
      '  c.yml:6:13: hosts[0].roles[0]: expected one of "lb"|"web"|"db"|"cache"',
    ])
  })

  it('reports YAML syntax errors with line and column', () => {
    expect(problemsOf('version: 1\nhosts: [\n  - name: x\n')).toMatch(/c\.yml:\d+:\d+: /)
    expect(problemsOf('version: 1\nversion: 1\nhosts: []\n')).toContain('c.yml:2:1: Map keys must be unique')
  })

  it('reports an empty file at the top level', () => {
    expect(problemsOf('')).toContain('c.yml:1:1: (top level): expected object, received null')
  })

  it('locates key paths for later errors', () => {
    const loaded = parseConfig(VALID, 'c.yml')
    expect(loaded.locate(['hosts', 0, 'address'])).toBe('c.yml:4:14')
    // a key that is not in the file: its nearest parent that is
    expect(loaded.locate(['hosts', 0, 'port'])).toBe('c.yml:3:5')
  })
})

describe('formatKeyPath', () => {
  it('reads like code', () => {
    expect(formatKeyPath(['hosts', 2, 'roles', 0])).toBe('hosts[2].roles[0]')
    expect(formatKeyPath(['database', 'appPassword'])).toBe('database.appPassword')
    expect(formatKeyPath([])).toBe('(top level)')
  })
})

describe('loadConfig', () => {
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'lnmp-config-load-'))
  })
  afterAll(async () => {
    await rm(dir, {recursive: true, force: true})
  })

  it('reads a file and resolves its path and directory', async () => {
    const file = path.join(dir, 'lnmp-deploy.yml')
    await writeFile(file, VALID)
    const loaded = await loadConfig(file)
    expect(loaded.path).toBe(file)
    expect(loaded.dir).toBe(dir)
    expect(loaded.config.hosts[0]?.name).toBe('web01')
  })

  it('names the file and suggests init when it is missing', async () => {
    const file = path.join(dir, 'nope.yml')
    const error = await loadConfig(file).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ConfigError)
    expect((error as ConfigError).message).toBe(`${file}: no such config file`)
    expect((error as ConfigError).hint).toContain('lnmp-deploy init')
  })

  it('names the absolute file in validation errors', async () => {
    const file = path.join(dir, 'bad.yml')
    await writeFile(file, `${VALID}extra: 1\n`)
    await expect(loadConfig(file)).rejects.toThrow(`${file}:6:1: extra: unknown key`)
  })
})
