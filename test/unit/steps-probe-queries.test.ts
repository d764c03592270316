import {describe, expect, it} from 'vitest'

import type {AnyStep, StepContext} from '../../src/engine/step.js'
import {BATCH_MARK} from '../../src/platform/batch-probe.js'
import {secretShownIn} from '../../src/redact.js'
import type {ExecOptions, ExecResult, Remote} from '../../src/ssh/remote.js'
import {STEPS} from '../../src/steps/index.js'
import {mariadbQueries} from '../../src/steps/mariadb.js'
import {memcachedQueries} from '../../src/steps/memcached.js'
import {wwwUserQueries} from '../../src/steps/www-user.js'
import {FACTS, webCtx} from './steps-support-fixtures.js'

/**
 * The probe contract (issue 11): a step's probe makes exactly the round trips its probeQueries declare, each as
 * declared (command, root or not, stdin), so that output recorded for those queries is what the probe reads; and
 * no query's command line carries a secret.
 */
const SECRETS = new Map([
  ['database.rootPassword', 'queries-root-pw'],
  ['database.appPassword', 'queries-app-pw'],
  ['app.blowfishSecret', 'queries-blowfish-secret-0123456789'],
])

/** The seed topology on the first host with one of the step's roles. */
function ctxFor(step: AnyStep, platform: keyof typeof FACTS = 'debian12'): StepContext {
  const ctx = webCtx(FACTS[platform])
  const host = ctx.cluster.find((h) => h.roles.some((r) => step.roles.includes(r)))
  if (!host) throw new Error(`no host of the seed topology has a role of ${step.id}`)
  return {...ctx, host, secrets: SECRETS}
}

interface Asked {
  command: string
  options: ExecOptions | undefined
}

/**
 * A host on which every batched question answers `active`: a service that runs is what makes a probe go on to
 * a second round trip (mariadb asks the server only while it runs), so every query gets asked.
 */
function activeHost(asked: Asked[]): Remote {
  const exec = async (command: string, options?: ExecOptions): Promise<ExecResult> => {
    asked.push({command, options})
    const names = [...command.matchAll(new RegExp(`echo '${BATCH_MARK} ([^']+)'`, 'g'))].map((m) => m[1])
    return {code: 0, stdout: names.map((n) => `${BATCH_MARK} ${n}\nactive\n`).join(''), stderr: ''}
  }
  const unused = async (): Promise<never> => {
    throw new Error('a probe only reads')
  }
  return {name: 'fake', exec, run: exec, writeFile: unused, upload: unused, download: unused, runJob: unused, close: async () => {}}
}

/** The declared query a round trip is, by its command, root and stdin; undefined when none is. */
function queryAsked(step: AnyStep, ctx: StepContext, inputs: unknown, asked: Asked): string | undefined {
  return Object.entries(step.probeQueries ?? {}).find(
    ([, q]) =>
      q.command(inputs, ctx.facts) === asked.command &&
      q.sudo === (asked.options?.sudo === true) &&
      q.stdin?.(inputs) === asked.options?.stdin,
  )?.[0]
}

describe('every step probes through its declared queries', () => {
  for (const step of STEPS) {
    it(`${step.id}: its probe asks every query it declares and nothing else`, async () => {
      const ctx = ctxFor(step)
      const inputs = step.inputs(ctx)
      const asked: Asked[] = []
      await step.probe(activeHost(asked), ctx, inputs)
      if (asked.length === 0) {
        // a probe that asks the host nothing has nothing to record
        expect(step.probeQueries).toBeUndefined()
        return
      }
      expect(step.probeQueries, `${step.id} probes the host: declare its round trips as probeQueries`).toBeDefined()
      const names = asked.map((a) => queryAsked(step, ctx, inputs, a) ?? `undeclared: ${a.command.slice(0, 120)}`)
      expect([...new Set(names)].sort()).toEqual(Object.keys(step.probeQueries ?? {}).sort())
    })
  }

  it('every step of STEPS probes a host (none is without queries today)', () => {
    expect(STEPS.filter((s) => !s.probeQueries).map((s) => s.id)).toEqual([])
  })
})

describe('no query puts a secret on a command line', () => {
  for (const step of STEPS) {
    for (const platform of Object.keys(FACTS) as (keyof typeof FACTS)[]) {
      it(`${step.id} on ${platform}`, () => {
        const ctx = ctxFor(step, platform)
        let inputs: unknown
        try {
          inputs = step.inputs(ctx)
        } catch {
          // refused on this platform (CentOS 7 cannot build PHP 8.4): no command at all
          return
        }
        for (const [name, query] of Object.entries(step.probeQueries ?? {})) {
          expect(secretShownIn(query.command(inputs, ctx.facts), ctx.secrets), `${step.id} ${name}`).toBeUndefined()
        }
      })
    }
  }
})

describe('query commands, exactly', () => {
  it('www-user: four getent lookups in one batch, not as root (getent reads the account databases as anyone)', () => {
    const step = STEPS.find((s) => s.id === 'www-user')!
    const ctx = ctxFor(step)
    const want = step.inputs(ctx)
    expect(Object.keys(wwwUserQueries)).toEqual(['accounts'])
    expect(wwwUserQueries.accounts.sudo).toBe(false)
    expect(wwwUserQueries.accounts.command(want)).toBe(
      [
        `echo '${BATCH_MARK} groupByName'; { getent group www; } 2>/dev/null`,
        `echo '${BATCH_MARK} groupById'; { getent group 666; } 2>/dev/null`,
        `echo '${BATCH_MARK} userByName'; { getent passwd www; } 2>/dev/null`,
        `echo '${BATCH_MARK} userById'; { getent passwd 666; } 2>/dev/null`,
      ].join('; '),
    )
  })

  it('memcached on Debian 12: dpkg-query, the config file, the service, one batch as root', () => {
    const step = STEPS.find((s) => s.id === 'memcached')!
    const ctx = ctxFor(step, 'debian12')
    expect(memcachedQueries.host.sudo).toBe(true)
    expect(memcachedQueries.host.command(step.inputs(ctx), ctx.facts)).toBe(
      `echo '${BATCH_MARK} packages'; { dpkg-query -W -f '\${Package} \${Status}\\n' memcached 2>/dev/null; } 2>/dev/null; ` +
        `echo '${BATCH_MARK} config'; { sha256sum /etc/memcached.conf; } 2>/dev/null; ` +
        `echo '${BATCH_MARK} enabled'; { systemctl is-enabled memcached; } 2>/dev/null; ` +
        `echo '${BATCH_MARK} active'; { systemctl is-active memcached; } 2>/dev/null`,
    )
  })

  it('memcached on Rocky 9: rpm and /etc/sysconfig/memcached', () => {
    const step = STEPS.find((s) => s.id === 'memcached')!
    const ctx = ctxFor(step, 'rocky9')
    expect(memcachedQueries.host.command(step.inputs(ctx), ctx.facts)).toBe(
      `echo '${BATCH_MARK} packages'; { rpm -q --qf '%{NAME} installed\\n' memcached; } 2>/dev/null; ` +
        `echo '${BATCH_MARK} config'; { sha256sum /etc/sysconfig/memcached; } 2>/dev/null; ` +
        `echo '${BATCH_MARK} enabled'; { systemctl is-enabled memcached; } 2>/dev/null; ` +
        `echo '${BATCH_MARK} active'; { systemctl is-active memcached; } 2>/dev/null`,
    )
  })

  it('mariadb sql: mysql as root through the socket, the passwords in the SQL on its stdin only', () => {
    const step = STEPS.find((s) => s.id === 'mariadb')!
    const ctx = ctxFor(step, 'debian12')
    const want = step.inputs(ctx)
    expect(mariadbQueries.sql.command(want)).toBe('mysql --protocol=socket -uroot -N -B')
    expect(mariadbQueries.sql.sudo).toBe(true)
    const stdin = mariadbQueries.sql.stdin(want)
    expect(stdin).toContain("PASSWORD('queries-root-pw')")
    expect(stdin).toContain("PASSWORD('queries-app-pw')")
    expect(stdin.trimEnd().endsWith("SELECT 'end';")).toBe(true)
  })

  it('mariadb sql on CentOS 7: root without a password the first time, then from /root/.my.cnf', () => {
    const step = STEPS.find((s) => s.id === 'mariadb')!
    const ctx = ctxFor(step, 'centos7')
    expect(mariadbQueries.sql.command(step.inputs(ctx))).toBe(
      "if mysql --no-defaults --protocol=socket -uroot -e 'SELECT 1' >/dev/null 2>&1; then mysql --no-defaults --protocol=socket -uroot -N -B; else mysql --defaults-extra-file=/root/.my.cnf --protocol=socket -uroot -N -B; fi",
    )
  })
})

describe('secretShownIn', () => {
  const secrets = new Map([['database.appPassword', "o'Reilly-pw-2024"]])
  it('finds a secret whole, or a long plain run of it that survives quoting', () => {
    expect(secretShownIn("pw: o'Reilly-pw-2024", secrets)).toBe('database.appPassword')
    expect(secretShownIn(`'o'"'"'Reilly-pw-2024'`, secrets)).toBe('database.appPassword')
  })
  it('finds nothing in text without it, nor with an empty secret', () => {
    expect(secretShownIn('root\tpassword\tsocket\nend\n', secrets)).toBeUndefined()
    expect(secretShownIn('anything', new Map([['ssh.sudoPassword', '']]))).toBeUndefined()
  })
})
