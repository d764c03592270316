import {readFileSync} from 'node:fs'

import type {Action, Step, StepContext, StepPlan} from '../engine/step.js'
import {sha256Of} from '../engine/actions.js'
import {ConfigError} from '../errors.js'
import {batchCommand, firstWord, parseBatch} from '../platform/batch-probe.js'
import {COMPILED_UNITS} from '../platform/services.js'
import {renderSessionIni, type SessionHandler, sessionSavePath} from '../php/fpm.js'
import {cmd} from '../ssh/shell.js'
import {renderTemplate, templatePath} from '../templates.js'
import {fpmReady} from './php-fpm.js'
import {sessionStore} from './pecl-memcache.js'
import {check} from './support/checks.js'
import {phpBuild} from './support/php-build.js'

/**
 * The procedure's last milestones: "change the PHP config to share sessions" (`session.save_handler =
 * memcache`, `session.save_path = "tcp://172.16.1.51:11211"`) and "restart the PHP service". The lines
 * are a conf.d file of their own rather than an edit of php.ini, and the check asks the running PHP-FPM
 * what it uses: a restart that did not happen, or a php.ini that another line overrides, shows up there.
 */
export interface PhpSessionInputs {
  handler: SessionHandler
  savePath: string
  phpDir: string
  iniPath: string
  ini: string
  probePath: string
  probe: string
  service: string
  listen: string
}

export interface PhpSessionFacts {
  iniSha256: string | undefined
  probeSha256: string | undefined
}

/**
 * Outside every web root, and not the app's probe folder (/var/lib/lnmp-deploy/probes), which its vhost
 * serves as /lnmp-deploy/NAME.php: this script is only ever asked for over FastCGI from the host itself.
 */
export const FPM_PROBE_DIR = '/var/lib/lnmp-deploy/fpm-probe'

export function phpSessionInputs(ctx: StepContext): PhpSessionInputs {
  const handler = ctx.config.session.handler
  if (handler === 'memcached') {
    throw new ConfigError('session.handler memcached needs the PECL memcached extension, which lnmp-deploy does not build', {
      hint: 'use session.handler: memcache (the procedure\'s extension, built by the pecl-memcache step)',
    })
  }
  const php = phpBuild(ctx)
  const store = sessionStore(ctx)
  return {
    handler,
    savePath: sessionSavePath(handler, store.address, store.port),
    phpDir: php.dir,
    iniPath: `${php.scanDir}/session.ini`,
    ini: renderSessionIni(handler, store.address, store.port),
    probePath: `${FPM_PROBE_DIR}/fpm-ini.php`,
    probe: renderTemplate('php/fpm-ini-probe.php'),
    service: COMPILED_UNITS.phpFpm,
    listen: ctx.config.php.fpmListen,
  }
}

export function planPhpSession(facts: PhpSessionFacts, want: PhpSessionInputs): StepPlan {
  const actions: Action[] = []
  if (facts.probeSha256 !== sha256Of(want.probe)) actions.push({kind: 'write-file', path: want.probePath, content: want.probe, mode: 0o644})
  if (facts.iniSha256 !== sha256Of(want.ini)) {
    actions.push({kind: 'write-file', path: want.iniPath, content: want.ini, mode: 0o644})
    actions.push({kind: 'service', service: want.service, op: 'restart', ready: fpmReady(want.listen)})
  }
  if (actions.length === 0) return {actions, reason: `sessions go to ${want.handler} ${want.savePath}`}
  return {actions}
}

export interface FpmSessionSettings {
  save_handler?: string
  save_path?: string
  memcache?: boolean
}

/** What FPM answered, or why there is no usable answer. */
export function parseFpmAnswer(stdout: string): FpmSessionSettings | undefined {
  const line = stdout.split('\n').find((l) => l.trim().startsWith('{'))
  if (!line) return undefined
  try {
    return JSON.parse(line) as FpmSessionSettings
  } catch {
    return undefined
  }
}

const FASTCGI_CLIENT = () => readFileSync(templatePath('php/fastcgi-client.php'), 'utf8')

export const phpSession: Step<PhpSessionInputs, PhpSessionFacts> = {
  id: 'php-session',
  title: 'Store PHP sessions in memcached on the db host and restart PHP-FPM onto it',
  roles: ['web'],
  after: ['pecl-memcache', 'php-fpm', 'cache:memcached'],

  inputs: phpSessionInputs,

  async probe(remote, ctx) {
    const want = phpSessionInputs(ctx)
    const {stdout} = await remote.exec(batchCommand({ini: cmd('sha256sum', want.iniPath), probe: cmd('sha256sum', want.probePath)}), {sudo: true})
    const a = parseBatch(stdout)
    return {iniSha256: firstWord(a.get('ini')), probeSha256: firstWord(a.get('probe'))}
  },

  plan: planPhpSession,

  async verify({remote}, ctx) {
    const want = phpSessionInputs(ctx)
    const php = `${want.phpDir}/bin/php`
    // one FastCGI request to the running FPM, from the host itself, for a script outside any web root
    const result = await remote.exec(cmd(php, '--', want.listen, want.probePath), {stdin: FASTCGI_CLIENT()})
    const got = parseFpmAnswer(result.stdout)
    const ok = got?.save_handler === want.handler && got.save_path === want.savePath
    const detail = got ? `FPM uses ${got.save_handler ?? '?'} ${got.save_path ?? '?'}` : 'PHP-FPM did not answer the probe'
    const hint = !got
      ? `is php-fpm running on ${want.listen}? (lnmp-deploy run --step php-fpm --host ${ctx.host.name})`
      : got.save_handler === 'memcache' && got.memcache === false
        ? 'FPM has no memcache extension loaded: run the pecl-memcache step'
        : `FPM runs with other settings than ${want.iniPath}: restart php-fpm (lnmp-deploy run --step php-session --host ${ctx.host.name})`
    return [
      check('fpm-session-settings', ok, detail, {
        command: `${php} -- ${want.listen} ${want.probePath} < fastcgi-client.php`,
        hint,
        output: result.stdout + result.stderr,
      }),
    ]
  },
}
