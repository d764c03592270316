import {execFileSync} from 'node:child_process'
import {createHash} from 'node:crypto'
import {copyFile, mkdtemp, readdir, readFile, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it, onTestFinished} from 'vitest'
import YAML from 'yaml'

import {PRESETS} from '../../src/php/features.js'
import {httpGetCommand, parseHttpResponse} from '../../src/platform/lb.js'
import {secretsPath} from '../../src/secrets/store.js'
import {lnmpDeploy, runSummary, startLnmpDeploy, stepEnds} from '../helpers/cli.js'
import {tryRun} from '../../src/lab/exec.js'
import {labPaths} from '../../src/lab/paths.js'
import type {LabLogin, LabRelease} from '../../src/lab/release.js'
import {sshArgs} from '../../src/lab/ssh-probe.js'
import {ensureLabArtifacts, ensureLabUp, labFiles, onLabHost, removeLabHosts, resetHosts} from '../helpers/lab.js'
import {describeLoop, logIn, type LoopReport, RequestLoop} from '../helpers/request-loop.js'
import {Browser, hiddenInputs, isLoggedIn, isLoginPage} from '../helpers/phpmyadmin.js'
import {verifyFaultSuite} from './verify-faults.js'

const LB = '10.77.0.11'
const SERVER_NAME = 'phpmyadmin.oldboy.com'

export interface ClusterSuiteOptions {
  release: LabRelease
  /** who the config logs in as: root, or `deploy` through sudo (root's SSH login is off on such a lab) */
  login: LabLogin
  /** the PHP the first deploy builds */
  firstPhp: string
  /** a live upgrade of PHP to this version, under load, after the first changes */
  upgradeTo?: string
  /** session stores: 2 makes the lab with cache01 beside db01 and runs the failover tests */
  caches: number
  /**
   * the rebuilding live changes (a changed flag with a killed controller and a failed PECL build, rollback):
   * the same engine on every release, and minutes of compiling each, so one suite carries them
   */
  rebuilds: boolean
  /** lab web hosts: with 3, web03 waits outside the config until a test adds it and then retires it */
  webs?: number
}

/**
 * The whole procedure on four fresh lab hosts of one Debian release: compiled nginx and PHP, PHP-FPM,
 * phpMyAdmin, MariaDB, memcached, PECL memcache, the balancer. First with PHP's default `files` session
 * handler, which is the seed's problem (a login through the balancer does not survive), then with `memcache`,
 * which fixes it; then live changes under a logged-in request loop. The config lives in a directory of the
 * suite's own, beside its generated secrets and run logs. Prints the suite's time and its PHP builds.
 */
export function clusterSuite(options: ClusterSuiteOptions): void {
  const suite = `${options.release}, ${options.login} login`
  let dir: string
  let config: string
  let started = 0
  // PHP compiled on a host, and PHP installed from a kept package, by every run of the suite
  const phpBuilds: string[] = []
  const phpInstalls: string[] = []
  const livePhp = options.upgradeTo ?? options.firstPhp
  const growing = (options.webs ?? 2) >= 3

  async function editConfig(change: (doc: Record<string, any>) => void): Promise<void> {
    const doc = YAML.parse(await readFile(config, 'utf8')) as Record<string, any>
    change(doc)
    await writeFile(config, YAML.stringify(doc))
  }

  /** a run; every PHP build it finished is counted for the suite's summary */
  const run = async (...args: string[]) => {
    const r = await lnmpDeploy(['run', '-c', config, '--json', ...args], {timeoutMs: 40 * 60_000})
    for (const e of stepEnds(r.stdout)) {
      if (e.step !== 'php-source' || e.status !== 'changed') continue
      const said = (e.actions ?? []).map((a) => a.description)
      if (said.some((d) => d.includes('[detached job php-'))) phpBuilds.push(e.host)
      if (said.some((d) => d.startsWith('upload package '))) phpInstalls.push(e.host)
    }
    return r
  }
  async function verify(...args: string[]): Promise<{exitCode: number; stdout: string; stderr: string}> {
    const once = () => lnmpDeploy(['verify', '-c', config, '--json', ...args], {timeoutMs: 120_000})
    const first = await once()
    if (first.exitCode !== 4) return first
    // as in verify-faults.ts: a lab host that once did not answer SSH is asked once more, and said on stderr
    process.stderr.write(`[verify] exit 4: ${first.stdout.slice(0, 2000)}; once more\n`)
    return once()
  }
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
    started = Date.now()
    await ensureLabUp({release: options.release, login: options.login, caches: options.caches, webs: options.webs ?? 2})
    await ensureLabArtifacts({phpMyAdmin: true})
    await resetHosts(['lb01', 'web01', 'web02', ...(growing ? ['web03'] : []), 'db01'])
    dir = await mkdtemp(join(tmpdir(), 'lnmp-cluster-'))
    config = join(dir, 'lnmp-deploy.yml')
    await copyFile(labFiles().config, config)
    await editConfig((doc) => {
      doc.app = {kind: 'phpmyadmin', serverName: SERVER_NAME}
      doc.php = {version: options.firstPhp}
      // the procedure as it stood before its fix: each web host keeps its own sessions
      doc.session = {handler: 'files'}
      // web03 joins the cluster in a test of its own
      doc.hosts = doc.hosts.filter((h: {name: string}) => h.name !== 'web03')
    })
  }, 900_000)

  afterAll(async () => {
    process.stderr.write(
      `[cluster ${suite}] ${Math.round((Date.now() - started) / 1000)} s, ${phpBuilds.length} PHP compile(s): ${phpBuilds.join(', ')}; ${phpInstalls.length} PHP install(s) from a package: ${phpInstalls.join(', ')}\n`,
    )
    await removeLabHosts()
    if (dir) await rm(dir, {recursive: true, force: true})
  }, 300_000)

  describe(`the cluster on Debian ${suite}, from four fresh hosts`, () => {
    it(`logs in as ${options.login}, and the hosts run Debian ${options.release}`, async () => {
      const cfg = YAML.parse(await readFile(config, 'utf8')) as {ssh: {user: string}}
      expect(cfg.ssh.user).toBe(options.login)
      expect(await onHost('web01', '. /etc/os-release && echo $VERSION_CODENAME')).toBe(options.release)
      // root cannot log in over SSH on a deploy-login lab: whatever the run does as root, it does through sudo
      const rootLogin = await tryRun('ssh', [...sshArgs(labPaths(), '10.77.0.21', 'root'), 'true'])
      expect(rootLogin.code, rootLogin.stderr).toBe(options.login === 'deploy' ? 255 : 0)
    })

    it(
      'run deploys every milestone on every host',
      async () => {
        const t0 = Date.now()
        const r = await run()
        process.stderr.write(`[cluster ${suite}] first run: ${Math.round((Date.now() - t0) / 1000)} s\n`)
        expect(r.exitCode, failureText(r)).toBe(0)
        const done = changed(r.stdout)
        for (const web of ['web01', 'web02']) {
          for (const step of ['www-user', 'build-deps', 'nginx-source', 'php-source', 'php-fpm', 'pecl-memcache', 'php-session', 'app']) {
            // web02 installs web01's packages: its build-deps (xz, curl) may find the base image has them already
            if (web === 'web02' && step === 'build-deps') continue
            expect(done).toContain(`${web}:${step}`)
          }
        }
        expect(done).toEqual(expect.arrayContaining(['db01:mariadb', 'db01:memcached', 'db01:db-firewall', 'lb01:lb-upstream']))
      },
      40 * 60_000,
    )

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

    it('built once: web01 compiled nginx, PHP and PECL memcache and kept their packages; web02 runs the same bytes, never compiled', async () => {
      const buildJobs = "ls /var/lib/lnmp-deploy/jobs/ | grep -E '^(php|nginx|memcache)-' || true"
      expect(
        (await onHost('web01', buildJobs))
          .split('\n')
          .map((j) => j.split('-')[0])
          .sort(),
      ).toEqual(['memcache', 'nginx', 'php'])
      expect(await onHost('web02', buildJobs)).toBe('')
      // a runtime-only host: no compiler, no -dev package; its libraries came from the packages' manifests
      expect(await onHost('web02', 'command -v cc gcc make || true')).toBe('')
      expect(await onHost('web02', "dpkg-query -W -f '${Package}\\n' | grep -c -- '-dev$' || true")).toBe('0')
      expect(await onHost('web01', 'command -v gcc')).not.toBe('')
      const cache = join(dir, '.lnmp-deploy', 'packages')
      const kept = (await readdir(cache)).filter((f) => f.endsWith('.json'))
      expect(kept.map((f) => f.split('-')[0]).sort()).toEqual(['memcache', 'nginx', 'php'])
      for (const f of kept) expect((JSON.parse(await readFile(join(cache, f), 'utf8')) as {builtOn: string}).builtOn).toBe('web01')
      for (const binary of ['/application/php/sbin/php-fpm', '/application/nginx/sbin/nginx']) {
        const sum = `sha256sum $(readlink -f ${binary}) | cut -d' ' -f1`
        expect(await onHost('web02', sum)).toBe(await onHost('web01', sum))
      }
    }, 120_000)
  })

  describe('verify against faults', () => {
    verifyFaultSuite(() => config, {stores: options.caches})
  })

  const pause = (ms: number) => new Promise<void>((res) => setTimeout(res, ms))
  const memcached = (host: string, op: 'stop' | 'start') => onHost(host, `systemctl ${op} memcached`)

  describe('a session store that is up logs nobody out (issue 10)', () => {
    // a logout needs three SYNs of one connection lost in a row (0, 1 and 3 s): 0.05^3 per connection, about 0.02
    // per run of ~150 connections; with the extension's default 1 s a single loss was a logged-out page
    it('5% of the SYNs to memcached on db01 dropped for 45 s: every request logged in (the extension waits 4 s, not 1)', async () => {
      const table = 'inet lnmp_lab_loss'
      await onHost(
        'db01',
        `nft add table ${table} && nft add chain ${table} input '{ type filter hook input priority -10; policy accept; }' && ` +
          `nft add rule ${table} input tcp dport 11211 'tcp flags & (syn | ack) == syn' numgen random mod 20 == 0 counter drop`,
      )
      let dropped = ''
      try {
        await underLoad('5% of the SYNs to memcached dropped on db01', () => pause(45_000))
      } finally {
        dropped = await onHost('db01', `nft list table ${table} | grep -o 'packets [0-9]*'; nft delete table ${table}`)
      }
      process.stderr.write(`[loop] SYNs to memcached dropped on db01: ${dropped}\n`)
      // the loss really happened: with the extension's default 1 s, each of these was a logged-out page
      expect(Number(dropped.split(' ')[1] ?? 0)).toBeGreaterThan(0)
    }, 120_000)
  })

  describe.runIf(options.caches >= 2)('sessions on two stores: one memcached down or restarted empty logs nobody out (issue 10)', () => {
    it("every web host's save_path names both stores, and each store holds a session written through lb01", async () => {
      const v = await verify()
      expect(v.exitCode, v.stdout).toBe(0)
      const rows = (JSON.parse(v.stdout) as {checks: Array<{host: string; name: string; status: string}>}).checks
      for (const store of ['db01', 'cache01']) expect(rows.find((r) => r.name === `session-on-${store}`)?.status).toBe('pass')
      for (const web of ['web01', 'web02']) {
        expect(await onHost(web, 'cat /application/php/etc/conf.d/session.ini')).toContain('memcache.session_redundancy = 3')
      }
    })

    it('db01 stopped, started again empty, then cache01 stopped: a logged-in user through lb01 loses nothing', async () => {
      await underLoad('memcached stopped on db01, started empty, then stopped on cache01', async () => {
        for (const store of ['db01', 'cache01']) {
          await memcached(store, 'stop')
          try {
            await pause(8000)
          } finally {
            await memcached(store, 'start')
          }
          // the store that came back is empty: reads of sessions written meanwhile fail over to the other one
          await pause(8000)
        }
      })
    }, 120_000)

    it('verify --check session-failover stops each store in turn, says so first, and passes', async () => {
      const r = await lnmpDeploy(['verify', '-c', config, '--check', 'session-failover'], {timeoutMs: 120_000})
      expect(r.exitCode, r.stdout + r.stderr).toBe(0)
      expect(r.stderr).toContain('session-failover: stopping memcached on db01')
      expect(r.stderr).toContain('session-failover: stopping memcached on cache01')
      expect(r.stdout).toMatch(/session-failover-db01\s+pass/)
      expect(r.stdout).toMatch(/session-failover-cache01\s+pass/)
    }, 120_000)

    it('nothing changing, both web hosts, two minutes: 0 logouts', async () => {
      const report = await underLoad('steady, nothing changing', () => pause(120_000))
      expect(Object.keys(report.byBackend).sort()).toEqual(['web01', 'web02'])
    }, 180_000)

    it('with one store configured, the same stop logs the user out: the difference the second store makes', async () => {
      let cache01: unknown
      onTestFinished(async () => {
        await editConfig((doc) => {
          doc.hosts = [...doc.hosts.filter((h: {name: string}) => h.name !== 'cache01'), cache01]
        })
        const back = await run()
        expect(back.exitCode, failureText(back)).toBe(0)
      })
      // cache01 leaves the config (its memcached runs on, untouched): db01 is the one store, as in the procedure
      await editConfig((doc) => {
        cache01 = doc.hosts.find((h: {name: string}) => h.name === 'cache01')
        doc.hosts = doc.hosts.filter((h: {name: string}) => h.name !== 'cache01')
      })
      const one = await run('--step', 'php-session')
      expect(one.exitCode, failureText(one)).toBe(0)
      const report = await loopWhile('one store, memcached stopped on db01', async () => {
        await memcached('db01', 'stop')
        try {
          await pause(5000)
        } finally {
          await memcached('db01', 'start')
        }
      })
      expect(report.loggedOut, 'with its only store down, a session cannot survive').toBeGreaterThan(0)
    }, 300_000)
  })

  /** A logged-in user asks for a page through lb01 five times a second while `change` runs. */
  async function underLoad(what: string, change: () => Promise<void>): Promise<LoopReport> {
    const report = await loopWhile(what, change)
    expect(report.failed, report.problems.join('\n')).toBe(0)
    expect(report.loggedOut, report.problems.join('\n')).toBe(0)
    return report
  }

  /** The same loop, its figures printed and returned, nothing asserted: for showing what a fault costs. */
  async function loopWhile(what: string, change: () => Promise<void>): Promise<LoopReport> {
    const secrets = JSON.parse(await readFile(secretsPath(dir), 'utf8')) as Record<string, string>
    const browser = await logIn(LB, SERVER_NAME, 'oldboy', secrets['database.appPassword'] ?? '')
    const loop = RequestLoop.start(browser, {intervalMs: 200, maxMs: 25 * 60_000})
    let report: LoopReport | undefined
    try {
      await change()
    } finally {
      report = await loop.stop()
      process.stderr.write(`${describeLoop(what, report)}\n`)
    }
    return report
  }

  async function onHost(host: string, command: string): Promise<string> {
    const r = await onLabHost(host, command)
    if (r.code !== 0) throw new Error(`${host}: ${command}: exit ${r.code}\n${r.stdout}${r.stderr}`)
    return r.stdout.trim()
  }

  /** Starts `run`, and SIGKILLs it (as a CI timeout would) once `when` says so about a line of its events. */
  async function runKilledWhen(when: (event: Record<string, unknown>) => Promise<boolean> | boolean): Promise<void> {
    const started = startLnmpDeploy(['run', '-c', config, '--json', '--clear-stale-lock'])
    for await (const line of started.lines) {
      let event: Record<string, unknown>
      try {
        event = JSON.parse(line) as Record<string, unknown>
      } catch {
        continue
      }
      if (await when(event)) {
        process.kill(started.pid, 'SIGKILL')
        break
      }
    }
    const end = await started.child
    expect(end.signal, 'the run ended before the moment it was to be killed at').toBe('SIGKILL')
  }

  /** The PHP job a run started on `host` after `earlierJobs` were there, once its make began (up to 15 minutes). */
  async function freshMakeJob(host: string, earlierJobs: string[]): Promise<string> {
    for (let i = 0; i < 900; i++) {
      const r = await onLabHost(host, "grep -l '^== make -j' /var/lib/lnmp-deploy/jobs/php-*/log 2>/dev/null || true")
      const fresh = r.stdout
        .split('\n')
        .map((l) => l.split('/').at(-2) ?? '')
        .find((job) => job !== '' && !earlierJobs.includes(job))
      if (fresh) return fresh
      await new Promise((res) => setTimeout(res, 1000))
    }
    throw new Error(`${host}: no new PHP job reached make in 15 minutes`)
  }

  const links = async (): Promise<string[]> => Promise.all(['web01', 'web02'].map((h) => onHost(h, 'readlink /application/php')))

  describe('changing the live cluster: one web host at a time out of rotation, nothing lost (issue 8)', () => {
    it(
      'php.fpmListen 9000 -> 9001 -> 9000: the pool and the vhost change together on each host, 0 failed, 0 logouts',
      async () => {
        onTestFinished(() =>
          editConfig((doc) => {
            doc.php = {...doc.php, fpmListen: '127.0.0.1:9000'}
          }),
        )
        await underLoad('fpmListen 9000 -> 9001 -> 9000', async () => {
          for (const listen of ['127.0.0.1:9001', '127.0.0.1:9000']) {
            await editConfig((doc) => {
              doc.php = {...doc.php, fpmListen: listen}
            })
            const r = await run()
            expect(r.exitCode, failureText(r)).toBe(0)
            expect(changed(r.stdout)).toEqual(expect.arrayContaining(['web01:app', 'web01:php-fpm', 'web02:app', 'web02:php-fpm']))
          }
        })
        const v = await verify()
        expect(v.exitCode, v.stdout).toBe(0)
      },
      10 * 60_000,
    )

    it(
      'a pool FPM cannot start on: the old one is put back and serves, and the next run recovers by itself',
      async () => {
        const restore = () =>
          editConfig((doc) => {
            doc.php = {...doc.php, fpmListen: '127.0.0.1:9000'}
          })
        onTestFinished(restore)
        await underLoad('a pool on a socket in a missing directory, then fixed', async () => {
          await editConfig((doc) => {
            doc.php = {...doc.php, fpmListen: '/run/lnmp-missing/php-fpm.sock'}
          })
          const bad = await run()
          expect(bad.exitCode, failureText(bad)).toBe(5)
          const failures = (runSummary(bad.stdout) as unknown as {failures: Array<{host: string; step: string; message: string}>}).failures
          expect(failures.map((f) => `${f.host}:${f.step}`).sort()).toEqual(['web01:php-fpm', 'web02:php-fpm'])
          for (const f of failures) expect(f.message).toMatch(/the previous state is back .* and php-fpm runs on it again/)
          await editConfig((doc) => {
            doc.php = {...doc.php, fpmListen: '127.0.0.1:9000'}
          })
          const fixed = await run()
          expect(fixed.exitCode, failureText(fixed)).toBe(0)
          // nothing was left half-changed: the put-back pool is the wanted one, nothing owed
          expect(changed(fixed.stdout)).toEqual([])
        })
        const status = await lnmpDeploy(['status', '-c', config, '--json'])
        const rows = (JSON.parse(status.stdout) as {hosts: Array<{owed: string[]}>}).hosts
        expect(rows.flatMap((r) => r.owed)).toEqual([])
      },
      10 * 60_000,
    )

    it(
      'a vhost value the whole nginx configuration refuses: the old vhost stays and serves; set back, the next run is clean',
      async () => {
        // a valid DNS name nginx cannot hash with its default server_names_hash_bucket_size (64): `nginx -t` fails
        const tooLong = 'phpmyadmin-cluster-of-the-oldboy-education-lnmp-tutorial-served.behind-one-balancer.lab.test'
        onTestFinished(() =>
          editConfig((doc) => {
            doc.app = {...doc.app, serverName: SERVER_NAME}
          }),
        )
        await underLoad('a server name nginx -t refuses, then set back', async () => {
          await editConfig((doc) => {
            doc.app = {...doc.app, serverName: tooLong}
          })
          const refused = await run()
          expect(refused.exitCode, failureText(refused)).toBe(5)
          const failures = (runSummary(refused.stdout) as unknown as {failures: Array<{host: string; step: string; message: string}>})
            .failures
          expect(failures.map((f) => `${f.host}:${f.step}`).sort()).toEqual(['web01:app', 'web02:app'])
          for (const f of failures) expect(f.message).toMatch(/app\.conf does not pass .*; the old file is untouched/)
          // the old vhost is in place on both, and nothing of the candidate is left beside it
          for (const web of ['web01', 'web02']) {
            expect(await onHost(web, `grep -c 'server_name ${SERVER_NAME};' /application/nginx/conf/extra/app.conf`)).toBe('1')
            expect(await onHost(web, 'ls -a /application/nginx/conf/extra/ | grep -c lnmp || true')).toBe('0')
          }
          await editConfig((doc) => {
            doc.app = {...doc.app, serverName: SERVER_NAME}
          })
          const back = await run()
          expect(back.exitCode, failureText(back)).toBe(0)
          expect(changed(back.stdout)).toEqual([])
        })
      },
      10 * 60_000,
    )

    it.runIf(growing)(
      'web03 added: installed from the kept packages, no compile, taken in by lb01 once it answers; then removed and retired: 0 failed, 0 logouts',
      async () => {
        const lab = YAML.parse(await readFile(labFiles().config, 'utf8')) as {hosts: Array<Record<string, unknown>>}
        const web03 = lab.hosts.find((h) => h.name === 'web03')
        expect(web03, 'the lab config lists web03').toBeDefined()
        const address = String(web03?.address)
        const withoutWeb03 = () =>
          editConfig((doc) => {
            doc.hosts = doc.hosts.filter((h: {name: string}) => h.name !== 'web03')
          })
        onTestFinished(withoutWeb03)
        const report = await underLoad('web03 added, then removed and retired', async () => {
          await editConfig((doc) => {
            doc.hosts = [...doc.hosts, web03]
          })
          const t0 = Date.now()
          const added = await run()
          process.stderr.write(`[cluster ${suite}] web03 added from the package cache: ${Math.round((Date.now() - t0) / 1000)} s\n`)
          expect(added.exitCode, failureText(added)).toBe(0)
          const done = changed(added.stdout)
          expect(done).toEqual(
            expect.arrayContaining([
              'web03:nginx-source',
              'web03:php-source',
              'web03:pecl-memcache',
              'lb01:lb-upstream',
              'db01:mariadb',
              'db01:db-firewall',
            ]),
          )
          // nothing else changed on the members, and web03 never compiled
          expect(done.filter((d) => d.startsWith('web01:') || d.startsWith('web02:'))).toEqual([])
          expect(await onHost('web03', "ls /var/lib/lnmp-deploy/jobs/ | grep -E '^(php|nginx|memcache)-' || true")).toBe('')
          expect(await onHost('web03', 'command -v cc gcc make || true')).toBe('')
          // lb01 sends it users now (the web vhost names itself in X-Backend)
          const seen = new Set<string>()
          for (let i = 0; i < 12 && !seen.has('web03'); i++) {
            const answer = parseHttpResponse(await onHost('lb01', httpGetCommand({address: '127.0.0.1', hostHeader: SERVER_NAME})))
            seen.add(answer?.headers.get('x-backend') ?? '')
          }
          expect([...seen]).toContain('web03')

          await withoutWeb03()
          const retired = await lnmpDeploy(['retire', 'web03', '--address', address, '-c', config, '--json'], {timeoutMs: 10 * 60_000})
          expect(retired.exitCode, retired.stdout.slice(-4000) + retired.stderr).toBe(0)
          expect(JSON.parse(retired.stdout.trim().split('\n').at(-1) ?? '{}')).toEqual({
            type: 'retire',
            host: 'web03',
            stopped: ['nginx', 'php-fpm'],
          })
        })
        expect(report.byBackend.web03 ?? 0, 'web03 answered the loop while it was a member').toBeGreaterThan(0)
        expect(await onHost('web03', 'systemctl is-active nginx php-fpm || true')).toBe('inactive\ninactive')
        expect(await onHost('lb01', `grep -c '${address}:80' /etc/nginx/conf.d/lnmp-upstream.conf || true`)).toBe('0')
        const v = await verify()
        expect(v.exitCode, v.stdout).toBe(0)
      },
      20 * 60_000,
    )

    it.runIf(options.upgradeTo !== undefined)(
      `PHP ${options.firstPhp} -> ${options.upgradeTo}, live, through the builder's SSH cut during its compile: compiled once on web01, shipped to web02, staged beside the old build, one host at a time, the user logged in before still logged in, the old build kept for rollback`,
      async () => {
        const to = options.upgradeTo ?? ''
        const before = await links()
        expect(
          before.every((l) => l.startsWith(`/application/php-${options.firstPhp}-`)),
          before.join(' '),
        ).toBe(true)
        let phpJob = ''
        await underLoad(`PHP ${options.firstPhp} -> ${to}, web01's SSH cut during make`, async () => {
          await editConfig((doc) => {
            doc.php = {...doc.php, version: to}
          })
          const earlierJobs = (await onHost('web01', 'ls /var/lib/lnmp-deploy/jobs/')).split('\n')
          const cut = startLnmpDeploy(['run', '-c', config, '--json'])
          phpJob = await freshMakeJob('web01', earlierJobs)
          // every SSH connection to web01 older than 5 s is the controller's (this command's own is younger): cut them
          await onHost(
            'web01',
            "ps -eo pid=,etimes=,args= | awk '$2 > 5 && $3 ~ /^sshd(-session)?:$/ && $4 ~ /@notty$/ {print $1}' | xargs -r kill",
          )
          const end = await cut.child
          expect(end.exitCode, 'the run went on as if web01 had not dropped').not.toBe(0)
          // web02 waited for its builder and did not compile either
          expect(await onHost('web02', `ls /var/lib/lnmp-deploy/jobs/ | grep -c '^php-${to}' || true`)).toBe('0')
          // the compile went on without its SSH connection; the next run reattaches to it, keeps its package,
          // installs that on web02 and finishes the upgrade
          const r = await run()
          expect(r.exitCode, failureText(r)).toBe(0)
          expect(changed(r.stdout)).toEqual(
            expect.arrayContaining(['web01:php-source', 'web02:php-source', 'web02:pecl-memcache', 'web02:php-switch']),
          )
        })
        expect(phpJob).toMatch(new RegExp(`^php-${to.replaceAll('.', '\\.')}-[0-9a-f]{8}$`))
        expect(await onHost('web01', `grep -c '^== make -j' /var/lib/lnmp-deploy/jobs/${phpJob}/log`)).toBe('1')
        expect(await onHost('web02', `ls /var/lib/lnmp-deploy/jobs/ | grep -c '^php-${to}' || true`)).toBe('0')
        for (const web of ['web01', 'web02']) expect(await onHost(web, '/application/php/bin/php -r "echo PHP_VERSION;"')).toBe(to)
        const after = await links()
        expect(
          after.every((l) => l.startsWith(`/application/php-${to}-`)),
          after.join(' '),
        ).toBe(true)
        // the old build stays for rollback
        const status = JSON.parse((await lnmpDeploy(['status', '-c', config, '--json'])).stdout) as {
          builds: Array<{host: string; component: string; dir: string; live: boolean}>
        }
        for (const [i, web] of ['web01', 'web02'].entries()) {
          expect(status.builds.find((b) => b.host === web && b.dir === before[i])?.live).toBe(false)
        }
        const v = await verify()
        expect(v.exitCode, v.stdout).toBe(0)
      },
      40 * 60_000,
    )

    it.runIf(options.rebuilds)(
      'a changed PHP flag: staged and switched one host at a time, through a killed controller and a failed PECL build',
      async () => {
        const before = await links()
        // a PECL memcache source that cannot build: the staged PHP must never go live without it
        const broken = join(dir, 'memcache-8.2-broken.tgz')
        execFileSync('bash', [
          '-c',
          `d=$(mktemp -d) && mkdir -p "$d/memcache-8.2" && echo broken > "$d/memcache-8.2/README" && tar -czf ${broken} -C "$d" memcache-8.2 && rm -rf "$d"`,
        ])
        const brokenSha = createHash('sha256')
          .update(await readFile(broken))
          .digest('hex')
        let phpJob = ''
        // the lab's memcache comes from its source cache: no artifacts.memcache entry to put back, only to remove
        const labMemcache = () => editConfig((doc) => void delete doc.artifacts.memcache)
        onTestFinished(labMemcache)
        await underLoad('a changed PHP flag, killed twice, a failed PECL build, then done', async () => {
          // short-tags is a no-op for PHP 8's configure: the arguments change (a new build directory), php_config.h
          // does not, so the shared ccache answers nearly every object and the test stays minutes, not a quarter hour
          await editConfig((doc) => {
            doc.php = {...doc.php, features: PRESETS.seed.filter((f) => f !== 'short-tags')}
            doc.artifacts = {...doc.artifacts, memcache: {file: broken, sha256: brokenSha}}
          })
          // killed while web01 compiles the new build: make goes on, detached
          const earlierJobs = (await onHost('web01', 'ls /var/lib/lnmp-deploy/jobs/')).split('\n')
          await runKilledWhen(async (e) => {
            if (e.type !== 'step-start' || e.host !== 'web01' || e.step !== 'php-source') return false
            phpJob = await freshMakeJob('web01', earlierJobs)
            return true
          })
          expect(phpJob).toMatch(new RegExp(`^php-${livePhp.replaceAll('.', '\\.')}-[0-9a-f]{8}$`))
          const failedPecl = await run('--clear-stale-lock')
          expect(failedPecl.exitCode, failureText(failedPecl)).toBe(5)
          const ends = stepEnds(failedPecl.stdout)
          // web02 waits for its builder's PECL build: it never tries the broken source itself
          expect(ends.find((e) => e.host === 'web01' && e.step === 'pecl-memcache')?.status).toBe('failed')
          expect(ends.find((e) => e.host === 'web02' && e.step === 'pecl-memcache')?.status).toBe('skipped')
          for (const web of ['web01', 'web02']) {
            expect(ends.find((e) => e.host === web && e.step === 'php-switch')?.status).toBe('skipped')
          }
          // both hosts still run the old build, with its sessions (the loop proves them)
          expect(await links()).toEqual(before)

          await labMemcache()
          // killed as web01 switches: the next run finds it wherever it stopped
          await runKilledWhen(async (e) => {
            if (e.type !== 'step-start' || e.host !== 'web01' || e.step !== 'php-switch') return false
            await new Promise((res) => setTimeout(res, 1500))
            return true
          })
          const done = await run('--clear-stale-lock')
          expect(done.exitCode, failureText(done)).toBe(0)
        })
        const after = await links()
        expect(after[0]).toBe(after[1])
        expect(after[0]).not.toBe(before[0])
        // one compile on web01 for this build: the killed run's make was reattached, never started again; none on web02
        expect(await onHost('web01', `grep -c '^== make -j' /var/lib/lnmp-deploy/jobs/${phpJob}/log`)).toBe('1')
        expect(await onHost('web02', `test -e /var/lib/lnmp-deploy/jobs/${phpJob} && echo compiled || echo no`)).toBe('no')
        const status = await lnmpDeploy(['status', '-c', config, '--json'])
        expect((JSON.parse(status.stdout) as {hosts: Array<{owed: string[]}>}).hosts.flatMap((r) => r.owed)).toEqual([])
        const v = await verify()
        expect(v.exitCode, v.stdout).toBe(0)
      },
      40 * 60_000,
    )

    it.runIf(options.rebuilds)(
      'rollback: the previous build again, one host at a time, verified; the next run keeps it',
      async () => {
        const live = await links()
        const statusBefore = JSON.parse((await lnmpDeploy(['status', '-c', config, '--json'])).stdout) as {
          builds: Array<{host: string; component: string; dir: string; live: boolean}>
        }
        const phpBuilds = statusBefore.builds.filter((b) => b.host === 'web01' && b.component === 'php')
        expect(phpBuilds.length).toBeGreaterThanOrEqual(2)
        expect(phpBuilds.find((b) => b.live)?.dir).toBe(live[0])
        await underLoad('rollback of PHP', async () => {
          const r = await lnmpDeploy(['rollback', '-c', config, '--json'], {timeoutMs: 10 * 60_000})
          expect(r.exitCode, r.stdout + r.stderr).toBe(0)
        })
        const back = await links()
        expect(back[0]).not.toBe(live[0])
        expect(back[0]).toBe(back[1])
        const v = await verify()
        expect(v.exitCode, v.stdout).toBe(0)
        const again = await run()
        expect(again.exitCode, failureText(again)).toBe(0)
        expect(changed(again.stdout)).toEqual([])
        expect(await links()).toEqual(back)
      },
      15 * 60_000,
    )

    it(
      'lab reset web02 then run: only web02 changes, from the kept packages without a compile, and the proof passes',
      async () => {
        await resetHosts(['web02'])
        const r = await run()
        expect(r.exitCode, failureText(r)).toBe(0)
        const done = changed(r.stdout)
        expect(done.length).toBeGreaterThan(0)
        expect(done.every((d) => d.startsWith('web02:'))).toBe(true)
        // a replaced server of the same platform never compiles: every build comes from the package cache
        expect(await onHost('web02', "ls /var/lib/lnmp-deploy/jobs/ | grep -E '^(php|nginx|memcache)-' || true")).toBe('')
        const v = await verify()
        expect(v.exitCode, v.stdout).toBe(0)
      },
      30 * 60_000,
    )
  })
}
