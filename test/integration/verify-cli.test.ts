import {execa} from 'execa'
import {execFileSync} from 'node:child_process'
import {chmod, mkdir, mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {lnmpDeploy} from '../helpers/cli.js'
import {freePort, type Sshd, startSshd, SUDO_USER} from '../helpers/sshd.js'

/**
 * The verify command over a real OpenSSH server on loopback: JSON on stdout and nothing else, JUnit XML in
 * a file, exit codes 0 / 6 / 4 / 3, and one real check (web-root-clean) doing its round trip. The web host
 * here is this machine with a stand-in `nginx -T` under the config's prefix (a temp dir) naming one web root.
 */
let sshd: Sshd
let dir: string
let prefix: string
let webRoot: string
let clientKey: string
let config: string

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lnmp-verify-cli-'))
  await chmod(dir, 0o755)
  clientKey = join(dir, 'client_ed25519')
  await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', clientKey])
  sshd = await startSshd({clientKeyPath: clientKey})
  await writeFile(join(dir, 'known_hosts'), `${sshd.knownHostsLine}\n`)
  prefix = join(dir, 'application')
  webRoot = join(dir, 'html')
  await mkdir(join(prefix, 'nginx', 'sbin'), {recursive: true})
  await mkdir(webRoot)
  await writeFile(join(webRoot, 'index.php'), '<?php echo "hello";\n')
  await writeFile(join(prefix, 'nginx', 'sbin', 'nginx'), `#!/bin/sh\nprintf 'server {\\n    root ${webRoot};\\n}\\n'\n`, {mode: 0o755})
  const nobody = await freePort()
  config = join(dir, 'lnmp-deploy.yml')
  await writeFile(
    config,
    [
      'version: 1',
      'ssh:',
      `  user: ${SUDO_USER}`,
      `  port: ${sshd.port}`,
      `  identityFile: ${clientKey}`,
      '  knownHosts: known_hosts',
      '  userKnownHosts: false',
      '  useSshConfig: false',
      '  connectTimeoutSeconds: 5',
      `prefix: ${prefix}`,
      'hosts:',
      '  - name: local',
      '    address: 127.0.0.1',
      '    roles: [web]',
      '  - name: gone',
      '    address: 127.0.0.1',
      `    port: ${nobody}`,
      '    roles: [web]',
      '',
    ].join('\n'),
  )
})

afterAll(async () => {
  await sshd?.stop()
  if (dir) await rm(dir, {recursive: true, force: true})
})

const verify = (...args: string[]) => lnmpDeploy(['verify', '-c', config, '--host', 'local', '--check', 'web-root-clean', ...args])

describe('lnmp-deploy verify over real SSH', () => {
  it('passes a clean web root: exit 0, one JSON object, a JUnit file that parses', async () => {
    const junit = join(dir, 'report.xml')
    const r = await verify('--json', '--junit', junit)
    expect(r.stderr).toBe('')
    expect(r.exitCode, r.stdout).toBe(0)
    const report = JSON.parse(r.stdout) as {ok: boolean; exitCode: number; hosts: string[]; checks: Array<Record<string, unknown>>}
    expect(report).toMatchObject({ok: true, exitCode: 0, hosts: ['local'], unreachable: [], counts: {passed: 1, failed: 0, skipped: 0}})
    expect(report.checks).toMatchObject([
      {host: 'local', check: 'web-root-clean', name: 'no-test-pages', status: 'pass', ok: true, detail: `none in ${webRoot}`},
    ])
    const parsed = execFileSync(
      'python3',
      [
        '-c',
        'import sys, xml.etree.ElementTree as ET; r = ET.parse(sys.argv[1]).getroot(); print(r.tag, r.get("tests"), r.get("failures"), [c.get("name") for s in r for c in s])',
        junit,
      ],
      {encoding: 'utf8'},
    )
    expect(parsed.trim()).toBe("testsuites 1 0 ['no-test-pages']")
  })

  it('fails on a leftover info.php with exit 6, the file named in the table and the hint', async () => {
    await writeFile(join(webRoot, 'info.php'), '<?php phpinfo();\n')
    try {
      const r = await verify()
      expect(r.exitCode, r.stdout).toBe(6)
      expect(r.stdout).toMatch(/no-test-pages\s+FAIL/)
      expect(r.stdout).toContain(`✖ local web-root-clean no-test-pages: left in a web root: ${webRoot}/info.php`)
      expect(r.stdout).toContain(
        `hint: phpinfo and test pages show the server's internals to anyone, backups and dumps their secrets and data: remove them (on local: rm ${webRoot}/info.php)`,
      )
      expect(r.stdout).toMatch(/0 passed, 1 failed, 0 skipped in \d+\.\d s/)
    } finally {
      await rm(join(webRoot, 'info.php'))
    }
  })

  it('exits 4 when a host cannot be reached, naming it, with the JSON report still on stdout', async () => {
    const r = await lnmpDeploy(['verify', '-c', config, '--json'])
    expect(r.exitCode, r.stdout + r.stderr).toBe(4)
    const report = JSON.parse(r.stdout) as {unreachable: Array<{host: string; message: string}>; checks: Array<{host: string}>}
    expect(report.unreachable.map((u) => u.host)).toEqual(['gone'])
    expect(report.unreachable[0]?.message).toMatch(/^gone: /)
    expect(report.checks.some((c) => c.host === 'gone')).toBe(false)
    expect(report.checks.some((c) => c.host === 'local')).toBe(true)
  })

  it('refuses an unknown --check with exit 3 and the list of checks, before connecting', async () => {
    const r = await lnmpDeploy(['verify', '-c', config, '--check', 'sesion-proof'])
    expect(r.exitCode).toBe(3)
    expect(r.stdout).toBe('')
    expect(r.stderr).toContain('--check sesion-proof: no such check')
    expect(r.stderr).toContain('session-proof')
  })

  it('leaves no file behind in the web root', async () => {
    expect((await readFile(join(webRoot, 'index.php'), 'utf8')).length).toBeGreaterThan(0)
    expect((await execa('ls', [webRoot])).stdout.split('\n')).toEqual(['index.php'])
  })
})
