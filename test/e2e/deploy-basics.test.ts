import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {lnmpDeploy, runSummary, stepEnds} from '../helpers/cli.js'
import {type LabFiles, ensureLabUp, onLabHost, removeLabHosts, resetHosts} from '../helpers/lab.js'

/**
 * The engine on the four lab hosts, from fresh servers, with the two quick steps (www-user on the web hosts,
 * memcached on db01): verify, idempotence, --host, and a host replaced by a brand-new one. The whole cluster,
 * compiles included, is test/e2e/cluster.test.ts.
 */
const QUICK_STEPS = ['--step', 'www-user', '--step', 'memcached']
let lab: LabFiles

beforeAll(async () => {
  lab = await ensureLabUp()
  // fresh servers, whatever an earlier run left in the kept host deltas
  await resetHosts(['web01', 'web02', 'db01'])
}, 900_000)

afterAll(async () => {
  await removeLabHosts()
}, 300_000)

const run = (...args: string[]) => lnmpDeploy(['run', '-c', lab.config, '--json', ...QUICK_STEPS, ...args])
const verify = (...args: string[]) => lnmpDeploy(['verify', '-c', lab.config, ...QUICK_STEPS, ...args])

describe('deploying to fresh lab hosts', () => {
  it('applies www-user on both web hosts and memcached on db01', async () => {
    const r = await run()
    expect(r.exitCode, r.stdout.slice(-3000) + r.stderr).toBe(0)
    const ends = stepEnds(r.stdout).map((e) => `${e.host}:${e.step}:${e.status}`)
    expect(ends.sort()).toEqual(['db01:memcached:changed', 'web01:www-user:changed', 'web02:www-user:changed'])
  }, 600_000)

  it('memcached listens on db01 private address only, with UDP off', async () => {
    const ss = await onLabHost('db01', 'ss -Hlntu sport = :11211')
    expect(ss.stdout).toMatch(/^tcp\s+LISTEN.*10\.77\.0\.31:11211/m)
    expect(ss.stdout).not.toMatch(/^udp/m)
    expect(ss.stdout).not.toContain('0.0.0.0:11211')
    expect((await onLabHost('db01', 'systemctl is-enabled memcached')).stdout.trim()).toBe('enabled')
  })

  it('verify passes, with a set/get from each web host', async () => {
    const r = await verify('--json')
    expect(r.exitCode, r.stdout).toBe(0)
    const report = JSON.parse(r.stdout) as {ok: boolean; checks: Array<{host: string; name: string; ok: boolean}>}
    expect(report.ok).toBe(true)
    const names = report.checks.map((c) => `${c.host}:${c.name}`)
    expect(names).toEqual(
      expect.arrayContaining([
        'web01:www-user',
        'web02:www-user',
        'db01:memcached-listening',
        'db01:memcached-set-get-from-web01',
        'db01:memcached-set-get-from-web02',
      ]),
    )
  }, 120_000)

  it('a second run changes nothing', async () => {
    const r = await run()
    expect(r.exitCode).toBe(0)
    expect(runSummary(r.stdout).counts.changed).toBe(0)
    expect(new Set(stepEnds(r.stdout).map((e) => e.status))).toEqual(new Set(['unchanged']))
  }, 300_000)

  it('run --host web01 touches only web01', async () => {
    const journalBefore = (await onLabHost('web02', 'stat -c %Y /var/lib/lnmp-deploy/state.json')).stdout
    const r = await run('--host', 'web01')
    expect(r.exitCode).toBe(0)
    expect(new Set(stepEnds(r.stdout).map((e) => e.host))).toEqual(new Set(['web01']))
    expect((await onLabHost('web02', 'stat -c %Y /var/lib/lnmp-deploy/state.json')).stdout).toBe(journalBefore)
  }, 300_000)

  it('a brand-new db01 is restored by the next run, and only db01 changes', async () => {
    await resetHosts(['db01'])
    const down = await verify('--json')
    expect(down.exitCode).toBe(6)

    const r = await run()
    expect(r.exitCode, r.stdout.slice(-3000)).toBe(0)
    const changed = stepEnds(r.stdout)
      .filter((e) => e.status === 'changed')
      .map((e) => `${e.host}:${e.step}`)
    expect(changed).toEqual(['db01:memcached'])
    const after = await verify()
    expect(after.exitCode, after.stdout).toBe(0)
  }, 600_000)
})
