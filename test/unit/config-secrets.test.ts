import {mkdtemp, rm, writeFile} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {parseConfig} from '../../src/config/load.js'
import {envNameFor, findSecretRefs, parseSecretRef, resolveSecrets} from '../../src/config/secrets.js'
import {redact} from '../../src/redact.js'
import {ConfigError} from '../../src/errors.js'

const TEXT = `version: 1
ssh:
  sudoPassword: \${prompt}
hosts:
  - name: web01
    address: 10.0.0.7
    roles: [web]
database:
  rootPassword: \${file:secrets/root.txt}
  appPassword: \${env:APP_PW}
`

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'lnmp-secrets-'))
  await writeFile(path.join(dir, 'root.txt'), 'r00t-pw\n')
})
afterAll(async () => {
  await rm(dir, {recursive: true, force: true})
})

function loaded(text = TEXT) {
  return parseConfig(text.replace('secrets/root.txt', path.join(dir, 'root.txt')), path.join(dir, 'lnmp-deploy.yml'))
}

describe('parseSecretRef', () => {
  it('reads the three kinds and nothing else', () => {
    expect(parseSecretRef('${env:DB_PW}')).toEqual({kind: 'env', name: 'DB_PW'})
    expect(parseSecretRef('${file:~/pw}')).toEqual({kind: 'file', path: '~/pw'})
    expect(parseSecretRef('${prompt}')).toEqual({kind: 'prompt'})
    expect(parseSecretRef('hunter2')).toBeUndefined()
    expect(parseSecretRef('${env:1X}')).toBeUndefined()
  })
})

describe('envNameFor', () => {
  it('turns a key path into an env var name', () => {
    expect(envNameFor('database.appPassword')).toBe('LNMP_DATABASE_APP_PASSWORD')
    expect(envNameFor('ssh.sudoPassword')).toBe('LNMP_SSH_SUDO_PASSWORD')
  })
})

describe('findSecretRefs', () => {
  it('finds every reference by dotted key path', () => {
    expect([...findSecretRefs(loaded().config).keys()].sort()).toEqual([
      'database.appPassword',
      'database.rootPassword',
      'ssh.sudoPassword',
    ])
  })
})

describe('resolveSecrets', () => {
  it('resolves env, file (without its final newline) and prompt', async () => {
    const asked: string[] = []
    const values = await resolveSecrets(loaded(), {
      env: {APP_PW: 'app-pw'},
      interactive: true,
      askPassword: async (message) => {
        asked.push(message)
        return 'sudo-pw'
      },
    })
    expect(Object.fromEntries(values)).toEqual({
      'ssh.sudoPassword': 'sudo-pw',
      'database.rootPassword': 'r00t-pw',
      'database.appPassword': 'app-pw',
    })
    expect(asked).toEqual(['Secret for ssh.sudoPassword'])
  })

  it('names the key path, the variable and the place in the file when an env var is missing', async () => {
    const error = await resolveSecrets(loaded(), {env: {}, interactive: true, askPassword: async () => 'x'}).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ConfigError)
    expect((error as ConfigError).message).toBe(
      `${path.join(dir, 'lnmp-deploy.yml')}:10:16: database.appPassword: environment variable APP_PW is not set`,
    )
    expect((error as ConfigError).hint).toBe('export APP_PW=... before running lnmp-deploy')
  })

  it('refuses ${prompt} without a terminal and suggests an env var', async () => {
    const error = await resolveSecrets(loaded(), {env: {APP_PW: 'x'}, interactive: false}).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ConfigError)
    expect((error as ConfigError).message).toContain(':3:17: ssh.sudoPassword: is ${prompt} but stdin is not a terminal')
    expect((error as ConfigError).hint).toContain('${env:LNMP_SSH_SUDO_PASSWORD}')
  })

  it('names a missing secret file', async () => {
    const text = TEXT.replace('ssh:\n  sudoPassword: ${prompt}\n', '').replace('secrets/root.txt', 'missing.txt')
    const config = parseConfig(text, path.join(dir, 'lnmp-deploy.yml'))
    await expect(resolveSecrets(config, {env: {APP_PW: 'x'}})).rejects.toThrow(
      `database.rootPassword: cannot read secret file ${path.join(dir, 'missing.txt')}`,
    )
  })
})

describe('redact', () => {
  it('hides every occurrence, longest secret first', () => {
    expect(redact('pw=abc123 again abc123 and abc', ['abc', 'abc123'])).toBe('pw=*** again *** and ***')
    expect(redact('nothing here', ['', 'zzz'])).toBe('nothing here')
  })
})
