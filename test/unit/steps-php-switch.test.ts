import {describe, expect, it} from 'vitest'

import {sha256Of} from '../../src/hash.js'
import {orderSteps} from '../../src/engine/graph.js'
import type {Action, AnyStep, StepContext} from '../../src/engine/step.js'
import {STEPS} from '../../src/steps/index.js'
import {peclMemcache} from '../../src/steps/pecl-memcache.js'
import {phpFpm} from '../../src/steps/php-fpm.js'
import {phpSession} from '../../src/steps/php-session.js'
import {phpSource} from '../../src/steps/php-source.js'
import {phpSwitch, phpSwitchInputs} from '../../src/steps/php-switch.js'
import {buildsCommand, parseBuilds, previousBuild} from '../../src/steps/support/builds.js'
import {phpBuild} from '../../src/steps/support/php-build.js'
import {PIN_DIR, endPinAction, liveBuild, parsePin, pinCommand, pinPath, renderPin} from '../../src/steps/support/rollback-pin.js'
import {brief} from './action-brief.js'
import {describeStepFixtures, loadStepFixtures, stepFixtureFolder} from './step-fixtures.js'
import {FACTS, webCtx} from './steps-support-fixtures.js'

describe('php-switch inputs', () => {
  it('the build the config asks for, the symlink, the unit and where FPM listens', () => {
    const ctx = webCtx(FACTS.debian12)
    expect(phpSwitchInputs(ctx)).toEqual({dir: phpBuild(ctx).dir, home: '/application/php', service: 'php-fpm', listen: '127.0.0.1:9000'})
  })
})

// the plan as data: test/unit/fixtures/php-switch/*.json, run by test/unit/step-fixtures.ts
describeStepFixtures(phpSwitch, stepFixtureFolder('php-switch'))

describe('php-switch: what every case keeps', () => {
  const cases = loadStepFixtures(stepFixtureFolder('php-switch'))
  it("a switch is always preceded by the staged build's own php-fpm -t, and followed by a restart or a start", () => {
    for (const {file, fixture} of cases) {
      const kinds = fixture.expected.actions.map((a) => (a.kind === 'service' ? `service:${String(a.op)}` : a.kind))
      const at = kinds.indexOf('switch-link')
      if (at === -1) continue
      const link = fixture.expected.actions[at]!
      expect(fixture.expected.actions[at - 1], file).toEqual({
        kind: 'run',
        description: `check the staged build ${String(link.target)}: php-fpm -t`,
        command: `${String(link.target)}/sbin/php-fpm -t`,
      })
      expect(kinds.slice(at + 1), file).toEqual([(fixture.facts as {active: boolean}).active ? 'service:restart' : 'service:enable-now'])
    }
  })
  it("a restart of a running FPM is always out of the balancer's rotation; a start of a stopped one needs not be", () => {
    for (const {file, fixture} of cases) {
      for (const a of fixture.expected.actions.filter((x) => x.kind === 'service')) {
        expect(a.behindBalancer, file).toBe(a.op === 'restart' ? true : undefined)
      }
    }
  })
})

describe('builds on a host (status, rollback)', () => {
  it('asks where the link points and when each complete build was marked, in one command', () => {
    expect(buildsCommand('/application', 'php')).toBe(
      `echo @@link@@ "$(readlink /application/php)"; for m in /application/php-*/.lnmp-deploy-build.json; do [ -f "$m" ] && stat -c '%Y %n' "$m"; done; true`,
    )
    expect(buildsCommand('/srv/my apps', 'nginx')).toBe(
      `echo @@link@@ "$(readlink '/srv/my apps/nginx')"; for m in '/srv/my apps'/nginx-*/.lnmp-deploy-build.json; do [ -f "$m" ] && stat -c '%Y %n' "$m"; done; true`,
    )
  })

  const recorded = [
    '@@link@@ /application/php-8.2.32-aaaa',
    '1764400000 /application/php-8.2.36-cccc/.lnmp-deploy-build.json',
    '1764590000 /application/php-8.2.32-aaaa/.lnmp-deploy-build.json',
    '1764500000 /application/php-8.2.32-bbbb/.lnmp-deploy-build.json',
    '',
  ].join('\n')

  it('parses them newest first, the live one marked', () => {
    expect(parseBuilds(recorded)).toEqual([
      {dir: '/application/php-8.2.32-aaaa', builtAt: 1764590000, live: true},
      {dir: '/application/php-8.2.32-bbbb', builtAt: 1764500000, live: false},
      {dir: '/application/php-8.2.36-cccc', builtAt: 1764400000, live: false},
    ])
  })

  it('equal times are ordered by name, whatever order the glob gave', () => {
    const same = [
      '@@link@@ ',
      '1764500000 /application/php-a/.lnmp-deploy-build.json',
      '1764500000 /application/php-b/.lnmp-deploy-build.json',
    ].join('\n')
    expect(parseBuilds(same).map((b) => b.dir)).toEqual(['/application/php-b', '/application/php-a'])
  })

  it('no link and no builds: nothing live, nothing listed', () => {
    expect(parseBuilds('@@link@@ \n')).toEqual([])
    expect(parseBuilds('@@link@@ \n1764500000 /application/php-x/.lnmp-deploy-build.json\n')).toEqual([
      {dir: '/application/php-x', builtAt: 1764500000, live: false},
    ])
  })

  it('a rollback goes to the newest build older than the live one', () => {
    expect(previousBuild(parseBuilds(recorded))).toEqual({dir: '/application/php-8.2.32-bbbb', builtAt: 1764500000, live: false})
  })

  it('a build newer than the live one (the one rolled back from) is passed over', () => {
    const afterRollback = recorded.replace('@@link@@ /application/php-8.2.32-aaaa', '@@link@@ /application/php-8.2.32-bbbb')
    expect(previousBuild(parseBuilds(afterRollback))).toEqual({dir: '/application/php-8.2.36-cccc', builtAt: 1764400000, live: false})
  })

  it('none when the live build is the oldest, or nothing is live', () => {
    const oldest = recorded.replace('@@link@@ /application/php-8.2.32-aaaa', '@@link@@ /application/php-8.2.36-cccc')
    expect(previousBuild(parseBuilds(oldest))).toBeUndefined()
    expect(previousBuild(parseBuilds(recorded.replace('@@link@@ /application/php-8.2.32-aaaa', '@@link@@ ')))).toBeUndefined()
  })
})

describe('the rollback pin', () => {
  const pin = {from: '/application/php-8.2.32-aaaa', to: '/application/php-8.2.32-bbbb', at: '2026-01-12T09:30:00.000Z'}

  it('lives in the state folder, one per component, read with cat', () => {
    expect(PIN_DIR).toBe('/var/lib/lnmp-deploy/rollback')
    expect(pinPath('php')).toBe('/var/lib/lnmp-deploy/rollback/php.json')
    expect(pinPath('nginx')).toBe('/var/lib/lnmp-deploy/rollback/nginx.json')
    expect(pinCommand('php')).toBe('cat /var/lib/lnmp-deploy/rollback/php.json')
  })

  it('parses what renderPin writes; nothing, garbage or a partial pin is no pin', () => {
    expect(parsePin(renderPin(pin))).toEqual(pin)
    expect(parsePin(`${JSON.stringify({...pin, extra: 1})}\n`)).toEqual(pin)
    expect(parsePin(undefined)).toBeUndefined()
    expect(parsePin('  \n')).toBeUndefined()
    expect(parsePin('cat: /var/lib/lnmp-deploy/rollback/php.json: No such file or directory')).toBeUndefined()
    expect(parsePin(JSON.stringify({from: pin.from, to: pin.to}))).toBeUndefined()
    expect(parsePin(JSON.stringify({...pin, to: 1}))).toBeUndefined()
  })

  it('keeps the build rolled back to live while the config asks for the one rolled back from', () => {
    expect(liveBuild(pin.from, pin)).toBe(pin.to)
    expect(liveBuild('/application/php-8.2.36-cccc', pin)).toBe('/application/php-8.2.36-cccc')
    expect(liveBuild(pin.from, undefined)).toBe(pin.from)
  })

  it('is removed once the config asks for another build, and only then', () => {
    expect(endPinAction('php', pin, '/application/php-8.2.36-cccc')).toEqual([
      {
        kind: 'run',
        description: 'end the rollback to /application/php-8.2.32-bbbb: the config now asks for /application/php-8.2.36-cccc',
        command: 'rm -f /var/lib/lnmp-deploy/rollback/php.json',
      },
    ])
    expect(endPinAction('nginx', {...pin, from: '/application/nginx-1.22.1-aaaa'}, '/application/nginx-1.26.3-dddd')[0]).toMatchObject({
      command: 'rm -f /var/lib/lnmp-deploy/rollback/nginx.json',
    })
    expect(endPinAction('php', pin, pin.from)).toEqual([])
    expect(endPinAction('php', undefined, pin.from)).toEqual([])
  })
})

describe('the staged switch order (issue 8: stage, then switch, in one move)', () => {
  it('php-switch runs after the build and everything configured in it; the app after the switch', () => {
    const order = orderSteps(STEPS).map((s) => s.id)
    const at = (id: string) => {
      expect(order).toContain(id)
      return order.indexOf(id)
    }
    for (const before of ['php-source', 'php-fpm', 'pecl-memcache', 'php-session'])
      expect(at(before), before).toBeLessThan(at('php-switch'))
    expect(at('php-switch')).toBeLessThan(at('app'))
    expect(at('nginx-source')).toBeLessThan(at('app'))
    expect(phpSwitch.after).toEqual(['php-source', 'php-fpm', 'pecl-memcache', 'php-session'])
    expect(STEPS.find((s) => s.id === 'app')?.after).toContain('php-switch')
    expect(phpSwitch.roles).toEqual(['web'])
  })

  /**
   * web01 runs build A; the config now asks for A plus one feature (zip), build B, compiled nowhere yet. Each
   * step's plan for the facts its probe would find before the run, in the order the engine runs them.
   */
  const ctxA = webCtx(FACTS.debian12)
  const a = phpBuild(ctxA)
  const ctxB: StepContext = webCtx(FACTS.debian12, {php: {features: [...a.features, 'zip']}})
  const b = phpBuild(ctxB)
  const inputs = <S extends AnyStep>(step: S) => step.inputs(ctxB) as ReturnType<S['inputs']>
  const source = inputs(phpSource)
  const fpm = inputs(phpFpm)
  const memcache = inputs(peclMemcache)
  const session = inputs(phpSession)
  const facts: Record<string, unknown> = {
    // the tarball of the version is on the host already: the same PHP version, only a flag changed
    'php-source': {marker: undefined, tarballSha256: source.tarball.sha256, iniPresent: false},
    'php-fpm': {sums: {}, unitSha256: sha256Of(fpm.unit), active: true, linkTarget: a.dir},
    'pecl-memcache': {marker: undefined, tarballSha256: memcache.tarball.sha256, iniSha256: undefined, linkTarget: a.dir},
    'php-session': {iniSha256: undefined, probeSha256: sha256Of(session.probe), linkTarget: a.dir},
    'php-switch': {linkTarget: a.dir, active: true, enabled: true, runningExe: `${a.dir}/sbin/php-fpm`, pin: undefined},
  }
  const steps = orderSteps(STEPS).filter((s) => s.id in facts)
  const plans = steps.map((s) => ({id: s.id, actions: s.plan(facts[s.id], s.inputs(ctxB)).actions as Action[]}))

  it('B is another directory than A', () => {
    expect(b.dir).not.toBe(a.dir)
    expect(b.dir).toMatch(/^\/application\/php-8\.4\.24-[0-9a-f]{8}$/)
  })

  it('each step, in order: B built, configured and completed beside A, and only php-switch moves the link and restarts', () => {
    expect(plans.map((p) => ({id: p.id, actions: brief(p.actions)}))).toEqual([
      {
        id: 'php-source',
        actions: [`run:forget an earlier result of job ${b.id} whose install is gone`, `run:build PHP 8.4.24 into ${b.dir}`],
      },
      {
        id: 'php-fpm',
        actions: [`write:${b.dir}/etc/php-fpm.d/www.conf`, `write:${b.dir}/etc/php-fpm.conf`],
      },
      {
        id: 'pecl-memcache',
        actions: [
          `run:forget an earlier result of job memcache-8.2-for-${b.id} whose install is gone`,
          `run:build PECL memcache 8.2 for ${b.dir}`,
          `write:${b.dir}/etc/conf.d/memcache.ini`,
        ],
      },
      {
        id: 'php-session',
        actions: [`write:${b.dir}/etc/conf.d/session.ini`],
      },
      {
        id: 'php-switch',
        actions: [`run:check the staged build ${b.dir}: php-fpm -t`, `switch:/application/php->${b.dir}`, 'service:restart:rotation'],
      },
    ])
  })

  it('nothing before the switch touches A, the link or the service', () => {
    const before = plans.filter((p) => p.id !== 'php-switch').flatMap((p) => p.actions)
    expect(before.filter((x) => x.kind === 'service' || x.kind === 'switch-link')).toEqual([])
    for (const x of before) {
      if (x.kind === 'write-file') expect(x.path.startsWith(`${b.dir}/`)).toBe(true)
      expect(JSON.stringify(x)).not.toContain(a.dir)
      expect(JSON.stringify(x)).not.toMatch(/\/application\/php[/ ]/)
    }
  })

  it('the switch itself: B checked with its own php-fpm, the link moved, FPM restarted out of rotation and waited for', () => {
    expect(plans.at(-1)?.actions).toEqual([
      {kind: 'run', description: `check the staged build ${b.dir}: php-fpm -t`, command: `${b.dir}/sbin/php-fpm -t`},
      {kind: 'switch-link', link: '/application/php', target: b.dir},
      {kind: 'service', service: 'php-fpm', op: 'restart', ready: {tcp: {host: '127.0.0.1', port: 9000}}, behindBalancer: true},
    ])
  })
})
