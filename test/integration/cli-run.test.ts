import {execa} from 'execa'
import {mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, afterEach, beforeAll, describe, expect, it} from 'vitest'

import {acquireLock} from '../../src/engine/lock.js'
import {SshRemote} from '../../src/ssh/connection.js'
import {jsonLines, lnmpDeploy, runSummary, stepEnds} from '../helpers/cli.js'
import {type Sshd, startSshd, SUDO_USER} from '../helpers/sshd.js'

/**
 * The CLI end to end against a real OpenSSH server on loopback. The test machine is disposable: the
 * www-user step really creates www (666) here; runs keep to that step (`--step www-user`), as the others
 * compile for minutes or need systemd as PID 1, which this machine does not have: they are proven on the
 * lab hosts (test/e2e).
 */
let sshd: Sshd
let dir: string
// kept apart from sshd's own dir, which goes when that server stops (the changed-key test restarts it)
let clientKey: string

async function writeConfig(user: string, knownHosts: string): Promise<string> {
  const file = join(dir, `${user}.yml`)
  await writeFile(
    file,
    [
      'version: 1',
      'ssh:',
      `  user: ${user}`,
      `  port: ${sshd.port}`,
      `  identityFile: ${clientKey}`,
      `  knownHosts: ${knownHosts}`,
      '  userKnownHosts: false',
      '  useSshConfig: false',
      'hosts:',
      '  - name: local',
      '    address: 127.0.0.1',
      '    roles: [web]',
      '',
    ].join('\n'),
  )
  return file
}

async function forgetWwwUser(): Promise<void> {
  await execa('sh', ['-c', 'userdel www 2>/dev/null; groupdel www 2>/dev/null; rm -rf /var/lib/lnmp-deploy; true'])
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lnmp-cli-'))
  clientKey = join(dir, 'client_ed25519')
  await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', clientKey])
  sshd = await startSshd({clientKeyPath: clientKey})
  await writeFile(join(dir, 'known_hosts'), `${sshd.knownHostsLine}\n`)
  await forgetWwwUser()
})

afterAll(async () => {
  await sshd?.stop()
  if (dir) await rm(dir, {recursive: true, force: true})
})

describe('run over real SSH', () => {
  it('creates the www user as a sudo user, and a second run changes nothing', async () => {
    const config = await writeConfig(SUDO_USER, 'known_hosts')
    const first = await lnmpDeploy(['run', '-c', config, '--step', 'www-user', '--json'])
    expect(first.stderr).toBe('')
    expect(first.exitCode, first.stdout).toBe(0)
    // every line of --json is one JSON event, and nothing else is on stdout
    const events = jsonLines(first.stdout)
    expect(events[0]?.type).toBe('run-start')
    expect(events.at(-1)?.type).toBe('run-end')
    expect(stepEnds(first.stdout)).toMatchObject([{host: 'local', step: 'www-user', status: 'changed'}])
    const {stdout} = await execa('getent', ['passwd', 'www'])
    expect(stdout).toMatch(/^www:x:666:666:.*:\/usr\/sbin\/nologin$/)

    const second = await lnmpDeploy(['run', '-c', config, '--step', 'www-user', '--json'])
    expect(second.exitCode).toBe(0)
    expect(runSummary(second.stdout).counts.changed).toBe(0)
    expect(stepEnds(second.stdout)).toMatchObject([{step: 'www-user', status: 'unchanged'}])
  })

  it('as root: up to date from the journal, and status says done', async () => {
    const config = await writeConfig('root', 'known_hosts')
    const run = await lnmpDeploy(['run', '-c', config, '--step', 'www-user'])
    expect(run.exitCode, run.stderr).toBe(0)
    expect(run.stdout).toContain('0 changed, 1 unchanged, 0 failed, 0 skipped')
    const status = await lnmpDeploy(['status', '-c', config, '--json'])
    const rows = (JSON.parse(status.stdout) as {hosts: Array<{step: string}>}).hosts
    expect(rows.find((r) => r.step === 'www-user')).toMatchObject({host: 'local', state: 'done', fingerprintMatches: true})
    expect(rows.find((r) => r.step === 'php-source')).toMatchObject({host: 'local', state: 'never run'})
    const verify = await lnmpDeploy(['verify', '-c', config, '--step', 'www-user'])
    expect(verify.exitCode).toBe(0)
    expect(verify.stdout).toMatch(/^local$/m)
    expect(verify.stdout).toMatch(/www-user\s+www-user\s+pass/)
  })

  it('repairs drift: a www user with a login shell is put back', async () => {
    await execa('usermod', ['-s', '/bin/bash', 'www'])
    const config = await writeConfig('root', 'known_hosts')
    const plan = await lnmpDeploy(['plan', '-c', config, '--step', 'www-user'])
    expect(plan.stdout).toContain("set www's shell to /usr/sbin/nologin")
    const run = await lnmpDeploy(['run', '-c', config, '--step', 'www-user', '--json'])
    expect(stepEnds(run.stdout)).toMatchObject([{step: 'www-user', status: 'changed'}])
    expect((await execa('getent', ['passwd', 'www'])).stdout).toMatch(/:\/usr\/sbin\/nologin$/)
  })
})

describe('host keys', () => {
  it('refuses an unknown host key without --accept-new-host-keys, and records it with it', async () => {
    await writeFile(join(dir, 'empty_known_hosts'), '')
    const config = await writeConfig('root', 'empty_known_hosts')
    const refused = await lnmpDeploy(['run', '-c', config, '--step', 'www-user', '--json'])
    expect(refused.exitCode).toBe(4)
    expect(JSON.stringify(runSummary(refused.stdout))).toMatch(/local.*SHA256:/)

    const accepted = await lnmpDeploy(['run', '-c', config, '--step', 'www-user', '--accept-new-host-keys'])
    expect(accepted.exitCode, accepted.stderr + accepted.stdout).toBe(0)
    expect(await readFile(join(dir, 'empty_known_hosts'), 'utf8')).toContain(sshd.hostPublicKey)
  })

  it('always refuses a changed host key, showing both fingerprints', async () => {
    const config = await writeConfig('root', 'known_hosts')
    const port = sshd.port
    await sshd.stop()
    const impostor = await startSshd({port, clientKeyPath: clientKey})
    try {
      for (const extra of [[], ['--accept-new-host-keys']]) {
        const r = await lnmpDeploy(['run', '-c', config, '--step', 'www-user', ...extra])
        expect(r.exitCode).toBe(4)
        expect(r.stdout + r.stderr).toMatch(/local.*changed/i)
        expect((r.stdout + r.stderr).match(/SHA256:[A-Za-z0-9+/]{43}/g)?.length).toBeGreaterThanOrEqual(2)
      }
    } finally {
      await impostor.stop()
      sshd = await startSshd({port, clientKeyPath: clientKey})
      await writeFile(join(dir, 'known_hosts'), `${sshd.knownHostsLine}\n`)
    }
  })
})

describe('locking', () => {
  let release: (() => Promise<void>) | undefined
  afterEach(async () => {
    await release?.()
    release = undefined
  })

  it('refuses a second concurrent run with the lock holder named', async () => {
    const remote = new SshRemote(
      {name: 'local', address: '127.0.0.1', port: sshd.port, user: 'root', identityFiles: [clientKey], identityExplicit: true},
      {projectKnownHosts: join(dir, 'known_hosts'), connectTimeoutMs: 5000, keepaliveMs: 0},
    )
    const lock = await acquireLock(remote, {command: 'lnmp-deploy run (held by the test)'})
    release = async () => {
      await lock.release()
      await remote.close()
    }
    const config = await writeConfig('root', 'known_hosts')
    const r = await lnmpDeploy(['run', '-c', config, '--step', 'www-user', '--json'])
    expect(r.exitCode).toBe(7)
    const failure = JSON.stringify(runSummary(r.stdout))
    expect(failure).toContain('locked by')
    expect(failure).toContain('held by the test')
  })
})

describe('bad input', () => {
  it('an unreachable host is a connection error naming it', async () => {
    const file = join(dir, 'unreachable.yml')
    await writeFile(
      file,
      `version: 1\nssh:\n  port: 1\n  identityFile: ${clientKey}\n  connectTimeoutSeconds: 2\n  userKnownHosts: false\n  useSshConfig: false\nhosts:\n  - name: ghost\n    address: 127.0.0.1\n    roles: [web]\n`,
    )
    const r = await lnmpDeploy(['verify', '-c', file])
    expect(r.exitCode).toBe(4)
    expect(r.stdout + r.stderr).toContain('ghost')
  })

  it('a host name that is shell code never gets past the config', async () => {
    const file = join(dir, 'evil.yml')
    await writeFile(file, "version: 1\nhosts:\n  - name: 'web01; rm -rf /'\n    address: 127.0.0.1\n    roles: [web]\n")
    const r = await lnmpDeploy(['run', '-c', file])
    expect(r.exitCode).toBe(3)
    expect(r.stderr).toMatch(/evil\.yml:3:\d+: hosts\[0\]\.name/)
  })

  it("the seed's PHP 5 flags stop the whole run before any step touches the host", async () => {
    await forgetWwwUser()
    const file = await writeConfig('root', join(dir, 'known_hosts'))
    await writeFile(file, `${await readFile(file, 'utf8')}php:\n  version: 8.2.32\n  flags: [--enable-fpm, --with-mcrypt, --with-gd]\n`)
    const r = await lnmpDeploy(['run', '-c', file])
    expect(r.exitCode, r.stderr).toBe(3)
    expect(r.stderr).toContain('nothing was changed on any host')
    expect(r.stderr).toContain('local php-source')
    expect(r.stderr).toContain('--with-mcrypt: removed in PHP 7.2')
    expect(r.stderr).toContain('--with-gd: removed in PHP 7.4')
    // www-user and build-deps come first in a run: neither ran, and no journal or lock was written
    const left = await execa('sh', ['-c', 'getent passwd www; ls /var/lib/lnmp-deploy 2>/dev/null'], {reject: false})
    expect(left.stdout).toBe('')
  })

  it('retire refuses a host the config still lists, and an address of a member, before connecting anywhere', async () => {
    const config = await writeConfig('root', 'known_hosts')
    const member = await lnmpDeploy(['retire', 'local', '--address', '10.9.9.9', '-c', config])
    expect(member.exitCode).toBe(3)
    expect(member.stderr).toContain("retire local: local is still one of the config's hosts")
    expect(member.stderr).toContain('remove local from hosts in the config first')
    const address = await lnmpDeploy(['retire', 'web09', '--address', '127.0.0.1', '-c', config])
    expect(address.exitCode).toBe(3)
    expect(address.stderr).toContain("retire web09: 127.0.0.1 is local's address in the config")
  })

  it('retire reaches a removed host only with a host key known_hosts already has: an unknown one is refused', async () => {
    const config = await writeConfig('root', 'known_hosts')
    // the same server under a name known_hosts has no key for
    const r = await lnmpDeploy(['retire', 'web09', '--address', 'localhost', '-c', config])
    expect(r.exitCode).toBe(4)
    expect(r.stderr).toContain('web09')
    expect(r.stderr).toMatch(/host key/i)
  })

  it('a missing config file says how to make one', async () => {
    const r = await lnmpDeploy(['plan', '-c', join(dir, 'nope.yml')])
    expect(r.exitCode).toBe(3)
    expect(r.stderr).toContain('lnmp-deploy init')
  })
})
