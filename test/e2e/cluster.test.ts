import {copyFile, mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import YAML from 'yaml'

import {PRESETS} from '../../src/php/features.js'
import {secretsPath} from '../../src/secrets/store.js'
import {lnmpDeploy, runSummary, stepEnds} from '../helpers/cli.js'
import {ensureLabArtifacts, ensureLabUp, labFiles, removeLabHosts, resetHosts} from '../helpers/lab.js'
import {Browser, hiddenInputs, isLoggedIn, isLoginPage} from '../helpers/phpmyadmin.js'
import {verifyFaultSuite} from './verify-faults.js'

/**
 * The whole procedure on four fresh lab hosts: compiled nginx and PHP, PHP-FPM, phpMyAdmin, MariaDB,
 * memcached, PECL memcache, the balancer. First with PHP's default `files` session handler, which is the
 * seed's problem (a login through the balancer does not survive), then with `memcache`, which fixes it.
 * The config lives in a directory of the test's own, beside its generated secrets and run logs.
 */
const LB = '10.77.0.11'
const SERVER_NAME = 'phpmyadmin.oldboy.com'
let dir: string
let config: string

async function editConfig(change: (doc: Record<string, any>) => void): Promise<void> {
  const doc = YAML.parse(await readFile(config, 'utf8')) as Record<string, any>
  change(doc)
  await writeFile(config, YAML.stringify(doc))
}

const run = (...args: string[]) => lnmpDeploy(['run', '-c', config, '--json', ...args], {timeoutMs: 40 * 60_000})
const verify = (...args: string[]) => lnmpDeploy(['verify', '-c', config, '--json', ...args], {timeoutMs: 120_000})
const changed = (stdout: string) =>
  stepEnds(stdout)
    .filter((e) => e.status === 'changed')
    .map((e) => `${e.host}:${e.step}`)
    .sort()

function failureText(r: {stdout: string; stderr: string}): string {
  try {
    return JSON.stringify(runSummary(r.stdout), null, 1).slice(-6000) + r.stderr
  } catch {
    return r.stdout.slice(-6000) + r.stderr
  }
}

beforeAll(async () => {
  await ensureLabUp()
  await ensureLabArtifacts({phpMyAdmin: true})
  await resetHosts(['lb01', 'web01', 'web02', 'db01'])
  dir = await mkdtemp(join(tmpdir(), 'lnmp-cluster-'))
  config = join(dir, 'lnmp-deploy.yml')
  await copyFile(labFiles().config, config)
  await editConfig((doc) => {
    doc.app = {kind: 'phpmyadmin', serverName: SERVER_NAME}
    // the procedure as it stood before its fix: each web host keeps its own sessions
    doc.session = {handler: 'files'}
  })
}, 900_000)

afterAll(async () => {
  await removeLabHosts()
  if (dir) await rm(dir, {recursive: true, force: true})
}, 300_000)

describe('the cluster, from four fresh hosts', () => {
  it('run deploys every milestone on every host', async () => {
    const t0 = Date.now()
    const r = await run()
    process.stderr.write(`[cluster] first run: ${Math.round((Date.now() - t0) / 1000)} s\n`)
    expect(r.exitCode, failureText(r)).toBe(0)
    const done = changed(r.stdout)
    for (const web of ['web01', 'web02']) {
      for (const step of ['www-user', 'build-deps', 'nginx-source', 'php-source', 'php-fpm', 'pecl-memcache', 'php-session', 'app']) {
        expect(done).toContain(`${web}:${step}`)
      }
    }
    expect(done).toEqual(expect.arrayContaining(['db01:mariadb', 'db01:memcached', 'db01:db-firewall', 'lb01:lb-upstream']))
  }, 40 * 60_000)

  it("with the files handler the session proof fails: the procedure's original problem", async () => {
    const r = await verify('--check', 'session-proof')
    expect(r.exitCode, r.stdout).toBe(6)
    const report = JSON.parse(r.stdout) as {checks: Array<{name: string; status: string; detail?: string}>}
    const proof = report.checks.find((c) => c.name === 'session-proof')
    expect(proof?.status).toBe('fail')
    expect(proof?.detail).toMatch(/files|not read|missing/i)
  }, 120_000)

  it('switching the handler to memcache changes only php-session, and verify passes', async () => {
    await editConfig((doc) => {
      doc.session = {handler: 'memcache'}
    })
    const r = await run()
    expect(r.exitCode, failureText(r)).toBe(0)
    expect(changed(r.stdout)).toEqual(['web01:php-session', 'web02:php-session'])
    const v = await verify()
    expect(v.exitCode, v.stdout).toBe(0)
  }, 600_000)

  it("the seed's last check: logged into phpMyAdmin through lb01, pages from both web hosts, still logged in", async () => {
    const secrets = JSON.parse(await readFile(secretsPath(dir), 'utf8')) as Record<string, string>
    const browser = new Browser(LB, SERVER_NAME)
    const loginPage = await browser.get('/index.php')
    expect(loginPage.status).toBe(200)
    expect(isLoginPage(loginPage.body)).toBe(true)
    const form = hiddenInputs(loginPage.body)
    const login = await browser.post('/index.php?route=/', {
      ...form,
      pma_username: 'oldboy',
      pma_password: secrets['database.appPassword'] ?? '',
      server: '1',
    })
    expect([200, 302]).toContain(login.status)

    const backends = new Set<string>()
    for (let i = 0; i < 8 && backends.size < 2; i++) {
      const page = await browser.get('/index.php?route=/')
      expect(page.status).toBe(200)
      expect(isLoggedIn(page.body), `request ${i} served by ${page.backend} is not logged in`).toBe(true)
      if (page.backend) backends.add(page.backend)
    }
    expect([...backends].sort()).toEqual(['web01', 'web02'])
  }, 120_000)

  it('a second run changes nothing and compiles nothing', async () => {
    const r = await run()
    expect(r.exitCode, failureText(r)).toBe(0)
    expect(runSummary(r.stdout).counts.changed).toBe(0)
  }, 600_000)
})

describe('verify against faults', () => {
  verifyFaultSuite(() => config)
})

describe('changes', () => {
  it('a changed PHP flag rebuilds PHP and PECL memcache on both web hosts only, and the proof passes again', async () => {
    // short-tags is a no-op for PHP 8's configure: the arguments change (a new build directory), php_config.h
    // does not, so the shared ccache answers nearly every object and the test stays minutes, not a quarter hour
    await editConfig((doc) => {
      doc.php = {...doc.php, features: PRESETS.seed.filter((f) => f !== 'short-tags')}
    })
    const r = await run()
    expect(r.exitCode, failureText(r)).toBe(0)
    const done = changed(r.stdout)
    expect(done).toEqual(expect.arrayContaining(['web01:php-source', 'web01:pecl-memcache', 'web02:php-source', 'web02:pecl-memcache']))
    expect(done.every((d) => d.startsWith('web01:') || d.startsWith('web02:'))).toBe(true)
    const v = await verify('--check', 'session-proof')
    expect(v.exitCode, v.stdout).toBe(0)
  }, 30 * 60_000)

  it('lab reset web02 then run: only web02 is rebuilt, and the proof passes', async () => {
    await resetHosts(['web02'])
    const r = await run()
    expect(r.exitCode, failureText(r)).toBe(0)
    const done = changed(r.stdout)
    expect(done.length).toBeGreaterThan(0)
    expect(done.every((d) => d.startsWith('web02:'))).toBe(true)
    const v = await verify()
    expect(v.exitCode, v.stdout).toBe(0)
  }, 30 * 60_000)
})

