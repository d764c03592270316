import {screen} from '@inquirer/testing/vitest'
import {existsSync} from 'node:fs'
import {mkdtemp, readFile, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
// after @inquirer/testing/vitest, so the wizard's prompts render to its screen
import {loadConfig} from '../../src/config/load.js'
import {ExitCode, HostKeyError} from '../../src/errors.js'
import {runInit, type InitRequest} from '../../src/services/init.js'
import {realInitDeps} from '../../src/services/init-deps.js'
import {fingerprintSha256} from '../../src/ssh/known-hosts.js'
import {startSshd, type Sshd} from '../helpers/sshd.js'

/**
 * The prompted path of `init`, answered key by key on @inquirer/testing's screen, against a real sshd on
 * 127.0.0.1: the fingerprint shown is the one the server's key really has.
 */
let sshd: Sshd
let dir: string
beforeAll(async () => {
  sshd = await startSshd()
  dir = await mkdtemp(join(tmpdir(), 'lnmp-init-prompted-'))
})
afterAll(async () => {
  await sshd?.stop()
  await rm(dir, {recursive: true, force: true})
})

function request(cwd: string): InitRequest {
  return {flags: {}, yes: false, output: 'lnmp-deploy.yml', force: false, connect: true, acceptNewHostKeys: false, bin: 'lnmp-deploy', cwd}
}

async function answer(text: string): Promise<void> {
  if (text !== '') screen.type(text)
  screen.keypress('enter')
  await screen.next()
}

/**
 * Every question up to the host key: the lab preset, all hosts on the test sshd, sessions on db01 and a
 * dedicated cache01 (issue 10's HA layout, on the test sshd too), PHP 8.3.4 (typed in: the list offers the table's).
 */
async function answerWizard(): Promise<void> {
  expect(screen.getScreen()).toContain('Which topology?')
  screen.keypress('down')
  await answer('')
  expect(screen.getScreen()).toContain('Address of lb01 (lb)')
  // a value that would be shell code is refused in place
  await answer('lb01; reboot')
  expect(screen.getScreen()).toContain('must be a DNS name or an IP address')
  for (let i = 0; i < 'lb01; reboot'.length; i++) screen.keypress('backspace')
  await answer('127.0.0.1')
  expect(screen.getScreen()).toContain('Address of web01 (web)')
  await answer('127.0.0.1')
  await answer('127.0.0.1')
  expect(screen.getScreen()).toContain('Address of db01 (db + cache)')
  await answer('127.0.0.1')
  expect(screen.getScreen()).toContain('Where do PHP sessions live?')
  expect(screen.getScreen()).toContain("db01 only (the procedure's layout")
  screen.keypress('down')
  await answer('')
  expect(screen.getScreen()).toContain('Name of the cache host')
  await answer('') // cache01
  expect(screen.getScreen()).toContain('Address of cache01 (cache)')
  await answer('127.0.0.1')
  expect(screen.getScreen()).toContain('SSH user')
  await answer('')
  await answer(String(sshd.port))
  expect(screen.getScreen()).toContain('SSH identity file')
  await answer(sshd.clientKeyPath)
  await answer('') // nginx version
  expect(screen.getScreen()).toContain('PHP version')
  // a list of the table's verified versions; 8.3.4 is not one: "another version", then typed in
  expect(screen.getScreen()).toContain('8.4.24 (supported until')
  for (let i = 0; i < 3; i++) screen.keypress('down')
  await answer('')
  expect(screen.getScreen()).toContain('PHP version to build')
  await answer('8.3.4')
  expect(screen.getScreen()).toContain('PHP session handler')
  await answer('')
  await answer('') // app
  expect(screen.getScreen()).toContain('database.rootPassword')
  await answer('')
  await answer('SHOP_DB_PASSWORD')
  expect(screen.getScreen()).toContain('Connect to each host now')
  await answer('')
}

describe('init, prompted', () => {
  it('shows the real SHA256 fingerprint once, records the confirmed key and writes the config', async () => {
    const cwd = await mkdtemp(join(dir, 'yes-'))
    const done = runInit(request(cwd), realInitDeps())
    await answerWizard()
    const fingerprint = fingerprintSha256(sshd.hostPublicKey)
    expect(screen.getScreen()).toContain(`lb01 (127.0.0.1:${sshd.port}) presents ${sshd.hostKeyType} key ${fingerprint}`)
    screen.type('y')
    screen.keypress('enter')
    const result = await done

    expect(result.recordedKeys).toBe(1)
    expect(await readFile(join(cwd, 'known_hosts'), 'utf8')).toBe(`${sshd.knownHostsLine} lnmp-deploy:lb01\n`)
    expect(result.facts.map((f) => f.host)).toEqual(['lb01', 'web01', 'web02', 'db01', 'cache01'])
    expect(result.facts[0]?.facts.cores).toBeGreaterThan(0)
    const {config} = await loadConfig(join(cwd, 'lnmp-deploy.yml'))
    expect(config.hosts.map((h) => `${h.name}=${h.address}:${h.roles.join('+')}`)).toEqual([
      'lb01=127.0.0.1:lb',
      'web01=127.0.0.1:web',
      'web02=127.0.0.1:web',
      'db01=127.0.0.1:db+cache',
      'cache01=127.0.0.1:cache',
    ])
    expect(await readFile(join(cwd, 'lnmp-deploy.yml'), 'utf8')).toContain('# 2 stores: every session is written to each')
    expect(config.ssh).toMatchObject({user: 'root', port: sshd.port, identityFile: sshd.clientKeyPath})
    expect(config.php.version).toBe('8.3.4')
    expect(config.database.appPassword).toBe('${env:SHOP_DB_PASSWORD}')
    expect(result.command).toBe(
      `lnmp-deploy init --yes --preset lab --host lb01=127.0.0.1 --host web01=127.0.0.1 --host web02=127.0.0.1 --host db01=127.0.0.1 ` +
        `--cache-host cache01=127.0.0.1 --user root --port ${sshd.port} --identity-file ${sshd.clientKeyPath} --nginx-version 1.26.3 --php-version 8.3.4 ` +
        '--session-handler memcache --app session-demo --db-root-password-env LNMP_DATABASE_ROOT_PASSWORD ' +
        '--db-app-password-env SHOP_DB_PASSWORD',
    )
  })

  it('a refused fingerprint aborts with exit code 4 and writes nothing', async () => {
    const cwd = await mkdtemp(join(dir, 'no-'))
    const done = runInit(request(cwd), realInitDeps()).catch((error: unknown) => error)
    await answerWizard()
    expect(screen.getScreen()).toContain(fingerprintSha256(sshd.hostPublicKey))
    // the default is no: a stray enter must not trust a key
    screen.keypress('enter')
    const error = await done
    expect(error).toBeInstanceOf(HostKeyError)
    expect((error as HostKeyError).exitCode).toBe(ExitCode.connection)
    expect((error as HostKeyError).message).toContain('lb01: host key SHA256:')
    expect(existsSync(join(cwd, 'lnmp-deploy.yml'))).toBe(false)
    expect(existsSync(join(cwd, 'known_hosts'))).toBe(false)
  })
})
