import {execFile} from 'node:child_process'
import {existsSync} from 'node:fs'
import {mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {promisify} from 'node:util'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {loadConfig} from '../../src/config/load.js'
import {ExitCode} from '../../src/errors.js'
import {fingerprintSha256} from '../../src/ssh/known-hosts.js'
import {startSshd, type Sshd} from '../helpers/sshd.js'

/** `init --yes` through the built CLI (bin/run.js loads dist/, which `npm test` builds first). */
const ROOT = join(import.meta.dirname, '..', '..')
const BIN = join(ROOT, 'bin', 'run.js')
const run = promisify(execFile)

async function cli(cwd: string, args: string[]): Promise<{code: number; stdout: string; stderr: string}> {
  try {
    const {stdout, stderr} = await run(process.execPath, [BIN, ...args], {cwd, env: {...process.env, NO_COLOR: '1'}})
    return {code: 0, stdout, stderr}
  } catch (error) {
    const e = error as {code?: number; stdout?: string; stderr?: string}
    return {code: e.code ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? ''}
  }
}

// every host on loopback: nothing in these tests may reach another address
const LOOPBACK_HOSTS = ['lb01', 'web01', 'web02', 'db01'].flatMap((h) => ['--host', `${h}=127.0.0.1`])

let dir: string
beforeAll(async () => {
  if (!existsSync(join(ROOT, 'dist', 'commands', 'init.js'))) await run('npm', ['run', 'build'], {cwd: ROOT})
  dir = await mkdtemp(join(tmpdir(), 'lnmp-init-yes-'))
})
afterAll(async () => {
  await rm(dir, {recursive: true, force: true})
})

describe('init --yes --no-connect', () => {
  it('writes a valid config from flags, prints the equivalent command, and that command writes the same file', async () => {
    const first = await mkdtemp(join(dir, 'a-'))
    const args = [
      'init',
      '--yes',
      '--preset',
      'tutorial',
      '--host',
      'web01=192.0.2.7',
      '--user',
      'deploy',
      '--port',
      '2222',
      '--php-version',
      '8.3.4',
      '--session-handler',
      'memcached',
      '--app',
      'phpmyadmin',
      '--no-connect',
    ]
    const result = await cli(first, args)
    expect(result.stderr).not.toContain('Error')
    expect(result.code).toBe(0)

    const loaded = await loadConfig(join(first, 'lnmp-deploy.yml'))
    expect(loaded.config.hosts.map((h) => [h.name, h.address, h.privateAddress])).toEqual([
      ['lb01', '10.0.0.5', '172.16.1.5'],
      ['web01', '192.0.2.7', undefined],
      ['web02', '10.0.0.8', '172.16.1.8'],
      ['db01', '10.0.0.51', '172.16.1.51'],
    ])
    expect(loaded.config.ssh).toMatchObject({user: 'deploy', port: 2222})
    expect(loaded.config.php.version).toBe('8.3.4')
    expect(loaded.config.session.handler).toBe('memcached')
    expect(loaded.config.database.appPassword).toBe('${env:LNMP_DATABASE_APP_PASSWORD}')
    expect(existsSync(join(first, 'known_hosts'))).toBe(false)

    const lines = result.stdout.trim().split('\n')
    expect(lines).toContain(`wrote ${join(first, 'lnmp-deploy.yml')}`)
    const command = lines.at(-1)!.trim()
    expect(
      command.startsWith(
        'lnmp-deploy init --yes --preset tutorial --host lb01=10.0.0.5 --private-address lb01=172.16.1.5 --host web01=192.0.2.7 ',
      ),
    ).toBe(true)
    expect(command.endsWith(' --no-connect')).toBe(true)

    // the printed line, run as printed (no value needs quoting here), gives the very same file
    const second = await mkdtemp(join(dir, 'b-'))
    const again = await cli(second, command.split(' ').slice(1))
    expect(again.code).toBe(0)
    expect(await readFile(join(second, 'lnmp-deploy.yml'), 'utf8')).toBe(await readFile(join(first, 'lnmp-deploy.yml'), 'utf8'))
  })

  it('refuses to overwrite without --force, and overwrites with it', async () => {
    const cwd = await mkdtemp(join(dir, 'c-'))
    await writeFile(join(cwd, 'mine.yml'), 'keep me\n')
    const refused = await cli(cwd, ['init', '--yes', '--no-connect', '-o', 'mine.yml'])
    expect(refused.code).toBe(ExitCode.config)
    expect(refused.stderr).toContain('mine.yml already exists')
    expect(refused.stderr).toContain('--force')
    expect(await readFile(join(cwd, 'mine.yml'), 'utf8')).toBe('keep me\n')

    const forced = await cli(cwd, ['init', '--yes', '--no-connect', '-o', 'mine.yml', '--force', '--preset', 'lab'])
    expect(forced.code).toBe(0)
    expect((await loadConfig(join(cwd, 'mine.yml'))).config.hosts[0]?.address).toBe('10.77.0.11')
  })

  it.each([
    [['--host', 'web01; rm -rf /=10.0.0.7'], ExitCode.config, '--host "web01; rm -rf /": must be a host name'],
    [['--host', 'web01=$(reboot)'], ExitCode.config, 'must be a DNS name or an IP address'],
    [['--host', 'web07=10.0.0.7'], ExitCode.config, 'preset tutorial has no host "web07"'],
    [['--php-version', 'latest'], ExitCode.config, '--php-version "latest": must be a version such as 8.2.32'],
    [['--db-root-password-env', 'my password'], ExitCode.config, 'must be an environment variable name'],
    [['--preset', 'prod'], ExitCode.usage, 'Expected --preset=prod to be one of: tutorial, lab'],
    [['--port', 'ssh'], ExitCode.usage, 'Expected an integer but received: ssh'],
  ])('refuses %j with exit %i and writes nothing', async (bad, code, message) => {
    const cwd = await mkdtemp(join(dir, 'bad-'))
    const result = await cli(cwd, ['init', '--yes', '--no-connect', ...bad])
    expect(result.code).toBe(code)
    expect(result.stderr).toContain(message)
    expect(existsSync(join(cwd, 'lnmp-deploy.yml'))).toBe(false)
  })

  it('will not ask questions without a terminal', async () => {
    const cwd = await mkdtemp(join(dir, 'tty-'))
    const result = await cli(cwd, ['init'])
    expect(result.code).toBe(ExitCode.usage)
    expect(result.stderr).toContain('pass --yes with flags')
  })
})

describe('init --yes against a real sshd on 127.0.0.1', () => {
  let sshd: Sshd
  beforeAll(async () => {
    sshd = await startSshd()
  })
  afterAll(async () => {
    await sshd?.stop()
  })

  it('refuses an unknown host key without --accept-new-host-keys, writing nothing', async () => {
    const cwd = await mkdtemp(join(dir, 'refuse-'))
    const args = ['init', '--yes', '--preset', 'lab', ...LOOPBACK_HOSTS, '--port', String(sshd.port), '--identity-file', sshd.clientKeyPath]
    const result = await cli(cwd, args)
    expect(result.code).toBe(ExitCode.connection)
    expect(result.stderr).toContain(`lb01: host key ${fingerprintSha256(sshd.hostPublicKey)} is not known and --yes cannot ask`)
    expect(result.stderr).toContain('--accept-new-host-keys')
    expect(existsSync(join(cwd, 'lnmp-deploy.yml'))).toBe(false)
    expect(existsSync(join(cwd, 'known_hosts'))).toBe(false)
  })

  it('with --accept-new-host-keys records the key once, detects the OS and cores, and writes the config', async () => {
    const cwd = await mkdtemp(join(dir, 'accept-'))
    const args = [
      'init',
      '--yes',
      '--preset',
      'lab',
      ...LOOPBACK_HOSTS,
      '--port',
      String(sshd.port),
      '--identity-file',
      sshd.clientKeyPath,
      '--accept-new-host-keys',
    ]
    const result = await cli(cwd, args)
    expect(result.stderr).not.toContain('Error')
    expect(result.code).toBe(0)

    const knownHosts = await readFile(join(cwd, 'known_hosts'), 'utf8')
    expect(knownHosts).toBe(`[127.0.0.1]:${sshd.port} ${sshd.hostKeyType} ${sshd.hostPublicKey} lnmp-deploy:lb01\n`)
    expect(result.stdout).toContain(`recorded 1 host key in ${join(cwd, 'known_hosts')}`)

    const osId = /^ID=(.*)$/m.exec(await readFile('/etc/os-release', 'utf8'))?.[1]?.replaceAll('"', '')
    const {stdout: cores} = await run('nproc')
    expect(result.stdout).toContain(`web01: ${osId} `)
    expect(result.stdout).toContain(`, ${cores.trim()} core`)
    const text = await readFile(join(cwd, 'lnmp-deploy.yml'), 'utf8')
    expect(text).toMatch(new RegExp(`- name: db01 # ${osId} .*${cores.trim()} cores? \\(detected by init\\)`))
    expect((await loadConfig(join(cwd, 'lnmp-deploy.yml'))).config.ssh.port).toBe(sshd.port)

    // a second init finds the key already known: nothing to accept, nothing appended
    const again = await cli(cwd, [...args.filter((a) => a !== '--accept-new-host-keys'), '--force'])
    expect(again.code).toBe(0)
    expect(await readFile(join(cwd, 'known_hosts'), 'utf8')).toBe(knownHosts)
  })
})
