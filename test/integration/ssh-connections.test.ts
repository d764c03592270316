import {mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {configSchema} from '../../src/config/schema.js'
import {ConnectionError, HostKeyError} from '../../src/errors.js'
import {Connections} from '../../src/ssh/connections.js'
import {startSshd, type Sshd} from '../helpers/sshd.js'

let jumpHost: Sshd
let target: Sshd
let dir: string
let sshConfigPath: string

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lnmp-ssh-conns-'))
  jumpHost = await startSshd()
  target = await startSshd({clientKeyPath: jumpHost.clientKeyPath})
  sshConfigPath = join(dir, 'ssh_config')
  // an alias in ~/.ssh/config: the config file names "db-alias", ssh config maps it to the real address
  await writeFile(sshConfigPath, `Host db-alias\n  HostName 127.0.0.1\n  Port ${target.port}\n  IdentityFile ${jumpHost.clientKeyPath}\n`)
})

afterAll(async () => {
  await target?.stop()
  await jumpHost?.stop()
  await rm(dir, {recursive: true, force: true})
})

function connections(knownHostsName: string, hosts: unknown[], options: {acceptNewHostKeys?: boolean} = {}) {
  const config = configSchema.parse({
    version: 1,
    ssh: {knownHosts: knownHostsName, identityFile: jumpHost.clientKeyPath, userKnownHosts: false, connectTimeoutSeconds: 5},
    hosts,
  })
  return new Connections(config, dir, {...options, sshConfigPath})
}

describe('Connections', () => {
  it('reaches a host through a configured jump host (ProxyJump), verifying both host keys', async () => {
    await writeFile(join(dir, 'kh-jump'), `${jumpHost.knownHostsLine}\n${target.knownHostsLine}\n`)
    const conns = connections('kh-jump', [
      {name: 'lb01', address: '127.0.0.1', port: jumpHost.port, roles: ['lb']},
      {name: 'web01', address: '127.0.0.1', port: target.port, jump: 'lb01', roles: ['web']},
    ])
    try {
      const web = await conns.get('web01')
      expect(web.name).toBe('web01')
      expect(await conns.get('web01')).toBe(web)
      // the client end of web01's connection is owned by the jump host's sshd, not by this process
      const owner = await web.run(`set -- $SSH_CLIENT; ss -tnpH state established "( sport = :$2 )"`)
      expect(owner.stdout).toContain('"sshd"')
      expect(owner.stdout).not.toContain('"node"')
      expect((await conns.get('lb01')).name).toBe('lb01')
    } finally {
      await conns.closeAll()
    }
  })

  it('refuses the target behind the jump when its key is unknown, naming the target', async () => {
    await writeFile(join(dir, 'kh-jump-only'), `${jumpHost.knownHostsLine}\n`)
    const conns = connections('kh-jump-only', [
      {name: 'lb01', address: '127.0.0.1', port: jumpHost.port, roles: ['lb']},
      {name: 'web01', address: '127.0.0.1', port: target.port, jump: `root@127.0.0.1:${jumpHost.port}`, roles: ['web']},
    ])
    try {
      const error = await conns.get('web01').catch((e: unknown) => e)
      expect(error).toBeInstanceOf(HostKeyError)
      expect((error as Error).message).toMatch(/^web01: unknown host key for 127\.0\.0\.1:\d+/)
    } finally {
      await conns.closeAll()
    }
  })

  it('honours a ~/.ssh/config alias and records an accepted key in the project known_hosts', async () => {
    const conns = connections('kh-new', [{name: 'db01', address: 'db-alias', roles: ['db']}], {acceptNewHostKeys: true})
    try {
      const db = await conns.get('db01')
      expect((await db.run('echo via-alias')).stdout).toBe('via-alias\n')
      expect(await readFile(join(dir, 'kh-new'), 'utf8')).toBe(`${target.knownHostsLine} lnmp-deploy:db01\n`)
    } finally {
      await conns.closeAll()
    }
  })

  it('an unreachable host fails get() with a ConnectionError naming it', async () => {
    const conns = connections('kh-none', [{name: 'db01', address: '127.0.0.1', port: 1, roles: ['db']}])
    const error = await conns.get('db01').catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ConnectionError)
    expect((error as Error).message).toBe('db01: connection refused by 127.0.0.1:1 (is sshd running there?)')
    await conns.closeAll()
  })
})
