import type {Action, Step, StepContext, StepPlan} from '../engine/step.js'
import {sha256Of} from '../engine/actions.js'
import {batchCommand, firstWord, parseBatch} from '../platform/batch-probe.js'
import {COMPILED_UNITS} from '../platform/services.js'
import {renderFpmConfig, renderFpmPool} from '../php/fpm.js'
import {cmd} from '../ssh/shell.js'
import {renderTemplate} from '../templates.js'
import {askAll, check, listeningCommand, serviceQuestions} from './support/checks.js'
import {phpBuild} from './support/php-build.js'

/**
 * The procedure's "configure php-fpm and start PHP" milestones: `cp php-fpm.conf.default php-fpm.conf`
 * (here: our php-fpm.conf and a `www` pool on 127.0.0.1:9000), then php-fpm under systemd instead of a
 * bare `sbin/php-fpm`. A (re)start counts as done only when FPM answers on its port again: the unit is
 * Type=simple, so systemctl returns before the pool listens and nginx would answer 502 meanwhile.
 */
export interface PhpFpmInputs {
  /** the build the files belong to: a new build is another directory, with its own etc/ */
  dir: string
  home: string
  files: Array<{path: string; content: string}>
  unitPath: string
  unit: string
  service: string
  listen: string
}

export interface PhpFpmFacts {
  /** sha256 by path of the files that exist */
  sums: Record<string, string>
  unitSha256: string | undefined
  active: boolean
  enabled: boolean
  /** the running master's executable, e.g. /application/php-8.2.32-1a2b3c4d/sbin/php-fpm */
  runningExe: string
}

const UNIT_DIR = '/etc/systemd/system'

/** 127.0.0.1:9000 as a readiness check; a socket path is checked by the command that tests it. */
export function fpmReady(listen: string): {tcp: {host: string; port: number}} | {command: string} {
  const m = /^(.+):(\d+)$/.exec(listen)
  return m ? {tcp: {host: m[1] ?? '127.0.0.1', port: Number(m[2])}} : {command: cmd('test', '-S', listen)}
}

export function phpFpmInputs(ctx: StepContext): PhpFpmInputs {
  const build = phpBuild(ctx)
  const listen = ctx.config.php.fpmListen
  return {
    dir: build.dir,
    home: build.home,
    // the pool first: php-fpm.conf is validated with `php-fpm -t`, which needs a pool to exist
    files: [
      {path: `${build.dir}/etc/php-fpm.d/www.conf`, content: renderFpmPool(listen)},
      {path: `${build.dir}/etc/php-fpm.conf`, content: renderFpmConfig(build.home)},
    ],
    unitPath: `${UNIT_DIR}/${COMPILED_UNITS.phpFpm}.service`,
    unit: renderTemplate('systemd/php-fpm.service', {phpHome: build.home}),
    service: COMPILED_UNITS.phpFpm,
    listen,
  }
}

export function planPhpFpm(facts: PhpFpmFacts, want: PhpFpmInputs): StepPlan {
  const actions: Action[] = []
  const ready = fpmReady(want.listen)
  let configChanged = false
  for (const f of want.files) {
    if (facts.sums[f.path] === sha256Of(f.content)) continue
    configChanged = true
    const validate = f.path.endsWith('/php-fpm.conf') ? `${cmd(`${want.dir}/sbin/php-fpm`, '-t', '-y')} {}` : undefined
    actions.push({kind: 'write-file', path: f.path, content: f.content, mode: 0o644, ...(validate ? {validate} : {})})
  }
  const unitChanged = facts.unitSha256 !== sha256Of(want.unit)
  if (unitChanged) {
    actions.push({kind: 'write-file', path: want.unitPath, content: want.unit, mode: 0o644})
    actions.push({kind: 'run', description: 'reload systemd units', command: 'systemctl daemon-reload'})
  }
  const oldBuild = facts.active && !facts.runningExe.startsWith(`${want.dir}/`)
  if (!facts.active) {
    actions.push({kind: 'service', service: want.service, op: 'enable-now', ready})
  } else {
    if (configChanged || unitChanged || oldBuild) actions.push({kind: 'service', service: want.service, op: 'restart', ready})
    if (!facts.enabled) actions.push({kind: 'service', service: want.service, op: 'enable-now'})
  }
  if (actions.length === 0) return {actions, reason: `php-fpm of ${want.dir} configured, enabled and answering on ${want.listen}`}
  return {actions}
}

export const phpFpm: Step<PhpFpmInputs, PhpFpmFacts> = {
  id: 'php-fpm',
  title: 'Configure PHP-FPM (php-fpm.conf, the www pool), install its unit and start it',
  roles: ['web'],
  after: ['php-source', 'www-user'],

  inputs: phpFpmInputs,

  async probe(remote, ctx) {
    const want = phpFpmInputs(ctx)
    const {stdout} = await remote.exec(
      batchCommand({
        ...Object.fromEntries(want.files.map((f, i) => [`file${i}`, cmd('sha256sum', f.path)])),
        unit: cmd('sha256sum', want.unitPath),
        ...serviceQuestions(want.service),
        exe: `readlink /proc/$(systemctl show -p MainPID --value ${cmd(want.service)})/exe`,
      }),
      {sudo: true},
    )
    const a = parseBatch(stdout)
    const sum = (k: string) => firstWord(a.get(k))
    const sums: Record<string, string> = {}
    want.files.forEach((f, i) => {
      const s = sum(`file${i}`)
      if (s) sums[f.path] = s
    })
    return {
      sums,
      unitSha256: sum('unit'),
      active: a.get('active')?.trim() === 'active',
      enabled: a.get('enabled')?.trim() === 'enabled',
      runningExe: a.get('exe')?.trim() ?? '',
    }
  },

  plan: planPhpFpm,

  async verify({remote}, ctx) {
    const want = phpFpmInputs(ctx)
    const fpm = `${want.home}/sbin/php-fpm`
    const port = 'tcp' in fpmReady(want.listen) ? Number(want.listen.split(':').pop()) : undefined
    const a = await askAll(remote, {
      test: cmd(fpm, '-t'),
      exe: `readlink /proc/$(systemctl show -p MainPID --value ${cmd(want.service)})/exe`,
      listening: port === undefined ? cmd('test', '-S', want.listen) : listeningCommand(port),
      ...serviceQuestions(want.service),
    })
    const get = (k: string) => a.get(k) ?? {code: 255, out: ''}
    const active = get('active').out.trim()
    const enabled = get('enabled').out.trim()
    const exe = get('exe').out.trim()
    const listening = port === undefined ? get('listening').code === 0 : get('listening').out.trim() !== ''
    return [
      check('php-fpm-t', get('test').code === 0, get('test').code === 0 ? 'configuration ok' : 'php-fpm -t fails', {
        command: cmd(fpm, '-t'),
        hint: `fix ${want.home}/etc/php-fpm.conf or its pool`,
        output: get('test').out,
      }),
      check('php-fpm-service', active === 'active' && enabled === 'enabled', `${active}, ${enabled}`, {
        command: `systemctl is-active/is-enabled ${want.service}`,
        hint: `see systemctl status ${want.service} and journalctl -u ${want.service} on ${ctx.host.name}`,
      }),
      check('php-fpm-build', exe.startsWith(`${want.dir}/`), exe ? `runs ${exe}` : 'no running master', {
        hint: `restart it onto the current build: lnmp-deploy run --step php-fpm --host ${ctx.host.name}`,
      }),
      check('php-fpm-listening', listening, listening ? `listening on ${want.listen}` : `nothing listens on ${want.listen}`, {
        command: port === undefined ? `test -S ${want.listen}` : listeningCommand(port),
        hint: `start ${want.service}`,
      }),
    ]
  },
}
