import {mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {ConnectionError} from '../../src/errors.js'
import {SshRemote} from '../../src/ssh/connection.js'
import {RemoteCommandError} from '../../src/ssh/remote.js'
import {SUDO_USER, startSshd, type Sshd} from '../helpers/sshd.js'

let sshd: Sshd
let dir: string
let knownHosts: string
const remotes: SshRemote[] = []
// unique per run, so leftovers of an earlier run on this machine cannot make a test pass
const run = `t${Date.now().toString(36)}`
const scratch = `/tmp/lnmp-deploy-jobtest-${run}`

function remote(user = 'root'): SshRemote {
  const r = new SshRemote(
    {name: 'web02', address: sshd.host, port: sshd.port, user, identityFiles: [sshd.clientKeyPath], identityExplicit: true},
    {projectKnownHosts: knownHosts, connectTimeoutMs: 5000, keepaliveMs: 2000},
  )
  remotes.push(r)
  return r
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lnmp-ssh-jobs-'))
  sshd = await startSshd()
  knownHosts = join(dir, 'known_hosts')
  await writeFile(knownHosts, `${sshd.knownHostsLine}\n`)
  await remote().run(`mkdir -p ${scratch} && chmod 777 ${scratch}`)
})

afterAll(async () => {
  const cleanup = remotes[0]
  await cleanup?.exec(`rm -rf ${scratch} /var/lib/lnmp-deploy/jobs/${run}-* /home/${SUDO_USER}/.lnmp-deploy/jobs/${run}-*`).catch(() => {})
  for (const r of remotes) await r.close()
  await sshd?.stop()
  await rm(dir, {recursive: true, force: true})
})

describe('detached jobs', () => {
  it('runs a job and returns its code, output tail and log path; a rerun reads the result without running again', async () => {
    const command = `echo ran >> ${scratch}/count-a; echo building; echo warn >&2`
    const first = await remote().runJob(command, {id: `${run}-a`, sudo: true, cwd: '/usr'})
    expect(first).toEqual({code: 0, outputTail: 'building\nwarn\n', logPath: `/var/lib/lnmp-deploy/jobs/${run}-a/log`, reattached: false})
    const second = await remote().runJob(command, {id: `${run}-a`, sudo: true, cwd: '/usr'})
    expect(second.reattached).toBe(true)
    expect(second.code).toBe(0)
    expect((await remote().run(`wc -l < ${scratch}/count-a`)).stdout.trim()).toBe('1')
  })

  it('starts anew when the command changed or the last run failed', async () => {
    const r = remote()
    const failing = await r.runJob(`echo x >> ${scratch}/count-b; exit 7`, {id: `${run}-b`})
    expect([failing.code, failing.reattached]).toEqual([7, false])
    const again = await r.runJob(`echo x >> ${scratch}/count-b; exit 7`, {id: `${run}-b`})
    expect(again.reattached).toBe(false)
    const changed = await r.runJob(`echo y >> ${scratch}/count-b`, {id: `${run}-b`})
    expect([changed.code, changed.reattached]).toEqual([0, false])
    expect((await r.run(`cat ${scratch}/count-b`)).stdout).toBe('x\nx\ny\n')
  })

  it('streams the log to onOutput', async () => {
    const chunks: string[] = []
    const result = await remote().runJob('for i in 1 2 3; do echo line$i; sleep 0.2; done', {
      id: `${run}-c`,
      onOutput: (c) => chunks.push(c),
    })
    expect(result.code).toBe(0)
    expect(chunks.join('')).toBe('line1\nline2\nline3\n')
  })

  it('survives its SSH connection being killed, and the next run reattaches without starting it again', async () => {
    const id = `${run}-d`
    // waits for a release file, so the connection is surely dropped while it runs
    const command = `echo start >> ${scratch}/count-d; while [ ! -f ${scratch}/release-d ]; do sleep 0.1; done; echo done; exit 3`
    const first = remote()
    // handled from the start: the rejection may come before the test gets to wait for it
    const pending = first.runJob(command, {id, sudo: true}).catch((e: unknown) => e)
    const observer = remote()
    await waitFor(async () => (await observer.exec(`cat ${scratch}/count-d 2>/dev/null`)).stdout === 'start\n')
    await first.dropConnection()
    const error = await pending
    expect(error).toBeInstanceOf(ConnectionError)
    expect((error as Error).message).toMatch(/^web02: /)

    // the job is alive after its connection died
    const pid = (await observer.run(`cat /var/lib/lnmp-deploy/jobs/${id}/pid`)).stdout.trim()
    expect((await observer.exec(`kill -0 ${pid}`)).code).toBe(0)

    // the first run's wait loop may outlive its connection or not (sshd decides): note which loops exist now,
    // and release the job only once a new one, the second run's, waits for it
    const waitLoops = `ps -eo pid=,args= | grep -E '^ *[0-9]+ (ba)?sh -c d=/var/lib/lnmp-deploy/jobs/${id} ' | awk '{print $1}' || true`
    const pids = async () => (await observer.exec(waitLoops)).stdout.split('\n').filter(Boolean)
    const before = new Set(await pids())
    const second = remote()
    // handled from the start, so a failure here is this test's failure, not an unhandled rejection
    const waiting = second.runJob(command, {id, sudo: true}).catch((e: unknown) => e)
    await waitFor(async () => (await pids()).some((loop) => !before.has(loop)))
    await observer.run(`touch ${scratch}/release-d`)
    const result = await waiting
    expect(result).toEqual({code: 3, outputTail: 'done\n', logPath: `/var/lib/lnmp-deploy/jobs/${id}/log`, reattached: true})
    expect((await observer.run(`cat ${scratch}/count-d`)).stdout).toBe('start\n')
  })

  it('refuses to start over a running job with a different command', async () => {
    const id = `${run}-e`
    const r = remote()
    const pending = r.runJob(`while [ ! -f ${scratch}/release-e ]; do sleep 0.1; done`, {id, sudo: true})
    await waitFor(async () => (await r.exec(`test -s /var/lib/lnmp-deploy/jobs/${id}/pid`)).code === 0)
    const error = await remote()
      .runJob('echo other', {id, sudo: true})
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(RemoteCommandError)
    expect((error as Error).message).toContain(`job ${id} is still running another command`)
    await r.run(`touch ${scratch}/release-e`)
    expect((await pending).code).toBe(0)
  })

  it('keeps a non-root job under the login user home, and rejects bad ids', async () => {
    const result = await remote(SUDO_USER).runJob('id -un', {id: `${run}-f`})
    expect(result).toEqual({
      code: 0,
      outputTail: `${SUDO_USER}\n`,
      logPath: `/home/${SUDO_USER}/.lnmp-deploy/jobs/${run}-f/log`,
      reattached: false,
    })
    await expect(remote().runJob('true', {id: '../etc'})).rejects.toThrow('invalid job id "../etc"')
  })
})

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (await condition()) return
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error('condition not met in time')
}
