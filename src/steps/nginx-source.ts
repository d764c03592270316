import {ask} from '../engine/probe-query.js'
import type {Action, ProbeQuery, Step, StepContext, StepPlan} from '../engine/step.js'
import {sha256Of} from '../hash.js'
import {messages} from '../messages.js'
import {batchCommand, firstWord, parseBatch} from '../platform/batch-probe.js'
import {COMPILED_UNITS} from '../platform/services.js'
import {requireSystemd} from '../platform/systemd.js'
import {checkBuildable} from '../php/buildable.js'
import {NGINX_BUILD_NEEDS} from '../php/features.js'
import {packagesFor} from '../platform/packages.js'
import {and, cmd, quote} from '../ssh/shell.js'
import {renderTemplate} from '../templates.js'
import {
  BUILD_ROOT,
  type BuildJob,
  buildHash,
  fromRoot,
  MARKER_NAME,
  markerCommand,
  RUNTIME_MANIFEST,
  parseMarker,
  readlinkCommand,
  sameBuild,
} from './support/build.js'
import {nginxReloadedReadiness} from './support/nginx-reload.js'
import {type RollbackPin, endPinAction, liveBuild, parsePin, pinCommand} from './support/rollback-pin.js'
import {askAll, check, librariesCheck, listeningCommand, serviceQuestions, unresolvedLibrariesCommand} from './support/checks.js'
import {type CompiledFacts, compileOrInstallActions, packageOnHostCommand, type Shipping, shippingFor, withPackage} from './support/ship.js'
import {type SourceTarball, sourceTarball, tarballSumCommand} from './support/source.js'

/**
 * The procedure's "compile and install nginx" milestones: download the source, `./configure
 * --prefix=/application/nginx-<ver> --user=www --group=www --with-http_ssl_module
 * --with-http_stub_status_module`, make, make install, the symlink /application/nginx, nginx.conf with
 * `include extra/*`, `nginx -t`, start. The directory also carries a hash of the configure arguments, so a
 * changed version or flag builds beside the running one; the running build's vhosts are copied into the new
 * tree and the new binary checks the whole of it (`nginx -t`) before the symlink switches and nginx restarts,
 * out of the balancer's rotation. A restart that fails points the link back and restarts the old build.
 * The vhost in extra/ is the app step's. After `lnmp-deploy rollback` the previous build stays live until the
 * config asks for another one.
 */
export interface NginxSourceInputs {
  version: string
  tarball: SourceTarball
  job: BuildJob
  dir: string
  home: string
  confPath: string
  conf: string
  unitPath: string
  unit: string
  service: string
  shipping: Shipping | undefined
}

export interface NginxSourceFacts extends CompiledFacts {
  linkTarget: string
  confSha256: string | undefined
  unitSha256: string | undefined
  active: boolean
  enabled: boolean
  pin: RollbackPin | undefined
}

const UNIT_DIR = '/etc/systemd/system'
const PORT = 80

export function nginxConfigureArgs(dir: string, extraFlags: readonly string[]): string[] {
  return [`--prefix=${dir}`, '--user=www', '--group=www', '--with-http_ssl_module', '--with-http_stub_status_module', ...extraFlags]
}

export function nginxSourceInputs(ctx: StepContext): NginxSourceInputs {
  const {config} = ctx
  const version = config.nginx.version
  // the seed's 1.14.2 is refused here, before anything is fetched
  checkBuildable('nginx', version, ctx.facts, ctx.host.name)
  requireSystemd(ctx, 'nginx')
  const tarball = sourceTarball('nginx', version, ctx)
  const hash = buildHash({version, args: nginxConfigureArgs('', config.nginx.extraFlags).slice(1)})
  const dir = `${config.prefix}/nginx-${version}-${hash}`
  const args = nginxConfigureArgs(dir, config.nginx.extraFlags)
  const home = `${config.prefix}/nginx`
  const markerPath = `${dir}/${MARKER_NAME}`
  const shipping = shippingFor(
    ctx,
    (facts) => ({
      name: 'nginx',
      version,
      sourceSha256: tarball.sha256,
      args,
      platform: facts,
      libraries: packagesFor(NGINX_BUILD_NEEDS, facts),
    }),
    {files: quote(`${dir}/sbin/nginx`), manifest: `${dir}/${RUNTIME_MANIFEST}`},
  )
  const job: BuildJob = {
    id: `nginx-${version}-${hash}`,
    tarball,
    srcDir: `${BUILD_ROOT}/nginx-${version}`,
    configure: ['./configure', ...args],
    cores: ctx.facts.cores,
    // the procedure's `mkdir -p /application/nginx/conf/extra`
    afterInstall: [cmd('mkdir', '-p', `${dir}/conf/extra`)],
    markerPath,
    marker: {name: 'nginx', version, sha256: tarball.sha256, args},
    ccache: config.build.ccache,
  }
  return {
    version,
    tarball,
    job: withPackage(job, shipping, [quote(fromRoot(dir))]),
    dir,
    home,
    confPath: `${dir}/conf/nginx.conf`,
    conf: renderTemplate('nginx/nginx.conf'),
    unitPath: `${UNIT_DIR}/${COMPILED_UNITS.nginx}.service`,
    unit: renderTemplate('systemd/nginx.service', {nginxHome: home}),
    service: COMPILED_UNITS.nginx,
    shipping,
  }
}

/**
 * The running build's vhosts come along into the new tree (never overwriting one of its own), then the new
 * binary checks the whole new tree with them: what it will serve is tested before anything points at it.
 */
export function stageVhostsCommand(home: string, dir: string): string {
  const oldExtra = `${home}/conf/extra`
  return and(
    `if [ -d ${quote(oldExtra)} ]; then ${cmd('cp', '-an', `${oldExtra}/.`, `${dir}/conf/extra/`)}; fi`,
    cmd(`${dir}/sbin/nginx`, '-t', '-q'),
  )
}

export function planNginxSource(facts: NginxSourceFacts, want: NginxSourceInputs): StepPlan {
  const actions: Action[] = [...endPinAction('nginx', facts.pin, want.dir)]
  const ready = {tcp: {host: '127.0.0.1', port: PORT}}
  const build = !sameBuild(facts.marker, want.job.marker)
  actions.push(...compileOrInstallActions(want, facts, `build nginx ${want.version} into ${want.dir}`))
  const confChanged = build || facts.confSha256 !== sha256Of(want.conf)
  if (confChanged) {
    actions.push({
      kind: 'write-file',
      path: want.confPath,
      content: want.conf,
      mode: 0o644,
      validate: `${cmd(`${want.dir}/sbin/nginx`, '-t', '-q', '-c')} {}`,
    })
  }
  const target = liveBuild(want.dir, facts.pin)
  const switching = facts.linkTarget !== target
  if (switching) {
    // a fresh host has no running vhosts to bring along: nginx.conf was checked by the new binary already
    if (target === want.dir && facts.linkTarget !== '')
      actions.push({
        kind: 'run',
        description: `bring the running vhosts into ${want.dir} and check its whole tree`,
        command: stageVhostsCommand(want.home, want.dir),
      })
    actions.push({kind: 'switch-link', link: want.home, target})
  }
  const unitChanged = facts.unitSha256 !== sha256Of(want.unit)
  if (unitChanged) {
    actions.push({kind: 'write-file', path: want.unitPath, content: want.unit, mode: 0o644})
    actions.push({kind: 'run', description: 'reload systemd units', command: 'systemctl daemon-reload'})
  }
  if (!facts.active) {
    actions.push({kind: 'service', service: want.service, op: 'enable-now', ready})
  } else {
    // a reload keeps the old binary: a new build needs a restart (its ExecStartPre runs `nginx -t`), and so does
    // the live build compiled again in place (its marker was lost, or another tarball of the same version)
    const rebuiltLive = build && !switching && target === want.dir
    if (switching || unitChanged || rebuiltLive)
      actions.push({kind: 'service', service: want.service, op: 'restart', ready, behindBalancer: true})
    else if (confChanged && target === want.dir)
      actions.push({kind: 'service', service: want.service, op: 'reload', ready: nginxReloadedReadiness(), behindBalancer: true})
    if (!facts.enabled) actions.push({kind: 'service', service: want.service, op: 'enable-now'})
  }
  if (actions.length > 0) return {actions}
  const pinned = target !== want.dir ? `; ${target} live after a rollback` : ''
  return {actions, reason: `nginx ${want.version} built in ${want.dir}, linked, configured and running${pinned}`}
}

export const nginxSourceQueries = {
  /** the build, its link, tarball, config, unit, service, rollback pin and shipped package, in one round trip */
  host: {
    command: (want) =>
      batchCommand({
        marker: markerCommand(want.job.markerPath),
        link: readlinkCommand(want.home),
        tarball: tarballSumCommand(want.tarball),
        conf: cmd('sha256sum', want.confPath),
        unit: cmd('sha256sum', want.unitPath),
        ...serviceQuestions(want.service),
        pin: pinCommand('nginx'),
        package: packageOnHostCommand(want.shipping),
      }),
    sudo: true,
    parse: (stdout): NginxSourceFacts => {
      const a = parseBatch(stdout)
      const sum = (k: string) => firstWord(a.get(k))
      return {
        marker: parseMarker(a.get('marker')),
        linkTarget: a.get('link')?.trim() ?? '',
        tarballSha256: sum('tarball'),
        packageOnHost: a.get('package')?.trim() === 'yes',
        confSha256: sum('conf'),
        unitSha256: sum('unit'),
        active: a.get('active')?.trim() === 'active',
        enabled: a.get('enabled')?.trim() === 'enabled',
        pin: parsePin(a.get('pin')),
      }
    },
  },
} satisfies Record<string, ProbeQuery<NginxSourceInputs, unknown>>

export const nginxSource: Step<NginxSourceInputs, NginxSourceFacts> = {
  id: 'nginx-source',
  title: 'Compile nginx from source, link /application/nginx, configure and start it',
  roles: ['web'],
  // a host that installs its builder's packages starts only once the builder built everything: once it restarts
  // (out of the balancer's rotation) it never waits for the builder, who may need to leave the rotation itself
  after: ['build-deps', 'www-user', 'builder:nginx-source', 'builder:pecl-memcache'],

  inputs: nginxSourceInputs,

  probeQueries: nginxSourceQueries,

  probe: (remote, ctx, want) => ask(remote, nginxSourceQueries.host, want, ctx.facts),

  plan: planNginxSource,

  async verify({remote}, ctx, want) {
    const nginx = `${want.home}/sbin/nginx`
    // the build the config asks for has its version and flags; the link names it, or the build a rollback chose
    const built = `${want.dir}/sbin/nginx`
    const a = await askAll(remote, {
      test: cmd(nginx, '-t'),
      version: cmd(built, '-V'),
      link: readlinkCommand(want.home),
      pin: pinCommand('nginx'),
      listening: listeningCommand(PORT),
      ...serviceQuestions(want.service),
      libraries: unresolvedLibrariesCommand(want.dir),
    })
    const get = (k: string) => a.get(k) ?? {code: 255, out: ''}
    const target = liveBuild(want.dir, parsePin(get('pin').out))
    const rerun = messages.rerun.hint('nginx-source', ctx.host.name)
    const argsLine = `configure arguments: ${want.job.marker.args.join(' ')}`
    const v = get('version').out
    const versionOk =
      get('version').code === 0 && v.includes(`nginx version: nginx/${want.version}`) && v.split('\n').some((l) => l.trim() === argsLine)
    const active = get('active').out.trim()
    const enabled = get('enabled').out.trim()
    const sockets = get('listening').out.trim()
    return [
      check('nginx-t', get('test').code === 0, get('test').code === 0 ? 'configuration ok' : 'nginx -t fails', {
        command: cmd(nginx, '-t'),
        hint: `fix ${want.home}/conf/nginx.conf or the vhosts in ${want.home}/conf/extra/`,
        output: get('test').out,
      }),
      check(
        'nginx-version-flags',
        versionOk,
        versionOk ? `nginx/${want.version} with the configured flags` : 'version or configure arguments differ',
        {
          command: cmd(built, '-V'),
          hint: rerun,
          output: v,
        },
      ),
      check(
        'nginx-link',
        get('link').out.trim() === target,
        `${want.home} -> ${get('link').out.trim() || '(none)'}${target === want.dir ? '' : ' (rolled back)'}`,
        {
          command: readlinkCommand(want.home),
          hint: rerun,
        },
      ),
      librariesCheck('nginx-libraries', want.dir, a.get('libraries'), `install the missing libraries' packages, or ${rerun}`),
      check('nginx-service', active === 'active' && enabled === 'enabled', `${active}, ${enabled}`, {
        command: `systemctl is-active/is-enabled ${want.service}`,
        hint: `see systemctl status ${want.service} and journalctl -u ${want.service} on ${ctx.host.name}`,
      }),
      check('nginx-listening', sockets !== '', sockets ? `listening on :${PORT}` : `nothing listens on :${PORT}`, {
        command: listeningCommand(PORT),
        hint: `start ${want.service}`,
      }),
    ]
  },
}
