import {createHash} from 'node:crypto'
import {mkdir, mkdtemp, readFile, readdir, readlink, rm, stat, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {ArtifactError, StepFailedError} from '../../src/errors.js'
import {type ActionEnv, executeAction} from '../../src/engine/actions.js'
import {HostJournal, remoteJournalStore} from '../../src/engine/journal.js'
import {SshRemote} from '../../src/ssh/connection.js'
import {SUDO_USER, startSshd, type Sshd} from '../helpers/sshd.js'

/**
 * Actions against a real sshd on 127.0.0.1. The "host" is this machine, so each file is checked on disk.
 * As the passwordless sudo user, so every write really goes through sudo.
 */
let sshd: Sshd
let dir: string
let r: SshRemote

const NOW = new Date('2025-01-31T12:34:56.000Z')

async function env(stepId = 'demo'): Promise<ActionEnv> {
  const state = await mkdtemp(join(dir, 'state-'))
  return {
    remote: r,
    journal: await HostJournal.load(remoteJournalStore(r, state)),
    stepId,
    now: () => NOW,
    readyPollMs: 100,
    backupDir: join(state, 'backups'),
  }
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lnmp-engine-actions-'))
  sshd = await startSshd()
  const knownHosts = join(dir, 'known_hosts')
  await writeFile(knownHosts, `${sshd.knownHostsLine}\n`)
  r = new SshRemote(
    {name: 'web01', address: sshd.host, port: sshd.port, user: SUDO_USER, identityFiles: [sshd.clientKeyPath], identityExplicit: true},
    {projectKnownHosts: knownHosts, connectTimeoutMs: 5000, keepaliveMs: 5000},
  )
})

afterAll(async () => {
  await r?.close()
  await sshd?.stop()
  await rm(dir, {recursive: true, force: true})
})

describe('write-file', () => {
  it('creates, skips when current, and replaces atomically, the old file backed up outside its folder', async () => {
    const target = join(await mkdtemp(join(dir, 'etc-')), 'app.conf')
    const e = await env()
    const action = {
      kind: 'write-file' as const,
      path: target,
      content: 'listen 80;\n',
      mode: 0o640,
      owner: 'root',
      group: 'daemon',
      validate: 'grep -q listen {}',
    }

    expect(await executeAction(action, e)).toEqual({changed: true, undo: {kind: 'remove-file', path: target}})
    let info = await stat(target)
    expect(await readFile(target, 'utf8')).toBe('listen 80;\n')
    expect(info.mode & 0o7777).toBe(0o640)
    expect([info.uid, info.gid]).toEqual([0, 1])

    expect(await executeAction(action, e)).toEqual({changed: false})

    const backup = `${e.backupDir}/${target.slice(1).replaceAll('/', '%')}.20250131T123456Z`
    expect(await executeAction({...action, content: 'listen 8080;\n'}, e)).toEqual({
      changed: true,
      undo: {kind: 'restore-file', path: target, backup},
    })
    expect(await readFile(target, 'utf8')).toBe('listen 8080;\n')
    expect(await readFile(backup, 'utf8')).toBe('listen 80;\n')
    // the backup folder is root's alone
    expect((await stat(e.backupDir as string)).mode & 0o777).toBe(0o700)
    info = await stat(target)
    expect(info.mode & 0o7777).toBe(0o640)
    // nothing but the file in its folder: no temp file, no backup a web root would serve
    expect(await readdir(join(target, '..'))).toEqual(['app.conf'])
  })

  it('keeps the newest five backups of a file (the first write replaced nothing, the next seven each made one)', async () => {
    const target = join(await mkdtemp(join(dir, 'etc-')), 'many.conf')
    const e = await env()
    for (let i = 0; i < 8; i++) {
      e.now = () => new Date(Date.UTC(2025, 0, 31, 12, 0, i))
      await executeAction({kind: 'write-file', path: target, content: `v${i}\n`, mode: 0o644}, e)
    }
    const kept = (await readdir(e.backupDir as string)).filter((f) => f.includes('many.conf'))
    expect(kept.map((f) => f.slice(-16))).toEqual([
      '20250131T120003Z',
      '20250131T120004Z',
      '20250131T120005Z',
      '20250131T120006Z',
      '20250131T120007Z',
    ])
  })

  it('leaves the old file untouched when the new one fails validation', async () => {
    const folder = await mkdtemp(join(dir, 'etc-'))
    const target = join(folder, 'nginx.conf')
    await writeFile(target, 'good\n', {mode: 0o644})
    const e = await env('nginx-conf')
    const error = await executeAction(
      {
        kind: 'write-file',
        path: target,
        content: 'bad\n',
        mode: 0o644,
        validate: "grep -q good {} || { echo 'syntax error in' {} >&2; exit 4; }",
      },
      e,
    ).catch((x: unknown) => x)
    expect(error).toBeInstanceOf(StepFailedError)
    expect((error as StepFailedError).message).toBe(
      `web01: step nginx-conf failed: the new ${target} does not pass \`grep -q good {} || { echo 'syntax error in' {} >&2; exit 4; }\` (exit 4); the old file is untouched`,
    )
    expect((error as StepFailedError).outputTail).toMatch(/^syntax error in .*nginx\.conf\.lnmp-new\.[0-9a-f]{8}$/)
    expect(await readFile(target, 'utf8')).toBe('good\n')
    expect(await readdir(folder)).toEqual(['nginx.conf'])
  })

  it('fixes only the mode when the content already matches', async () => {
    const folder = await mkdtemp(join(dir, 'etc-'))
    const target = join(folder, 'x.conf')
    await writeFile(target, 'same\n', {mode: 0o666})
    expect(await executeAction({kind: 'write-file', path: target, content: 'same\n', mode: 0o600}, await env())).toEqual({changed: true})
    expect((await stat(target)).mode & 0o7777).toBe(0o600)
    expect(await readdir(folder)).toEqual(['x.conf'])
  })
})

describe('switch-link', () => {
  it('points a link at another target in one rename, and says how to point it back', async () => {
    const folder = await mkdtemp(join(dir, 'app-'))
    const link = join(folder, 'php')
    await mkdir(join(folder, 'php-a'))
    await mkdir(join(folder, 'php-b'))
    const e = await env('php-switch')
    expect(await executeAction({kind: 'switch-link', link, target: join(folder, 'php-a')}, e)).toEqual({
      changed: true,
      undo: {kind: 'relink', link, target: undefined},
    })
    expect(await executeAction({kind: 'switch-link', link, target: join(folder, 'php-a')}, e)).toEqual({changed: false})
    expect(await executeAction({kind: 'switch-link', link, target: join(folder, 'php-b')}, e)).toEqual({
      changed: true,
      undo: {kind: 'relink', link, target: join(folder, 'php-a')},
    })
    expect(await readlink(link)).toBe(join(folder, 'php-b'))
    expect((await readdir(folder)).sort()).toEqual(['php', 'php-a', 'php-b'])
  })
})

describe('upload', () => {
  it('uploads and checks the sha256 on the host, refusing a mismatch without touching the target', async () => {
    const local = join(dir, 'src.tar.gz')
    await writeFile(local, 'pretend tarball\n')
    const sha256 = createHash('sha256').update('pretend tarball\n').digest('hex')
    const folder = await mkdtemp(join(dir, 'usr-src-'))
    const target = join(folder, 'nginx-1.22.1.tar.gz')
    const e = await env()

    expect(await executeAction({kind: 'upload', path: target, localPath: local, sha256, mode: 0o644}, e)).toEqual({changed: true})
    expect(await readFile(target, 'utf8')).toBe('pretend tarball\n')
    expect(await executeAction({kind: 'upload', path: target, localPath: local, sha256, mode: 0o644}, e)).toEqual({changed: false})

    const wrong = 'e'.repeat(64)
    const other = join(folder, 'php.tar.xz')
    const error = await executeAction({kind: 'upload', path: other, localPath: local, sha256: wrong}, e).catch((x: unknown) => x)
    expect(error).toBeInstanceOf(ArtifactError)
    expect((error as ArtifactError).message).toBe(`web01: src.tar.gz uploaded to ${other} has sha256 ${sha256}, expected ${wrong}`)
    expect((error as ArtifactError).host).toBe('web01')
    expect(await readdir(folder)).toEqual(['nginx-1.22.1.tar.gz'])
  })
})

describe('service', () => {
  it('owes the restart before doing it, and clears it once the service answers', async () => {
    const folder = await mkdtemp(join(dir, 'svc-'))
    const e = await env('memcached')
    // this machine has no systemd as PID 1: the platform's service command is a script on the host
    const restarts: string[] = []
    e.serviceCommand = (service, op) => {
      restarts.push(`${op} ${service}`)
      return `echo ${op} ${service} >> ${folder}/restarts`
    }
    e.readyTimeoutMs = 1000
    const action = {kind: 'service' as const, service: 'memcached', op: 'restart' as const, ready: {command: `test -e ${folder}/ready`}}

    const error = await executeAction(action, e).catch((x: unknown) => x)
    expect((error as StepFailedError).message).toBe(
      `web01: step memcached failed: memcached did not become ready within 1 s (\`test -e ${folder}/ready\`)`,
    )
    expect(e.journal.owed).toMatchObject([{stepId: 'memcached', service: 'memcached', op: 'restart'}])

    await writeFile(join(folder, 'ready'), '')
    expect(await executeAction(action, e)).toEqual({changed: true})
    expect(e.journal.owed).toEqual([])
    expect(await readFile(join(folder, 'restarts'), 'utf8')).toBe('restart memcached\nrestart memcached\n')
  })

  it('waits for a tcp port from the host itself', async () => {
    const e = await env('sshd')
    e.serviceCommand = () => 'true'
    // the test sshd itself answers on its port
    const ok = {kind: 'service' as const, service: 'sshd', op: 'reload' as const, ready: {tcp: {host: '127.0.0.1', port: sshd.port}}}
    expect(await executeAction(ok, e)).toEqual({changed: true})
  })
})
