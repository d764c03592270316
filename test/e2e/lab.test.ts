import {existsSync} from 'node:fs'
import {mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {execa} from 'execa'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {aptProxyPid} from '../../src/lab/apt-proxy.js'
import {prepareLabArtifacts, sha256File} from '../../src/lab/artifacts.js'
import {tryRun} from '../../src/lab/exec.js'
import {hostState, monitorPids} from '../../src/lab/hosts.js'
import {labDestroy, labDown, labReset, labStatus, labUp, type LabUpResult} from '../../src/lab/lab.js'
import {bridgeExists, guardRulesPresent} from '../../src/lab/network.js'
import {basePath, labPaths} from '../../src/lab/paths.js'
import {sshArgs} from '../../src/lab/ssh-probe.js'
import {LAB_HOSTS} from '../../src/lab/topology.js'
import {configSchema} from '../../src/config/schema.js'
import YAML from 'yaml'
import {destroyUnless, onLabHost} from '../helpers/lab.js'
import {DEFAULT_LAB_STATE} from '../../src/lab/state.js'

// The lab for real: four LXC hosts on this machine, reached with the system ssh client, strict host keys.
const paths = labPaths()
const cli = path.resolve('bin/run.js')
let up: LabUpResult

async function knownKey(name: string, type: string): Promise<string | undefined> {
  const lines = (await readFile(paths.knownHosts, 'utf8')).split('\n')
  return lines.find((l) => l.startsWith(`${name},`) && l.split(' ')[1] === type)?.split(' ')[2]
}

describe('lnmp-deploy lab', () => {
  beforeAll(async () => {
    // the default lab, whatever an earlier suite left
    await destroyUnless(DEFAULT_LAB_STATE, (await labStatus()).state)
    up = await labUp({...DEFAULT_LAB_STATE, log: (m) => process.stderr.write(`[lab] ${m}\n`)})
  }, 600_000)

  // whatever happened above, nothing of the lab stays: no host running or kept, no bridge, rules or proxy
  afterAll(async () => {
    await labDestroy()
  }, 120_000)

  it('brings up four hosts with systemd running', () => {
    expect(up.hosts.map((h) => [h.name, h.address, h.systemd])).toEqual([
      ['lb01', '10.77.0.11', 'running'],
      ['web01', '10.77.0.21', 'running'],
      ['web02', '10.77.0.22', 'running'],
      ['db01', '10.77.0.31', 'running'],
    ])
  })

  it('lets root and deploy (passwordless sudo) in with the lab key, each host being itself', async () => {
    for (const h of LAB_HOSTS) {
      const root = await onLabHost(h.name, 'hostname; cat /proc/1/comm; cat /etc/machine-id')
      expect(root.code, root.stderr).toBe(0)
      const [hostname, pid1] = root.stdout.split('\n')
      expect([hostname, pid1]).toEqual([h.name, 'systemd'])
      const deploy = await onLabHost(h.name, 'sudo -n id -u', 'deploy')
      expect(deploy.stdout.trim(), deploy.stderr).toBe('0')
    }
    const ids = await Promise.all(LAB_HOSTS.map(async (h) => (await onLabHost(h.name, 'cat /etc/machine-id')).stdout.trim()))
    expect(new Set(ids).size).toBe(4)
  })

  it('refuses a host whose key is not the recorded one (StrictHostKeyChecking really checks)', async () => {
    // known_hosts claiming web01's key belongs to lb01's address
    const dir = await mkdtemp(path.join(tmpdir(), 'lab-kh-'))
    try {
      const web01Keys = (await readFile(paths.knownHosts, 'utf8')).split('\n').filter((l) => l.startsWith('web01,'))
      const forged = path.join(dir, 'known_hosts')
      await writeFile(forged, `${web01Keys.map((l) => l.replace(/^\S+/, 'lb01,10.77.0.11')).join('\n')}\n`)
      const r = await tryRun('ssh', [...sshArgs({...paths, knownHosts: forged}, '10.77.0.11'), 'true'])
      expect(r.code).toBe(255)
      expect(r.stderr).toMatch(/REMOTE HOST IDENTIFICATION HAS CHANGED|Host key verification failed/)
    } finally {
      await rm(dir, {recursive: true, force: true})
    }
  })

  it('lets the hosts resolve and reach each other by name', async () => {
    const r = await onLabHost('web01', 'getent hosts db01 lb01.lab && ping -c1 -W2 web02 >/dev/null && echo reached')
    expect(r.stdout.split('\n').map((l) => l.trim().replace(/\s+/g, ' '))).toEqual([
      '10.77.0.31 db01.lab db01',
      '10.77.0.11 lb01.lab lb01',
      'reached',
    ])
  })

  it('gives the hosts apt through the lab proxy', async () => {
    const r = await onLabHost('db01', 'apt-config dump Acquire::http::Proxy; apt-get update -q')
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toContain('Acquire::http::Proxy "http://10.77.0.1:3142";')
    const log = await readFile(path.join(paths.acngDir, 'log', 'apt-cacher.log'), 'utf8')
    expect(log).toMatch(/10\.77\.0\.31\|.*bookworm/)
  }, 180_000)

  it('shows the lab in `lab status --json`', async () => {
    const r = await execa('node', [cli, 'lab', 'status', '--json'], {reject: false})
    expect(r.exitCode, r.stderr).toBe(0)
    const status = JSON.parse(r.stdout) as Awaited<ReturnType<typeof labStatus>>
    expect(status.healthy).toBe(true)
    expect(status.bridge).toBe('labbr0 10.77.0.1/24')
    expect(status.guardRules).toBe(3)
    expect(status.hosts.map((h) => `${h.name} ${h.lxc} ${h.ssh} ${h.systemd}`)).toEqual([
      'lb01 RUNNING ok running',
      'web01 RUNNING ok running',
      'web02 RUNNING ok running',
      'db01 RUNNING ok running',
    ])
  })

  it('says plainly that it needs root, with the lab exit code', async () => {
    // a user namespace without a uid map: getuid() answers 65534, while files are still reached as their owner,
    // so this works wherever root keeps the checkout (a `runuser -u nobody` cannot read one under /root)
    const r = await execa('unshare', ['--user', '--', 'node', cli, 'lab', 'up'], {reject: false, cwd: '/'})
    expect(r.stderr).toContain('lnmp-deploy lab up needs root')
    expect(r.exitCode).toBe(9)
  })

  it('prepares the source artifacts, checked against the artifact table, and names their cache in the lab config', async () => {
    const sources = await prepareLabArtifacts({phpMyAdmin: true})
    expect(sources.map((a) => `${a.name} ${a.version} ${path.basename(a.file)}`)).toEqual([
      'nginx 1.26.3 nginx_1.26.3.orig.tar.gz',
      'php 8.4.24 php8.4_8.4.24.orig.tar.xz',
      'php 8.2.32 php8.2_8.2.32.orig.tar.xz',
      'memcache 8.2 php-memcache_8.2.orig.tar.gz',
      'phpmyadmin 5.2.1 phpMyAdmin-5.2.1-debian-lab.tar.gz',
    ])
    for (const a of sources) expect(await sha256File(a.file)).toBe(a.sha256)
    // the tarballs hold what their names promise
    const memcache = sources.find((a) => a.name === 'memcache')?.file ?? ''
    expect((await tryRun('tar', ['-tzf', memcache])).stdout).toMatch(/memcache-8\.2\/src\/memcache\.c/)
    const config = configSchema.parse(YAML.parse(await readFile(paths.config, 'utf8')))
    expect(config.artifactCache).toBe(paths.sources)
    expect(config.artifacts.phpmyadmin?.sha256).toBe(sources.find((a) => a.name === 'phpmyadmin')?.sha256)
    expect(Object.keys(config.artifacts)).toEqual(['phpmyadmin'])
  }, 300_000)

  it("serves phpMyAdmin's login page from the artifact with Debian's PHP on a lab host", async () => {
    const tarball = (await prepareLabArtifacts({phpMyAdmin: true})).find((a) => a.name === 'phpmyadmin')?.file ?? ''
    const copy = await tryRun('scp', ['-q', '-F', paths.sshConfig, tarball, 'web02:/tmp/pma.tar.gz'])
    expect(copy.code, copy.stderr).toBe(0)
    const r = await onLabHost(
      'web02',
      [
        'export DEBIAN_FRONTEND=noninteractive',
        'apt-get update -qq && apt-get install -y -qq --no-install-recommends php-cli php-mbstring php-xml php-mysql >/dev/null',
        'mkdir -p /tmp/pma && tar -xzf /tmp/pma.tar.gz -C /tmp/pma',
        'cd /tmp/pma/phpMyAdmin-5.2.1',
        '(timeout 20 php -S 127.0.0.1:8080 >/dev/null 2>&1 &)',
        'for i in $(seq 50); do curl -fsS http://127.0.0.1:8080/index.php 2>/dev/null && break; sleep 0.2; done',
      ].join('\n'),
      'root',
      180_000,
    )
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toContain('<title>phpMyAdmin')
    expect(r.stdout).toContain('name="pma_username"')
  }, 240_000)

  it('resets web02 into a brand-new host with a new host key', async () => {
    const oldKey = await knownKey('web02', 'ssh-ed25519')
    const oldId = (await onLabHost('web02', 'cat /etc/machine-id')).stdout.trim()
    await onLabHost('web02', 'touch /root/left-by-the-test')
    const lb01Key = await knownKey('lb01', 'ssh-ed25519')

    const reset = await labReset('web02')
    expect(reset.hosts).toEqual([{name: 'web02', address: '10.77.0.22', systemd: 'running'}])

    const newKey = await knownKey('web02', 'ssh-ed25519')
    expect(newKey).toBeDefined()
    expect(newKey).not.toBe(oldKey)
    expect(await knownKey('lb01', 'ssh-ed25519')).toBe(lb01Key)
    const after = await onLabHost(
      'web02',
      'cat /etc/machine-id; ls /root/left-by-the-test 2>&1 || true; ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub',
    )
    expect(after.code, after.stderr).toBe(0)
    expect(after.stdout.split('\n')[0]).not.toBe(oldId)
    expect(after.stdout).toContain('No such file')
  }, 120_000)

  it('goes down leaving no hosts, bridge, guard rules or proxy behind', async () => {
    await labDown()
    expect(await bridgeExists()).toBe(false)
    expect(await guardRulesPresent()).toBe(0)
    expect(await aptProxyPid(paths)).toBeUndefined()
    expect(await monitorPids(paths)).toEqual([])
    for (const h of LAB_HOSTS) expect(await hostState(paths, h.name)).toBe('STOPPED')
    const links = await tryRun('ip', ['-o', 'link', 'show'])
    expect(links.stdout).not.toMatch(/labbr0|v-(lb01|web01|web02|db01)/)
    expect(existsSync(basePath(paths, 'bookworm'))).toBe(true)
  }, 120_000)
})
