import {createHash, randomBytes} from 'node:crypto'
import {mkdir, mkdtemp, readFile, readdir, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {ConnectionError, ExitCode} from '../../src/errors.js'
import {SshRemote, type SshRemoteOptions} from '../../src/ssh/connection.js'
import {RemoteCommandError} from '../../src/ssh/remote.js'
import {NO_SUDO_USER, SUDO_PASSWORD, SUDO_PASSWORD_USER, SUDO_USER, freePort, startSshd, type Sshd} from '../helpers/sshd.js'

let sshd: Sshd
let dir: string
let knownHosts: string
const remotes: SshRemote[] = []

function remote(user: string, extra: Partial<SshRemoteOptions> = {}, port?: number): SshRemote {
  const r = new SshRemote(
    {name: 'web01', address: sshd.host, port: port ?? sshd.port, user, identityFiles: [sshd.clientKeyPath], identityExplicit: true},
    {projectKnownHosts: knownHosts, connectTimeoutMs: 5000, keepaliveMs: 5000, ...extra},
  )
  remotes.push(r)
  return r
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lnmp-ssh-remote-'))
  sshd = await startSshd()
  knownHosts = join(dir, 'known_hosts')
  await writeFile(knownHosts, `${sshd.knownHostsLine}\n`)
})

afterAll(async () => {
  for (const r of remotes) await r.close()
  await sshd?.stop()
  await rm(dir, {recursive: true, force: true})
})

describe('exec and run', () => {
  it('runs as root, reusing one connection, with stdin, cwd and exit codes', async () => {
    const r = remote('root')
    expect((await r.exec('id -un')).stdout.trim()).toBe('root')
    expect(await r.exec('cat; exit 3', {stdin: 'in put'})).toEqual({code: 3, stdout: 'in put', stderr: ''})
    expect((await r.exec('pwd', {cwd: '/usr/share'})).stdout.trim()).toBe('/usr/share')
    expect((await r.exec('id -u', {sudo: true})).stdout.trim()).toBe('0')
    // one connection: every command's shell is a child of the same per-connection sshd process
    const a = (await r.exec('echo $PPID')).stdout
    const b = (await r.exec('echo $PPID')).stdout
    expect(a).toMatch(/^\d+\n$/)
    expect(b).toBe(a)
    expect((await remote('root').exec('echo $PPID')).stdout).not.toBe(a)
  })

  it('queues what one connection cannot open yet: 30 commands at once, none lost, the connection kept', async () => {
    // more at once than OpenSSH lets one connection have (MaxSessions 10), as a run's checks of 23 web hosts do
    const r = remote('root')
    const pid = (await r.exec('echo $PPID')).stdout
    const results = await Promise.all(Array.from({length: 30}, (_, i) => r.exec(`sleep 0.1; echo ${i}`)))
    expect(results.map((x) => x.stdout.trim())).toEqual(Array.from({length: 30}, (_, i) => String(i)))
    expect((await r.exec('echo $PPID')).stdout).toBe(pid)
  })

  it('asks again for a channel the server refused (sshd counts a session until it reaped it), on the same connection', async () => {
    const strict = await startSshd({maxSessions: 2, clientKeyPath: sshd.clientKeyPath})
    try {
      await writeFile(knownHosts, `${sshd.knownHostsLine}\n${strict.knownHostsLine}\n`)
      const r = remote('root', {}, strict.port)
      const pid = (await r.exec('echo $PPID')).stdout
      // 8 at once where the server allows 2: the others are refused, waited for and asked again
      const results = await Promise.all(Array.from({length: 8}, (_, i) => r.exec(`sleep 0.2; echo ${i}`)))
      expect(results.map((x) => x.stdout.trim())).toEqual(Array.from({length: 8}, (_, i) => String(i)))
      expect((await r.exec('echo $PPID')).stdout).toBe(pid)
      expect(strict.log()).toMatch(/MaxSessions|no more sessions/i)
    } finally {
      await strict.stop()
      await writeFile(knownHosts, `${sshd.knownHostsLine}\n`)
    }
  })

  it('streams output as it arrives', async () => {
    const chunks: string[] = []
    await remote('root').exec('echo one; sleep 0.3; echo two >&2', {onOutput: (c, s) => chunks.push(`${s}:${c}`)})
    expect(chunks).toEqual(['stdout:one\n', 'stderr:two\n'])
  })

  it('run rejects with the host and the command, secrets replaced by ***', async () => {
    const error = await remote('root')
      .run("echo 'password is s3cret-value' >&2; exit 4", {secretValues: ['s3cret-value']})
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(RemoteCommandError)
    const message = (error as Error).message
    expect(message).toContain('web01: command failed with exit code 4')
    expect(message).toContain('password is ***')
    expect(message).not.toContain('s3cret-value')
  })

  it('times out a command with code 124', async () => {
    const result = await remote('root').exec('sleep 5', {timeoutMs: 300})
    expect(result.code).toBe(124)
  })
})

describe('sudo', () => {
  it('uses sudo -n for a NOPASSWD user, with cwd and stdin inside the root shell', async () => {
    const r = remote(SUDO_USER)
    expect((await r.exec('id -un')).stdout.trim()).toBe(SUDO_USER)
    expect((await r.exec('id -un; pwd; cat', {sudo: true, cwd: '/etc', stdin: 'x'})).stdout).toBe('root\n/etc\nx')
  })

  it('feeds the sudo password on stdin, never on the command line, and keeps the caller stdin intact', async () => {
    const r = remote(SUDO_PASSWORD_USER, {sudoPassword: SUDO_PASSWORD})
    const result = await r.exec('id -un; cat; echo; ps -eo args', {sudo: true, stdin: 'payload'})
    expect(result.stdout.split('\n').slice(0, 2)).toEqual(['root', 'payload'])
    expect(result.stdout).toContain('ps -eo args')
    expect(result.stdout).not.toContain(SUDO_PASSWORD)
  })

  it('a wrong sudo password is a clear error naming host and user, without the password', async () => {
    const error = await remote(SUDO_PASSWORD_USER, {sudoPassword: 'wrong-pw-123'})
      .exec('true', {sudo: true})
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ConnectionError)
    expect((error as Error).message).toBe(`web01: user ${SUDO_PASSWORD_USER} cannot become root: the sudo password was rejected`)
  })

  it('a user who needs a password, or may not sudo at all, gets a clear error', async () => {
    const needsPw = await remote(SUDO_PASSWORD_USER)
      .exec('true', {sudo: true})
      .catch((e: unknown) => e)
    expect((needsPw as Error).message).toBe(`web01: user ${SUDO_PASSWORD_USER} cannot become root: sudo needs a password`)
    const noSudo = await remote(NO_SUDO_USER, {sudoPassword: 'anything'})
      .exec('true', {sudo: true})
      .catch((e: unknown) => e)
    expect(noSudo).toBeInstanceOf(ConnectionError)
    expect((noSudo as Error).message).toMatch(new RegExp(`^web01: user ${NO_SUDO_USER} cannot become root: `))
    expect((noSudo as ConnectionError).exitCode).toBe(ExitCode.connection)
  })
})

describe('writeFile and upload', () => {
  it('writes as root through sudo with the mode, replacing the old file by rename', async () => {
    const root = remote('root')
    const target = '/etc/lnmp-deploy-test-write.conf'
    await root.run(`rm -f ${target}; echo old > ${target}`)
    const before = (await root.run(`stat -c %i ${target}`)).stdout.trim()
    await remote(SUDO_USER).writeFile(target, 'new content\n', {sudo: true, mode: 0o640})
    const after = await root.run(
      `stat -c '%i %a %U' ${target}; cat ${target}; ls -a /etc | grep -c 'lnmp-deploy-test-write.conf.lnmp-' || true`,
    )
    const [statLine, content, leftovers] = after.stdout.split('\n')
    const [inode, mode, owner] = statLine!.split(' ')
    // a new inode means the old file was replaced whole (rename), never written in place
    expect(inode).not.toBe(before)
    expect([mode, owner, content, leftovers]).toEqual(['640', 'root', 'new content', '0'])
    expect((await root.run('ls /tmp | grep -c lnmp-deploy-upload- || true')).stdout.trim()).toBe('0')
    await root.run(`rm -f ${target}`)
  })

  it('writes as the login user without sudo, and refuses a place the user cannot write', async () => {
    const user = remote(SUDO_USER)
    await user.writeFile(`/home/${SUDO_USER}/note.txt`, Buffer.from('hi'), {mode: 0o600})
    expect((await user.run(`stat -c '%a %U' /home/${SUDO_USER}/note.txt; cat /home/${SUDO_USER}/note.txt`)).stdout).toBe(
      `600 ${SUDO_USER}\nhi`,
    )
    const error = await user.writeFile('/etc/nope.conf', 'x').catch((e: unknown) => e)
    expect(error).toBeInstanceOf(RemoteCommandError)
    expect((error as Error).message).toContain('web01:')
  })

  it('uploads a local file', async () => {
    const local = join(dir, 'artifact.bin')
    const bytes = Buffer.from(Array.from({length: 70_000}, (_, i) => i % 251))
    await writeFile(local, bytes)
    const r = remote(SUDO_PASSWORD_USER, {sudoPassword: SUDO_PASSWORD})
    await r.upload(local, '/opt/lnmp-deploy-test-artifact.bin', {sudo: true, mode: 0o600})
    const check = await remote('root').run(
      "sha256sum /opt/lnmp-deploy-test-artifact.bin | cut -d' ' -f1; stat -c '%a %U' /opt/lnmp-deploy-test-artifact.bin",
    )
    expect(check.stdout).toBe(`${createHash('sha256').update(bytes).digest('hex')}\n600 root\n`)
    await remote('root').run('rm -f /opt/lnmp-deploy-test-artifact.bin')
  })
})

describe('download', () => {
  const remoteDir = '/opt/lnmp-deploy-test-download'
  const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex')

  it('copies a binary file back byte for byte, as root and as the sudo user, leaving no temp file', async () => {
    const root = remote('root')
    // every byte value, then 3 MiB of random bytes
    const bytes = Buffer.concat([Buffer.from(Array.from({length: 256}, (_, i) => i)), randomBytes(3 << 20)])
    await root.run(`rm -rf ${remoteDir} && mkdir -m 0755 ${remoteDir}`)
    await root.writeFile(`${remoteDir}/blob.bin`, bytes, {mode: 0o644})
    expect((await root.run(`sha256sum ${remoteDir}/blob.bin | cut -d' ' -f1; stat -c '%a %U' ${remoteDir}/blob.bin`)).stdout).toBe(
      `${sha256(bytes)}\n644 root\n`,
    )
    for (const user of ['root', SUDO_USER]) {
      const local = await mkdtemp(join(dir, `download-${user}-`))
      const target = join(local, 'blob.bin')
      await remote(user).download(`${remoteDir}/blob.bin`, target)
      const back = await readFile(target)
      expect(back.length).toBe(bytes.length)
      expect(new Set(back).size).toBe(256)
      expect(sha256(back)).toBe(sha256(bytes))
      expect(await readdir(local)).toEqual(['blob.bin'])
    }
    await root.run(`rm -rf ${remoteDir}`)
  })

  it('a missing remote file rejects naming host and path, and leaves nothing locally', async () => {
    const local = join(dir, 'download-missing')
    await mkdir(local)
    const missing = '/opt/lnmp-deploy-test-download-missing/nope.bin'
    for (const user of ['root', SUDO_USER]) {
      const error = await remote(user)
        .download(missing, join(local, 'nope.bin'))
        .catch((e: unknown) => e)
      expect(error).toBeInstanceOf(RemoteCommandError)
      expect((error as Error).message).toContain('web01:')
      expect((error as Error).message).toContain(missing)
      expect(await readdir(local)).toEqual([])
    }
  })

  it('refuses a relative remote path', async () => {
    const error = await remote('root')
      .download('relative/file.bin', join(dir, 'relative.bin'))
      .catch((e: unknown) => e)
    expect((error as Error).message).toBe('web01: remote path must be absolute: relative/file.bin')
  })
})

describe('connection failures', () => {
  it('an unreachable port is a ConnectionError naming the host', async () => {
    const port = await freePort()
    const error = await remote('root', {}, port)
      .exec('true')
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ConnectionError)
    expect((error as Error).message).toBe(`web01: connection refused by 127.0.0.1:${port} (is sshd running there?)`)
  })

  it('a key the server does not accept, or a missing key file, is named', async () => {
    const otherKey = join(dir, 'other_ed25519')
    const {execFileSync} = await import('node:child_process')
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', otherKey])
    const r = new SshRemote(
      {name: 'web01', address: sshd.host, port: sshd.port, user: 'root', identityFiles: [otherKey], identityExplicit: true},
      {projectKnownHosts: knownHosts, connectTimeoutMs: 5000, keepaliveMs: 0, agent: ''},
    )
    remotes.push(r)
    const auth = await r.exec('true').catch((e: unknown) => e)
    expect((auth as Error).message).toBe(`web01: authentication failed for root@127.0.0.1:${sshd.port} with key ${otherKey}`)
    const missing = new SshRemote(
      {name: 'web01', address: sshd.host, port: sshd.port, user: 'root', identityFiles: [join(dir, 'nope')], identityExplicit: true},
      {projectKnownHosts: knownHosts, connectTimeoutMs: 5000, keepaliveMs: 0},
    )
    const error = await missing.exec('true').catch((e: unknown) => e)
    expect((error as Error).message).toBe(`web01: identity file ${join(dir, 'nope')} does not exist`)
  })
})
