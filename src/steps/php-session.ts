import {readFileSync} from 'node:fs'

import {ask} from '../engine/probe-query.js'
import type {Action, CheckResult, ProbeQuery, Step, StepContext, StepPlan} from '../engine/step.js'
import {sha256Of} from '../hash.js'
import {ConfigError} from '../errors.js'
import {messages} from '../messages.js'
import {batchCommand, firstWord, parseBatch} from '../platform/batch-probe.js'
import {COMPILED_UNITS} from '../platform/services.js'
import {renderSessionIni, type SessionHandler, sessionSavePath} from '../php/fpm.js'
import {sessionStores} from '../php/session-stores.js'
import type {Remote} from '../ssh/remote.js'
import {cmd} from '../ssh/shell.js'
import {renderTemplate, templatePath} from '../templates.js'
import {fpmReady} from './php-fpm.js'
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
  /** the symlink: FPM is restarted for new settings only when it runs this build */
  phpHome: string
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
  linkTarget: string
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
      hint: "use session.handler: memcache (the procedure's extension, built by the pecl-memcache step)",
    })
  }
  const php = phpBuild(ctx)
  const stores = sessionStores(ctx)
  return {
    handler,
    savePath: sessionSavePath(handler, stores),
    phpDir: php.dir,
    phpHome: php.home,
    iniPath: `${php.scanDir}/session.ini`,
    ini: renderSessionIni(handler, stores),
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
    // a staged build starts with these settings in the php-switch step
    if (facts.linkTarget === want.phpDir)
      actions.push({kind: 'service', service: want.service, op: 'restart', ready: fpmReady(want.listen), behindBalancer: true})
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

export const phpSessionQueries = {
  /** session.ini, the FPM probe script and the PHP link, in one round trip */
  host: {
    command: (want) =>
      batchCommand({ini: cmd('sha256sum', want.iniPath), probe: cmd('sha256sum', want.probePath), link: cmd('readlink', want.phpHome)}),
    sudo: true,
    parse: (stdout): PhpSessionFacts => {
      const a = parseBatch(stdout)
      return {iniSha256: firstWord(a.get('ini')), probeSha256: firstWord(a.get('probe')), linkTarget: a.get('link')?.trim() ?? ''}
    },
  },
} satisfies Record<string, ProbeQuery<PhpSessionInputs, unknown>>

const FASTCGI_CLIENT = () => readFileSync(templatePath('php/fastcgi-client.php'), 'utf8')

export const phpSession: Step<PhpSessionInputs, PhpSessionFacts> = {
  id: 'php-session',
  title: 'Store PHP sessions in memcached on the cache hosts and restart PHP-FPM onto it',
  roles: ['web'],
  after: ['pecl-memcache', 'php-fpm', 'cache:memcached'],

  inputs: phpSessionInputs,

  probeQueries: phpSessionQueries,

  probe: (remote, ctx, want) => ask(remote, phpSessionQueries.host, want, ctx.facts),

  plan: planPhpSession,

  async verify({remote}, ctx, want) {
    const live = (await remote.exec(cmd('readlink', want.phpHome), {sudo: true})).stdout.trim() === want.phpDir
    // the running FPM when this build is live; a staged build's own CLI (same php.ini and conf.d) before
    return [live ? await fpmSessionCheck(remote, want, ctx.host.name) : await stagedSessionCheck(remote, want, ctx.host.name)]
  },
}

/** One FastCGI request to the running FPM, from the host itself, for a script outside any web root. */
export async function fpmSessionCheck(remote: Remote, want: PhpSessionInputs, host: string): Promise<CheckResult> {
  const php = `${want.phpHome}/bin/php`
  const result = await remote.exec(cmd(php, '--', want.listen, want.probePath), {stdin: FASTCGI_CLIENT()})
  const got = parseFpmAnswer(result.stdout)
  const ok = got?.save_handler === want.handler && got.save_path === want.savePath
  const detail = got ? `FPM uses ${got.save_handler ?? '?'} ${got.save_path ?? '?'}` : 'PHP-FPM did not answer the probe'
  const hint = !got
    ? `is php-fpm running on ${want.listen}? (${messages.rerun.command('php-switch', host)})`
    : got.save_handler === 'memcache' && got.memcache === false
      ? 'FPM has no memcache extension loaded: run the pecl-memcache step'
      : `FPM runs with other settings than ${want.iniPath}: restart php-fpm (${messages.rerun.command('php-session', host)})`
  return check('fpm-session-settings', ok, detail, {
    command: `${php} -- ${want.listen} ${want.probePath} < fastcgi-client.php`,
    hint,
    output: result.stdout + result.stderr,
  })
}

async function stagedSessionCheck(remote: Remote, want: PhpSessionInputs, host: string): Promise<CheckResult> {
  const php = `${want.phpDir}/bin/php`
  const result = await remote.exec(cmd(php, want.probePath), {sudo: true})
  const got = parseFpmAnswer(result.stdout)
  const ok = got?.save_handler === want.handler && got.save_path === want.savePath && (want.handler !== 'memcache' || got.memcache === true)
  return check(
    'staged-session-settings',
    ok,
    got
      ? `${want.phpDir} uses ${got.save_handler ?? '?'} ${got.save_path ?? '?'}${got.memcache ? ' (memcache loaded)' : ''}`
      : 'the staged PHP did not run the probe',
    {
      command: `${php} ${want.probePath}`,
      hint: `see ${want.iniPath}: ${messages.rerun.command('php-session', host)}`,
      output: result.stdout + result.stderr,
    },
  )
}
