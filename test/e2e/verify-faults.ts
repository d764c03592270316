import {execFileSync} from 'node:child_process'
import {randomBytes} from 'node:crypto'
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'

import {beforeAll, describe, expect, it} from 'vitest'
import YAML from 'yaml'

import {httpGetCommand, parseHttpResponse} from '../../src/platform/lb.js'
import {lnmpDeploy} from '../helpers/cli.js'
import {labFiles, onLabHost} from '../helpers/lab.js'

/**
 * `lnmp-deploy verify` against faults, on a FULLY DEPLOYED lab (every step run on all four hosts). Each fault
 * is injected, verify must fail with the right check, host, hint and exit code, and the fault is put back in
 * a finally before the next one. Nothing here brings the lab up, resets or tears down a host.
 *
 * test/e2e/cluster.test.ts calls verifyFaultSuite(() => itsConfig) once its deployment is done: a file of its
 * own could not run in `npm test`, where no other suite leaves a deployed lab behind.
 */
interface Row {
  host: string
  check: string
  name: string
  status: 'pass' | 'fail' | 'skipped'
  detail?: string
  hint?: string
}
interface Report {
  ok: boolean
  exitCode: number
  durationMs: number
  checks: Row[]
  unreachable: Array<{host: string; message: string}>
}

const PHP_FPM_READY = 'for i in $(seq 100); do ss -Hlnt sport = :9000 | grep -q . && exit 0; sleep 0.1; done; exit 1'
const SESSION_INI = '/application/php/etc/conf.d/session.ini'

let configOf: () => string = () => labFiles().config

async function verify(...args: string[]): Promise<{exitCode: number; report: Report; stderr: string}> {
  const first = await verifyOnce(args)
  if (first.exitCode !== 4) return first
  // A lab host that once did not answer SSH on this loaded 2-core machine (seen 1 run in 4, cause not found yet):
  // said on stderr for whoever looks into it, and asked once more; one that stays unreachable still fails.
  process.stderr.write(`[verify] exit 4, unreachable: ${JSON.stringify(first.report.unreachable)}; once more\n`)
  return verifyOnce(args)
}

async function verifyOnce(args: string[]): Promise<{exitCode: number; report: Report; stderr: string}> {
  const r = await lnmpDeploy(['verify', '-c', configOf(), '--json', ...args], {timeoutMs: 120_000})
  let report: Report
  try {
    report = JSON.parse(r.stdout) as Report
  } catch {
    throw new Error(`verify printed no JSON (exit ${r.exitCode}):\n${r.stdout}\n${r.stderr}`)
  }
  return {exitCode: r.exitCode, report, stderr: r.stderr}
}

const failing = (report: Report) => report.checks.filter((c) => c.status === 'fail')
const key = (c: Row) => `${c.host} ${c.check} ${c.name}`
const row = (report: Report, host: string, name: string) => report.checks.find((c) => c.host === host && c.name === name)

async function onHost(host: string, command: string): Promise<string> {
  const r = await onLabHost(host, command)
  if (r.code !== 0) throw new Error(`${host}: ${command}: exit ${r.code}\n${r.stdout}${r.stderr}`)
  return r.stdout
}

/**
 * lb01 rests a backend that failed twice for 5 s (max_fails=2 fail_timeout=5s): after a fault is put back, let
 * that window pass, then wait until both web hosts answer without an error through it, so the next check does
 * not meet the rest period.
 */
async function bothBackendsServe(): Promise<void> {
  await new Promise((res) => setTimeout(res, 6000))
  const seen = new Set<string>()
  for (let i = 0; i < 60 && seen.size < 2; i++) {
    const r = await onLabHost('lb01', httpGetCommand({address: '127.0.0.1', hostHeader: 'phpmyadmin.oldboy.com'}))
    const answer = parseHttpResponse(r.stdout)
    const backend = answer?.headers.get('x-backend')
    if (backend && answer && answer.status < 500) seen.add(backend)
    else await new Promise((res) => setTimeout(res, 500))
  }
  expect([...seen].sort(), 'both web hosts answer through lb01 again').toEqual(['web01', 'web02'])
}

/** `config`: the deployed cluster's config (the lab's own by default). */
export function verifyFaultSuite(config: () => string = () => labFiles().config, lab: {stores: number} = {stores: 1}): void {
  configOf = config
  describe('verify on the deployed lab', () => {
    beforeAll(async () => {
      const {exitCode, report} = await verify()
      expect(failing(report).map(key), 'the lab must be fully deployed and healthy before faults are injected').toEqual([])
      expect(exitCode).toBe(0)
    }, 120_000)

    it('passes quickly with every kind of check, and writes JUnit XML that parses', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'lnmp-verify-'))
      try {
        const started = Date.now()
        const {exitCode, report} = await verify('--junit', join(dir, 'report.xml'))
        expect(exitCode).toBe(0)
        // the 3 s promise is bench/verify-bench.ts's figure on a quiet machine; here, with builds and other suites
        // sharing two cores, only a bound that catches a verify gone serial or waiting on timeouts
        expect(report.durationMs).toBeLessThan(10_000)
        expect(Date.now() - started).toBeLessThan(15_000)
        const checks = new Set(report.checks.map((c) => c.check))
        for (const c of [
          'session-proof',
          'closed-ports',
          'web-root-clean',
          'services',
          'pecl-memcache',
          'mariadb',
          'lb-upstream',
          'db-firewall',
        ])
          expect(checks).toContain(c)
        expect(row(report, 'lb01', 'session-proof')?.detail).toMatch(/web01 and web02 served one session/)
        const parsed = execFileSync(
          'python3',
          [
            '-c',
            'import sys, xml.etree.ElementTree as ET; r = ET.parse(sys.argv[1]).getroot(); print(r.get("tests"), r.get("failures"), " ".join(s.get("name") for s in r))',
            join(dir, 'report.xml'),
          ],
          {encoding: 'utf8'},
        )
        expect(parsed.trim()).toBe(`${report.checks.length} 0 lb01 web01 web02 db01${lab.stores >= 2 ? ' cache01' : ''}`)
        // nothing of the proof stays behind
        for (const web of ['web01', 'web02'])
          expect((await onHost(web, 'ls /var/lib/lnmp-deploy/probes/ | grep -c "^lnmp-verify-" || true')).trim()).toBe('0')
      } finally {
        rmSync(dir, {recursive: true, force: true})
      }
    })

    it.runIf(lab.stores === 1)(
      'memcached stopped on db01: the store check, the connect tests and the session proof fail, exit 6',
      async () => {
        await onHost('db01', 'systemctl stop memcached')
        try {
          const {exitCode, report} = await verify()
          expect(exitCode).toBe(6)
          const names = failing(report).map(key)
          expect(names).toEqual(
            expect.arrayContaining([
              'db01 memcached memcached-listening',
              'db01 services memcached-active-enabled',
              'web01 pecl-memcache memcache-connect-db01',
              'web02 pecl-memcache memcache-connect-db01',
              'lb01 session-proof session-proof',
            ]),
          )
          const proof = row(report, 'lb01', 'session-proof')
          expect(proof?.detail).toMatch(/missing on every later request|session id changed/)
          expect(proof?.hint).toMatch(/memcached|store/)
          expect(row(report, 'db01', 'memcached-active-enabled')?.hint).toContain('systemctl start memcached on db01')
        } finally {
          await onHost('db01', 'systemctl start memcached')
        }
      },
    )

    it.runIf(lab.stores >= 2)(
      'memcached stopped on db01 with a second store: sessions live on (the proof passes), the store and its copy are named, exit 6',
      async () => {
        await onHost('db01', 'systemctl stop memcached')
        try {
          const {exitCode, report} = await verify()
          expect(exitCode).toBe(6)
          expect(failing(report).map(key)).toEqual(
            expect.arrayContaining([
              'db01 memcached memcached-listening',
              'web01 pecl-memcache memcache-connect-db01',
              'web02 pecl-memcache memcache-connect-db01',
              'lb01 session-proof session-on-db01',
            ]),
          )
          expect(row(report, 'lb01', 'session-proof')?.status).toBe('pass')
          expect(row(report, 'lb01', 'session-on-cache01')?.status).toBe('pass')
        } finally {
          await onHost('db01', 'systemctl start memcached')
        }
      },
    )

    it('php-fpm stopped on web02: web02 answers 502 through lb01, named with the php-fpm hint, exit 6', async () => {
      await onHost('web02', 'systemctl stop php-fpm')
      try {
        const {exitCode, report} = await verify()
        expect(exitCode).toBe(6)
        expect(failing(report).map(key)).toEqual(
          expect.arrayContaining(['web02 php-switch php-fpm-service', 'lb01 session-proof session-proof']),
        )
        // lb01 retries what web02 fails on web01 (proxy_next_upstream): users see no 502, the proof still names it;
        // once web02 failed twice within 5 s lb01 stops trying it (max_fails), so "tried and moved on" may not show
        const proof = row(report, 'lb01', 'session-proof')
        expect(proof?.detail).toMatch(/web02 never answered through lb01|^web02 answered 502 through lb01/)
        expect(proof?.hint).toContain('php-fpm` on web02')
        expect(failing(report).filter((c) => c.host === 'web01')).toEqual([])
      } finally {
        await onHost('web02', `systemctl start php-fpm && ${PHP_FPM_READY}`)
        await bothBackendsServe()
      }
    })

    it("web01's session handler switched back to files: the proof names web01 and its handler, exit 6", async () => {
      await onHost(
        'web01',
        `cp -p ${SESSION_INI} /root/session.ini.verify-fault && sed -i -e 's/^session.save_handler = .*/session.save_handler = files/' -e 's|^session.save_path = .*|session.save_path = "/tmp"|' ${SESSION_INI} && systemctl restart php-fpm && ${PHP_FPM_READY}`,
      )
      try {
        const {exitCode, report} = await verify()
        expect(exitCode).toBe(6)
        expect(failing(report).map(key)).toContain('lb01 session-proof session-proof')
        const proof = row(report, 'lb01', 'session-proof')
        expect(proof?.detail).toMatch(/^web01 uses session.save_handler=files/)
        expect(proof?.hint).toContain('--step php-session')
        expect(failing(report).filter((c) => c.host === 'web02')).toEqual([])
      } finally {
        await onHost('web01', `mv /root/session.ini.verify-fault ${SESSION_INI} && systemctl restart php-fpm && ${PHP_FPM_READY}`)
        await bothBackendsServe()
      }
    })

    it('port 11211 opened to lb01: db01 fails memcached-closed-to-lb01 with the firewall hint, exit 6', async () => {
      await onHost('db01', 'nft insert rule inet lnmp_deploy input ip saddr 10.77.0.11 tcp dport 11211 accept')
      try {
        const {exitCode, report} = await verify()
        expect(exitCode).toBe(6)
        expect(failing(report).map(key)).toEqual(['db01 db-firewall memcached-closed-to-lb01'])
        expect(row(report, 'db01', 'memcached-closed-to-lb01')?.hint).toContain('--step db-firewall')
      } finally {
        // the rule file replaces the whole table atomically
        await onHost('db01', 'nft -f /etc/lnmp-deploy/firewall.nft')
      }
    })

    it('a leftover info.php in a web root: web01 fails no-test-pages naming the file, exit 6', async () => {
      const roots = await onHost(
        'web01',
        "/application/nginx/sbin/nginx -T 2>/dev/null | sed -nE 's/^[[:space:]]*root[[:space:]]+([^;]+);.*/\\1/p' | grep '^/' | grep -v /probes | head -1",
      )
      const file = `${roots.trim()}/info.php`
      await onHost('web01', `printf '<?php phpinfo();\\n' > ${file}`)
      try {
        const {exitCode, report} = await verify()
        expect(exitCode).toBe(6)
        expect(failing(report).map(key)).toEqual(['web01 web-root-clean no-test-pages'])
        const r = row(report, 'web01', 'no-test-pages')
        expect(r?.detail).toBe(`left in a web root: ${file}`)
        expect(r?.hint).toContain(`rm ${file}`)
      } finally {
        await onHost('web01', `rm -f ${file}`)
      }
    })

    it('a host that cannot be reached: exit 4, the host named, its checks not run', async () => {
      // the config with web02's SSH port moved to one nothing listens on, beside the original (its relative
      // paths and generated secrets stay valid)
      const doc = YAML.parse(readFileSync(configOf(), 'utf8')) as {hosts: Array<{name: string; port?: number}>}
      const web02 = doc.hosts.find((h) => h.name === 'web02')
      if (!web02) throw new Error('no web02 in the config')
      web02.port = 1
      const moved = join(dirname(configOf()), `verify-unreachable-${randomBytes(4).toString('hex')}.yml`)
      writeFileSync(moved, YAML.stringify(doc))
      try {
        const r = await lnmpDeploy(['verify', '-c', moved, '--json', '--host', 'web02'], {timeoutMs: 60_000})
        expect(r.exitCode).toBe(4)
        const report = JSON.parse(r.stdout) as Report
        expect(report.unreachable.map((u) => u.host)).toEqual(['web02'])
        expect(report.checks.filter((c) => c.host === 'web02')).toEqual([])
      } finally {
        rmSync(moved, {force: true})
      }
    })

    it('passes again once every fault is put back', async () => {
      const {exitCode, report} = await verify()
      expect(failing(report).map(key)).toEqual([])
      expect(exitCode).toBe(0)
    })
  })
}
