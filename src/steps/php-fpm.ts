import {ask} from '../engine/probe-query.js'
import type {Action, ProbeQuery, Step, StepContext, StepPlan} from '../engine/step.js'
import {sha256Of} from '../hash.js'
import {messages} from '../messages.js'
import {batchCommand, firstWord, parseBatch} from '../platform/batch-probe.js'
import {COMPILED_UNITS} from '../platform/services.js'
import {renderFpmConfig, renderFpmPool} from '../php/fpm.js'
import {and, cmd, quote, withCleanup} from '../ssh/shell.js'
import {renderTemplate} from '../templates.js'
import {askAll, check} from './support/checks.js'
import {phpBuild} from './support/php-build.js'

/**
 * The procedure's "configure php-fpm" milestone: `cp php-fpm.conf.default php-fpm.conf` (here: our
 * php-fpm.conf and a `www` pool on 127.0.0.1:9000) and a systemd unit instead of a bare `sbin/php-fpm`.
 * The files belong to one build (its own etc/, named by its directory, not by the symlink), so a staged build
 * is configured and checked with its own `php-fpm -t` before the php-switch step starts anything on it. A
 * change to the build that already runs restarts FPM here, out of the balancer's rotation; a restart that
 * fails on the new files puts the old ones back and restarts on them.
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
  /** where the symlink points: the build is live when it is this one */
  linkTarget: string
  /** the `listen` of the pool on disk now, when there is one */
  listenNow?: string
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
      {path: `${build.dir}/etc/php-fpm.conf`, content: renderFpmConfig(build.dir)},
    ],
    unitPath: `${UNIT_DIR}/${COMPILED_UNITS.phpFpm}.service`,
    unit: renderTemplate('systemd/php-fpm.service', {phpHome: build.home}),
    service: COMPILED_UNITS.phpFpm,
    listen,
  }
}

/**
 * A pool file checked alone by this build's `php-fpm -t`, inside a minimal main config (the temp file is not
 * matched by php-fpm.d/*.conf). No literal `{}` here: the engine puts the temp path there.
 */
export function poolValidateCommand(dir: string): string {
  return withCleanup(
    and(
      't=$(mktemp)',
      `printf '[global]\\nerror_log = /dev/null\\ninclude = %s\\n' {} > "$t"`,
      `${cmd(`${dir}/sbin/php-fpm`, '-t', '-y')} "$t"`,
    ),
    'rm -f "$t"',
  )
}

export function planPhpFpm(facts: PhpFpmFacts, want: PhpFpmInputs): StepPlan {
  const actions: Action[] = []
  const ready = fpmReady(want.listen)
  const live = facts.linkTarget === want.dir
  let configChanged = false
  for (const f of want.files) {
    if (facts.sums[f.path] === sha256Of(f.content)) continue
    configChanged = true
    const validate = f.path.endsWith('/php-fpm.conf') ? `${cmd(`${want.dir}/sbin/php-fpm`, '-t', '-y')} {}` : poolValidateCommand(want.dir)
    actions.push({kind: 'write-file', path: f.path, content: f.content, mode: 0o644, validate})
  }
  const unitChanged = facts.unitSha256 !== sha256Of(want.unit)
  if (unitChanged) {
    actions.push({kind: 'write-file', path: want.unitPath, content: want.unit, mode: 0o644})
    actions.push({kind: 'run', description: 'reload systemd units', command: 'systemctl daemon-reload'})
  }
  // a staged build is started by the php-switch step; so is a live one that is not running at all
  if (live && facts.active && (configChanged || unitChanged)) {
    // should FPM not start on the new pool, the old one comes back: it answers where it listened before
    const readyBefore = facts.listenNow && facts.listenNow !== want.listen ? {readyBefore: fpmReady(facts.listenNow)} : {}
    actions.push({kind: 'service', service: want.service, op: 'restart', ready, ...readyBefore, behindBalancer: true})
  }
  if (actions.length === 0) return {actions, reason: `php-fpm of ${want.dir} configured for ${want.listen}`}
  return {actions}
}

export const phpFpmQueries = {
  /** the build's FPM files, the unit, the service, the link and the pool's listen on disk, in one round trip */
  host: {
    command: (want) =>
      batchCommand({
        ...Object.fromEntries(want.files.map((f, i) => [`file${i}`, cmd('sha256sum', f.path)])),
        unit: cmd('sha256sum', want.unitPath),
        active: cmd('systemctl', 'is-active', want.service),
        link: cmd('readlink', want.home),
        listen: `sed -n 's/^listen = //p' ${quote(want.files[0]?.path ?? '')}`,
      }),
    sudo: true,
    parse: (stdout, want): PhpFpmFacts => {
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
        linkTarget: a.get('link')?.trim() ?? '',
        ...(a.get('listen')?.trim() ? {listenNow: a.get('listen')?.trim()} : {}),
      }
    },
  },
} satisfies Record<string, ProbeQuery<PhpFpmInputs, unknown>>

export const phpFpm: Step<PhpFpmInputs, PhpFpmFacts> = {
  id: 'php-fpm',
  title: 'Configure PHP-FPM (php-fpm.conf, the www pool) in the build and install its unit',
  roles: ['web'],
  after: ['php-source', 'www-user'],

  inputs: phpFpmInputs,

  probeQueries: phpFpmQueries,

  probe: (remote, ctx, want) => ask(remote, phpFpmQueries.host, want, ctx.facts),

  plan: planPhpFpm,

  async verify({remote}, ctx, want) {
    // this build's configuration, live or staged; the php-switch step checks the running FPM
    const fpm = `${want.dir}/sbin/php-fpm`
    const a = await askAll(remote, {test: cmd(fpm, '-t'), unit: cmd('sha256sum', want.unitPath)})
    const get = (k: string) => a.get(k) ?? {code: 255, out: ''}
    const unitOk = firstWord(get('unit').out) === sha256Of(want.unit)
    return [
      check('php-fpm-t', get('test').code === 0, get('test').code === 0 ? `${want.dir}: configuration ok` : 'php-fpm -t fails', {
        command: cmd(fpm, '-t'),
        hint: `fix ${want.dir}/etc/php-fpm.conf or its pool: ${messages.rerun.command('php-fpm', ctx.host.name)}`,
        output: get('test').out,
      }),
      check('php-fpm-unit', unitOk, unitOk ? `${want.unitPath} current` : `${want.unitPath} missing or changed`, {
        command: cmd('sha256sum', want.unitPath),
        hint: messages.rerun.command('php-fpm', ctx.host.name),
      }),
    ]
  },
}
