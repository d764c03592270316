import {hostsWithRole} from '../config/hosts.js'
import {sha256Of} from '../hash.js'
import {ask} from '../engine/probe-query.js'
import type {Action, CheckResult, ProbeQuery, Step, StepContext, StepPlan} from '../engine/step.js'
import {batchCommand, firstWord, parseBatch} from '../platform/batch-probe.js'
import {
  DEBIAN_DEFAULT_SITE,
  LB_CONF_PATH,
  backendAnswersCommand,
  confSumWithoutRotationCommand,
  httpGetCommand,
  parseHttpResponse,
  parseUpstreamServers,
  renderLbUpstream,
  upstreamServersCommand,
} from '../platform/lb.js'
import {installCommand, packageQueryCommand, packagesFor, parseMissingPackages} from '../platform/packages.js'
import {serviceName} from '../platform/services.js'
import {and, cmd, withCleanup} from '../ssh/shell.js'
import {check} from './support/checks.js'
import {nginxReloadedReadiness} from './support/nginx-reload.js'

/**
 * The procedure's load balancer milestones on lb01: "install nginx from packages, start and enable it;
 * conf.d/node_proxy.conf with an upstream of web01 and web02, proxy_pass, proxy_set_header Host $host and
 * X-Forwarded-For; nginx -t; restart". Here the upstream lists the web hosts' private addresses, the file
 * is checked by nginx before it replaces the old one, the whole config again before every reload, and
 * Debian's default site goes so requests that carry no Host header reach the web hosts too.
 */
export interface LbUpstreamInputs {
  packages: string[]
  installCommand: string
  confPath: string
  conf: string
  service: string
  /** Debian's default site, which claims default_server on :80; undefined where the package has none */
  defaultSite: string | undefined
  serverName: string
  backends: string[]
}

export interface LbUpstreamFacts {
  missingPackages: string[]
  confSha256: string | undefined
  /** the backends the file on the host lists (none when it is missing) */
  backendsNow?: string[]
  defaultSitePresent: boolean
  enabled: boolean
  active: boolean
}

const PORT = 80

export function lbUpstreamInputs(ctx: Pick<StepContext, 'config' | 'cluster' | 'facts'>): LbUpstreamInputs {
  const packages = packagesFor(['nginx'], ctx.facts)
  const backends = [...new Set(hostsWithRole(ctx.cluster, 'web').map((h) => h.privateAddress))]
  const serverName = ctx.config.app.serverName
  return {
    packages,
    installCommand: installCommand(packages, ctx.facts),
    confPath: LB_CONF_PATH,
    conf: renderLbUpstream({serverName, backends}),
    service: serviceName('nginx', ctx.facts),
    defaultSite: ctx.facts.osFamily === 'debian' ? DEBIAN_DEFAULT_SITE : undefined,
    serverName,
    backends,
  }
}

/**
 * The whole configuration with the candidate at its real place: /etc/nginx copied aside with its absolute
 * paths pointed at the copy, the new file put in it, `nginx -t -c` on the copy. The live folder is untouched
 * until the check passes. (No literal `{}` here: the engine puts the temp path there.)
 */
export const LB_CONF_VALIDATE = withCleanup(
  and(
    'd=$(mktemp -d)',
    'cp -a /etc/nginx/. "$d"/',
    `cp {} "$d"/conf.d/${LB_CONF_PATH.split('/').pop()}`,
    `grep -rlF /etc/nginx/ "$d" | while read -r f; do sed -i "s#/etc/nginx/#$d/#g" "$f"; done`,
    'nginx -t -q -c "$d"/nginx.conf',
  ),
  'rm -rf "$d"',
)

export function planLbUpstream(facts: LbUpstreamFacts, want: LbUpstreamInputs): StepPlan {
  const actions: Action[] = []
  const ready = {tcp: {host: '127.0.0.1', port: PORT}}
  const installing = facts.missingPackages.length > 0
  if (installing) actions.push({kind: 'run', description: `install ${facts.missingPackages.join(' ')}`, command: want.installCommand})
  const confChanged = facts.confSha256 !== sha256Of(want.conf)
  const before = facts.backendsNow ?? []
  // a web host new to the balancer gets users only once it answers its own site
  if (confChanged) {
    for (const backend of want.backends.filter((b) => !before.includes(b))) {
      actions.push({
        kind: 'run',
        description: `${backend} answers GET / (Host: ${want.serverName}) before the balancer sends it users`,
        command: backendAnswersCommand(backend, want.serverName),
      })
    }
  }
  // a web host leaving the balancer is drained: the reload is done once the old workers finished its requests
  const leaving = confChanged && before.some((b) => !want.backends.includes(b))
  const reloaded = leaving ? nginxReloadedReadiness(want.serverName) : ready
  if (confChanged) actions.push({kind: 'write-file', path: want.confPath, content: want.conf, mode: 0o644, validate: LB_CONF_VALIDATE})
  // a fresh Debian install enables the default site too: it goes whatever the probe saw before the install
  const dropDefault = want.defaultSite !== undefined && (facts.defaultSitePresent || installing)
  if (want.defaultSite !== undefined && dropDefault) {
    actions.push({
      kind: 'run',
      description: `remove the distribution's default site ${want.defaultSite}`,
      command: cmd('rm', '-f', want.defaultSite),
    })
  }
  const changed = installing || confChanged || dropDefault
  // a changed file was checked whole, in place, before it replaced the old one; these changes were not
  if (installing || dropDefault) actions.push({kind: 'run', description: 'check the whole nginx configuration', command: 'nginx -t -q'})
  if (installing) {
    // Debian's package starts nginx on its default config: a restart makes it take ours
    actions.push({kind: 'service', service: want.service, op: 'restart', ready}, {kind: 'service', service: want.service, op: 'enable-now'})
  } else if (!facts.active || !facts.enabled) {
    actions.push({kind: 'service', service: want.service, op: 'enable-now', ready})
    if (changed && facts.active) actions.push({kind: 'service', service: want.service, op: 'reload', ready: reloaded})
  } else if (changed) {
    actions.push({kind: 'service', service: want.service, op: 'reload', ready: reloaded})
  }
  if (actions.length === 0) return {actions, reason: `nginx balances ${want.serverName} over ${want.backends.join(', ')}`}
  return {actions}
}

export const lbUpstreamQueries = {
  /** the package, the upstream file and its backends, the default site and the service, in one round trip */
  host: {
    command: (want, facts) =>
      batchCommand({
        packages: packageQueryCommand(want.packages, facts),
        // a web host out of rotation right now (marked `down`) is the rotation's business, not a drift
        conf: confSumWithoutRotationCommand(want.confPath),
        default: want.defaultSite ? and(cmd('test', '-e', want.defaultSite), 'echo present') : 'true',
        enabled: cmd('systemctl', 'is-enabled', want.service),
        active: cmd('systemctl', 'is-active', want.service),
        backends: upstreamServersCommand(want.confPath),
      }),
    sudo: true,
    parse: (stdout, want, facts): LbUpstreamFacts => {
      const a = parseBatch(stdout)
      return {
        missingPackages: parseMissingPackages(want.packages, a.get('packages') ?? '', facts),
        confSha256: firstWord(a.get('conf')),
        defaultSitePresent: a.get('default')?.trim() === 'present',
        enabled: a.get('enabled')?.trim() === 'enabled',
        active: a.get('active')?.trim() === 'active',
        backendsNow: parseUpstreamServers(a.get('backends') ?? ''),
      }
    },
  },
} satisfies Record<string, ProbeQuery<LbUpstreamInputs, unknown>>

/** Each answer through the balancer, by the backend that gave it (X-Upstream, the last address tried). */
export function judgeBackends(
  responses: Array<string | undefined>,
  backends: readonly string[],
): {seen: Map<string, number>; bad: string[]} {
  const seen = new Map<string, number>()
  const bad: string[] = []
  for (const raw of responses) {
    const r = raw === undefined ? undefined : parseHttpResponse(raw)
    if (!r) {
      bad.push('no HTTP answer')
      continue
    }
    const upstream = r.headers.get('x-upstream')?.split(',').at(-1)?.trim()
    if (r.status >= 500 || !upstream) {
      bad.push(`${r.status}${upstream ? ` from ${upstream}` : ''}`)
      continue
    }
    seen.set(upstream, r.status)
  }
  for (const b of backends)
    if (![...seen.keys()].some((s) => s === `${b}:${PORT}` || s === `[${b}]:${PORT}`)) bad.push(`${b} never answered`)
  return {seen, bad}
}

export const lbUpstream: Step<LbUpstreamInputs, LbUpstreamFacts> = {
  id: 'lb-upstream',
  title: 'nginx from packages on the load balancer, an upstream of the web hosts',
  roles: ['lb'],
  after: ['web:app'],

  inputs: lbUpstreamInputs,

  probeQueries: lbUpstreamQueries,

  probe: (remote, ctx, want) => ask(remote, lbUpstreamQueries.host, want, ctx.facts),

  plan: (facts, want) => planLbUpstream(facts, want),

  async verify({remote}, ctx, want) {
    const checks: CheckResult[] = []
    const test = await remote.exec('nginx -t 2>&1', {sudo: true})
    checks.push(
      check('lb-nginx-t', test.code === 0, test.code === 0 ? 'configuration ok' : (test.stdout.trim().split('\n').at(-1) ?? ''), {
        command: 'nginx -t',
        hint: `fix ${want.confPath} or /etc/nginx/nginx.conf`,
        output: test.stdout,
      }),
    )
    const state = await remote.exec(`${cmd('systemctl', 'is-active', want.service)}; ${cmd('systemctl', 'is-enabled', want.service)}`)
    const [active, enabled] = state.stdout.trim().split('\n')
    checks.push(
      check('lb-nginx-service', active === 'active' && enabled === 'enabled', `${active ?? '?'}, ${enabled ?? '?'}`, {
        command: `systemctl is-active ${want.service}; systemctl is-enabled ${want.service}`,
        hint: `systemctl enable --now ${want.service}; journalctl -u ${want.service}`,
      }),
    )

    // round robin: two rounds over the backends reach each at least once when all answer
    // one command for all of them: 23 web hosts are 46 requests, more than one connection's channels
    const get = httpGetCommand({address: '127.0.0.1', hostHeader: want.serverName})
    const rounds = Object.fromEntries(Array.from({length: want.backends.length * 2}, (_, i) => [`get${i}`, get]))
    const answers = [...parseBatch((await remote.exec(batchCommand(rounds))).stdout).values()]
    const {seen, bad} = judgeBackends(answers, want.backends)
    checks.push(
      check('lb-reaches-each-web-host', bad.length === 0, [...[...seen].map(([u, s]) => `${u} ${s}`), ...bad].join('; '), {
        command: `GET / Host: ${want.serverName} through 127.0.0.1:${PORT} on ${ctx.host.name}, ${Object.keys(rounds).length} times`,
        hint: `each web host must answer on :${PORT}: run lnmp-deploy verify --host <web host>; see /var/log/nginx/error.log on ${ctx.host.name}`,
      }),
    )
    if (want.defaultSite !== undefined) {
      const raw = (await remote.exec(httpGetCommand({address: '127.0.0.1'}))).stdout
      const r = parseHttpResponse(raw)
      const ok = r?.headers.has('x-upstream') === true && r.status < 500
      checks.push(
        check(
          'lb-without-host-header',
          ok,
          r ? `${r.status}${r.headers.has('x-upstream') ? ` from ${r.headers.get('x-upstream')}` : ', not proxied'}` : 'no HTTP answer',
          {
            command: `GET / without a Host header through 127.0.0.1:${PORT}`,
            hint: `another server claims :${PORT} (is ${want.defaultSite} back?)`,
          },
        ),
      )
    }
    return checks
  },
}
