import {ask} from '../engine/probe-query.js'
import type {Action, ProbeQuery, Step, StepContext, StepPlan} from '../engine/step.js'
import {messages} from '../messages.js'
import {batchCommand, parseBatch} from '../platform/batch-probe.js'
import {COMPILED_UNITS} from '../platform/services.js'
import {cmd} from '../ssh/shell.js'
import {fpmReady} from './php-fpm.js'
import {askAll, check, listeningCommand, serviceQuestions} from './support/checks.js'
import {phpBuild} from './support/php-build.js'
import {type RollbackPin, endPinAction, liveBuild, parsePin, pinCommand} from './support/rollback-pin.js'

/**
 * The procedure's "start PHP" milestone, done as a switch: the staged build is complete (compiled, FPM
 * configured and checked, PECL memcache built against it, its conf.d holding memcache.ini and session.ini),
 * so `<prefix>/php` moves to it in one rename and PHP-FPM restarts onto it, out of the balancer's rotation,
 * one web host at a time. Should it not come up, the link points back and the old build runs again.
 * After `lnmp-deploy rollback` the previous build stays live until the config asks for another one.
 */
export interface PhpSwitchInputs {
  /** the build the config asks for */
  dir: string
  home: string
  service: string
  listen: string
}

export interface PhpSwitchFacts {
  linkTarget: string
  active: boolean
  enabled: boolean
  /** the running master's executable, e.g. /application/php-8.2.32-1a2b3c4d/sbin/php-fpm */
  runningExe: string
  pin: RollbackPin | undefined
}

export function phpSwitchInputs(ctx: StepContext): PhpSwitchInputs {
  const build = phpBuild(ctx)
  return {dir: build.dir, home: build.home, service: COMPILED_UNITS.phpFpm, listen: ctx.config.php.fpmListen}
}

const runningExeCommand = (service: string) => `readlink /proc/$(systemctl show -p MainPID --value ${cmd(service)})/exe`

export const phpSwitchQueries = {
  /** the link, the service, the running master's executable and the rollback pin, in one round trip */
  host: {
    command: (want) =>
      batchCommand({
        link: cmd('readlink', want.home),
        ...serviceQuestions(want.service),
        exe: runningExeCommand(want.service),
        pin: pinCommand('php'),
      }),
    sudo: true,
    parse: (stdout): PhpSwitchFacts => {
      const a = parseBatch(stdout)
      return {
        linkTarget: a.get('link')?.trim() ?? '',
        active: a.get('active')?.trim() === 'active',
        enabled: a.get('enabled')?.trim() === 'enabled',
        runningExe: a.get('exe')?.trim() ?? '',
        pin: parsePin(a.get('pin')),
      }
    },
  },
} satisfies Record<string, ProbeQuery<PhpSwitchInputs, unknown>>

export function planPhpSwitch(facts: PhpSwitchFacts, want: PhpSwitchInputs): StepPlan {
  const target = liveBuild(want.dir, facts.pin)
  const ready = fpmReady(want.listen)
  const actions: Action[] = [...endPinAction('php', facts.pin, want.dir)]
  const switching = facts.linkTarget !== target
  if (switching) {
    actions.push(
      // the last look before users reach it: the staged tree's FPM config as this build reads it
      {kind: 'run', description: `check the staged build ${target}: php-fpm -t`, command: cmd(`${target}/sbin/php-fpm`, '-t')},
      {kind: 'switch-link', link: want.home, target},
    )
  }
  if (!facts.active) {
    actions.push({kind: 'service', service: want.service, op: 'enable-now', ready})
  } else {
    // a build compiled again in place leaves the running master on a deleted binary: `<exe> (deleted)`
    const stale = !facts.runningExe.startsWith(`${target}/`) || facts.runningExe.endsWith(' (deleted)')
    if (switching || stale) actions.push({kind: 'service', service: want.service, op: 'restart', ready, behindBalancer: true})
    if (!facts.enabled) actions.push({kind: 'service', service: want.service, op: 'enable-now'})
  }
  if (actions.length > 0) return {actions}
  const pinned = target !== want.dir ? ` (rolled back from ${want.dir} at ${facts.pin?.at ?? '?'})` : ''
  return {actions, reason: `${want.home} -> ${target}, PHP-FPM runs it on ${want.listen}${pinned}`}
}

export const phpSwitch: Step<PhpSwitchInputs, PhpSwitchFacts> = {
  id: 'php-switch',
  title: 'Switch /application/php to the staged build and restart PHP-FPM onto it, one web host at a time',
  roles: ['web'],
  after: ['php-source', 'php-fpm', 'pecl-memcache', 'php-session'],

  inputs: phpSwitchInputs,

  probeQueries: phpSwitchQueries,

  probe: (remote, ctx, want) => ask(remote, phpSwitchQueries.host, want, ctx.facts),

  plan: planPhpSwitch,

  async verify({remote}, ctx, want) {
    const port = 'tcp' in fpmReady(want.listen) ? Number(want.listen.split(':').pop()) : undefined
    const listeningQuestion = port === undefined ? cmd('test', '-S', want.listen) : listeningCommand(port)
    const a = await askAll(remote, {
      link: cmd('readlink', want.home),
      pin: pinCommand('php'),
      exe: runningExeCommand(want.service),
      listening: listeningQuestion,
      ...serviceQuestions(want.service),
    })
    const get = (k: string) => a.get(k) ?? {code: 255, out: ''}
    const target = liveBuild(want.dir, parsePin(get('pin').out))
    const link = get('link').out.trim()
    const active = get('active').out.trim()
    const enabled = get('enabled').out.trim()
    const exe = get('exe').out.trim()
    const listening = port === undefined ? get('listening').code === 0 : get('listening').out.trim() !== ''
    const rerun = messages.rerun.command('php-switch', ctx.host.name)
    return [
      check('php-link', link === target, `${want.home} -> ${link || '(none)'}${target === want.dir ? '' : ' (rolled back)'}`, {
        command: cmd('readlink', want.home),
        hint: rerun,
      }),
      check('php-fpm-service', active === 'active' && enabled === 'enabled', `${active}, ${enabled}`, {
        command: `systemctl is-active/is-enabled ${want.service}`,
        hint: `see systemctl status ${want.service} and journalctl -u ${want.service} on ${ctx.host.name}`,
      }),
      check('php-fpm-build', exe.startsWith(`${target}/`), exe ? `runs ${exe}` : 'no running master', {
        command: runningExeCommand(want.service),
        hint: `restart it onto the live build: ${rerun}`,
      }),
      check('php-fpm-listening', listening, listening ? `listening on ${want.listen}` : `nothing listens on ${want.listen}`, {
        command: listeningQuestion,
        hint: `start ${want.service}: ${rerun}`,
      }),
    ]
  },
}
