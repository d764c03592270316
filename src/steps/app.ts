import {readFileSync} from 'node:fs'

import {hostsWithRole} from '../config/hosts.js'
import {sha256Of} from '../hash.js'
import {ask} from '../engine/probe-query.js'
import type {Action, CheckResult, ProbeQuery, Step, StepContext, StepPlan} from '../engine/step.js'
import {ConfigError} from '../errors.js'
import {messages} from '../messages.js'
import {fastcgiPass} from '../php/fpm.js'
import {batchCommand, firstWord, parseBatch} from '../platform/batch-probe.js'
import {httpGetCommand, parseHttpResponse} from '../platform/lb.js'
import {COMPILED_UNITS} from '../platform/services.js'
import {and, cmd, quote, withCleanup} from '../ssh/shell.js'
import {renderTemplate, templatePath} from '../templates.js'
import {MYSQL_PORT} from './mariadb.js'
import {check} from './support/checks.js'
import {phpString} from './support/escape.js'
import {nginxReloadedReadiness} from './support/nginx-reload.js'
import {type SourceTarball, fetchTarballActions, sourceTarball, tarballSumCommand} from './support/source.js'

/**
 * The procedure's site milestones on each web host: "a vhost in nginx/conf/extra/ (server_name, root,
 * index index.php, fastcgi_pass to PHP-FPM), nginx -t, reload; unpack phpMyAdmin into nginx/html,
 * chown -R www.www, config.inc.php with `$cfg['Servers'][$i]['host']` = db01". phpMyAdmin comes from a
 * checked artifact into a directory of its own version, linked as the web root; its blowfish_secret is the
 * cluster's one generated secret, so a login made through web01 is readable on web02. Without phpMyAdmin
 * the project's own session-login demo is served instead, so the cluster proof never needs a download.
 */
export const PHPMYADMIN_VERSION = '5.2.1'
/** where `verify` puts its short-lived session probes: outside every web root, routed by the vhost */
export const PROBE_DIR = '/var/lib/lnmp-deploy/probes'
const DEMO_FILES = ['index.php', 'session.php'] as const
const ARTIFACT_MARKER = '.lnmp-deploy-artifact'
const PORT = 80

export interface AppFile {
  path: string
  /**
   * a sensitive file's content (config.inc.php, with the blowfish_secret) is not enumerable (sensitiveFile): the
   * inputs' JSON and fingerprint never hold it (secretsDigest stands for it there), and a spread copy loses it
   */
  content: string
  sensitive?: boolean
  validate?: string
}

/** A file whose content carries a secret, attached out of its JSON as mariadb's withSecrets does. */
export function sensitiveFile(file: Omit<AppFile, 'content' | 'sensitive'>, content: string): AppFile {
  return Object.defineProperty({...file, sensitive: true}, 'content', {value: content, enumerable: false}) as AppFile
}

/** f's content; a sensitive file copied by spreading has none, and that is a bug in the caller. */
function contentOf(f: AppFile): string {
  if (typeof f.content !== 'string')
    throw new Error(`app inputs: ${f.path} without its content: build it with appInputs (or sensitiveFile), not a spread copy`)
  return f.content
}

export interface AppInputs {
  kind: 'session-demo' | 'phpmyadmin'
  serverName: string
  nginx: string
  php: string
  vhostPath: string
  vhost: string
  /** the web root the vhost names (for phpMyAdmin a link to the versioned directory) */
  root: string
  /** phpMyAdmin: the directory the artifact unpacks into, named by version and checksum */
  dir?: string
  tarball?: SourceTarball
  files: AppFile[]
  /** what a GET / must contain to prove the app (not a default page) answered */
  marker: string
  /** sha256 of the files that carry secrets: the fingerprint follows them, the journal never holds them */
  secretsDigest: string
}

export interface AppFacts {
  vhostSha256: string | undefined
  /** sha256 by path of each of the app's files */
  fileSha256: Record<string, string | undefined>
  /** user:group of the web root (after links) */
  rootOwner: string | undefined
  tarballSha256: string | undefined
  /** the checksum recorded in the unpacked directory: written last, so only a complete unpack has it */
  unpackedSha256: string | undefined
  linkTarget: string | undefined
  probeDir: boolean
}

export function renderPhpMyAdminConfig(dbHost: string, blowfishSecret: string): string {
  return [
    '<?php',
    '// managed by lnmp-deploy: the same on every web host (blowfish_secret too, so logins survive a change of host)',
    'declare(strict_types=1);',
    '',
    `$cfg['blowfish_secret'] = ${phpString(blowfishSecret)};`,
    "$cfg['Servers'][1]['auth_type'] = 'cookie';",
    `$cfg['Servers'][1]['host'] = ${phpString(dbHost)};`,
    `$cfg['Servers'][1]['port'] = '${MYSQL_PORT}';`,
    "$cfg['Servers'][1]['AllowNoPassword'] = false;",
    "$cfg['TempDir'] = __DIR__ . '/tmp';",
    '',
  ].join('\n')
}

function dbHostOf(ctx: Pick<StepContext, 'cluster'>): string {
  const db = hostsWithRole(ctx.cluster, 'db')[0]
  if (!db) throw new ConfigError('app.kind phpmyadmin needs a host with the db role', {hint: 'add roles: [db] to the database host'})
  return db.privateAddress
}

export function appInputs(ctx: StepContext): AppInputs {
  const {config} = ctx
  const nginxHome = `${config.prefix}/nginx`
  const html = `${nginxHome}/html`
  const php = `${config.prefix}/php/bin/php`
  const kind = config.app.kind
  const root = kind === 'phpmyadmin' ? `${html}/phpmyadmin` : `${html}/session-demo`
  const vhost = renderTemplate('nginx/extra/app.conf', {
    serverName: config.app.serverName,
    root,
    fastcgiPass: fastcgiPass(config.php.fpmListen),
    probeDir: PROBE_DIR,
  })
  const base = {
    kind,
    serverName: config.app.serverName,
    nginx: `${nginxHome}/sbin/nginx`,
    php,
    vhostPath: `${nginxHome}/conf/extra/app.conf`,
    vhost,
    root,
  }
  if (kind === 'session-demo') {
    const files = DEMO_FILES.map((f) => ({
      path: `${root}/${f}`,
      content: readFileSync(templatePath(`app/session-demo/${f}`), 'utf8'),
      validate: `${cmd(php, '-n', '-l')} {}`,
    }))
    return {...base, files, marker: 'lnmp-deploy session demo', secretsDigest: sha256Of('')}
  }
  const tarball = sourceTarball('phpmyadmin', PHPMYADMIN_VERSION, ctx)
  const dir = `${html}/phpmyadmin-${PHPMYADMIN_VERSION}-${tarball.sha256.slice(0, 8)}`
  const secret = ctx.secrets.get('app.blowfishSecret')
  if (!secret) throw new Error('app.blowfishSecret must be generated before planning the app')
  const configInc = renderPhpMyAdminConfig(dbHostOf(ctx), secret)
  return {
    ...base,
    dir,
    tarball,
    files: [sensitiveFile({path: `${dir}/config.inc.php`, validate: `${cmd(php, '-n', '-l')} {}`}, configInc)],
    marker: 'phpMyAdmin',
    secretsDigest: sha256Of(configInc),
  }
}

/**
 * The whole configuration with the candidate at its real place: nginx's conf folder copied aside, the new file
 * put in it, and `nginx -t -c` on the copy (relative includes resolve beside the file -c names). The live
 * folder is untouched until the check passes. No literal `{}` here: the engine puts the temp path there.
 */
export function vhostValidateCommand(nginx: string, confDir: string, vhostPath: string): string {
  const relative = vhostPath.slice(confDir.length + 1)
  return withCleanup(
    and(
      'd=$(mktemp -d)',
      `${cmd('cp', '-a', `${confDir}/.`)} "$d"/`,
      `cp {} "$d"/${quote(relative)}`,
      `${cmd(nginx, '-t', '-q', '-c')} "$d"/nginx.conf`,
    ),
    'rm -rf "$d"',
  )
}

/** Unpack into a temp directory, mark it complete last, then move it into place: a half unpack is never served. */
export function unpackCommand(tarballPath: string, dir: string, sha: string): string {
  const tmp = `${dir}.lnmp-unpack`
  return and(
    cmd('rm', '-rf', tmp),
    cmd('mkdir', '-p', `${tmp}/tmp`),
    cmd('tar', '-xf', tarballPath, '-C', tmp, '--strip-components=1', '--no-same-owner'),
    `printf '%s\\n' ${quote(sha)} > ${quote(`${tmp}/${ARTIFACT_MARKER}`)}`,
    cmd('chown', '-R', 'www:www', tmp),
    cmd('rm', '-rf', dir),
    cmd('mv', tmp, dir),
  )
}

/** The vhost, the web root (owner, link), the probe folder, the artifact and the app's files, one question each. */
function appQuestions(want: AppInputs): Record<string, string> {
  const questions: Record<string, string> = {
    vhost: cmd('sha256sum', want.vhostPath),
    owner: cmd('stat', '-L', '-c', '%U:%G', want.root),
    link: cmd('readlink', want.root),
    probes: and(cmd('test', '-d', PROBE_DIR), 'echo yes'),
    ...(want.tarball ? {tarball: tarballSumCommand(want.tarball)} : {}),
    ...(want.dir ? {unpacked: cmd('cat', `${want.dir}/${ARTIFACT_MARKER}`)} : {}),
  }
  want.files.forEach((f, i) => {
    questions[`file${i}`] = cmd('sha256sum', f.path)
  })
  return questions
}

export const appQueries = {
  /** every question of appQuestions, in one round trip */
  host: {
    command: (want) => batchCommand(appQuestions(want)),
    sudo: true,
    parse: (stdout, want): AppFacts => {
      const a = parseBatch(stdout)
      const first = (key: string) => firstWord(a.get(key))
      return {
        vhostSha256: first('vhost'),
        fileSha256: Object.fromEntries(want.files.map((f, i) => [f.path, first(`file${i}`)])),
        rootOwner: first('owner'),
        tarballSha256: first('tarball'),
        unpackedSha256: first('unpacked'),
        linkTarget: a.get('link')?.trim() || undefined,
        probeDir: a.get('probes')?.trim() === 'yes',
      }
    },
  },
} satisfies Record<string, ProbeQuery<AppInputs, unknown>>

export function planApp(facts: AppFacts, want: AppInputs): StepPlan {
  const actions: Action[] = []
  let contentChanged = false
  if (want.tarball && want.dir) {
    if (facts.unpackedSha256 !== want.tarball.sha256) {
      actions.push(...fetchTarballActions(want.tarball, facts.tarballSha256), {
        kind: 'run',
        description: `unpack phpMyAdmin ${PHPMYADMIN_VERSION} into ${want.dir}`,
        command: unpackCommand(want.tarball.path, want.dir, want.tarball.sha256),
      })
      contentChanged = true
    }
  }
  for (const f of want.files) {
    const content = contentOf(f)
    if (contentChanged || facts.fileSha256[f.path] !== sha256Of(content)) {
      // a file holding the blowfish_secret is readable by www (php-fpm) and root only
      actions.push({
        kind: 'write-file',
        path: f.path,
        content,
        mode: f.sensitive ? 0o640 : 0o644,
        owner: 'www',
        group: 'www',
        ...(f.validate ? {validate: f.validate} : {}),
        ...(f.sensitive ? {sensitive: true} : {}),
      })
    }
  }
  if (want.dir && facts.linkTarget !== want.dir) {
    // a new link renamed over the old one: the web root is never missing, the previous version stays for rollback
    actions.push({
      kind: 'run',
      description: `serve ${want.dir} as ${want.root}`,
      command: and(cmd('ln', '-sfn', want.dir, `${want.root}.lnmp-new`), cmd('mv', '-Tf', `${want.root}.lnmp-new`, want.root)),
    })
  }
  if (!want.dir && facts.rootOwner !== 'www:www') {
    actions.push({
      kind: 'run',
      description: `${want.root} owned by www`,
      command: and(cmd('mkdir', '-p', want.root), cmd('chown', '-R', 'www:www', want.root)),
    })
  }
  if (!facts.probeDir)
    actions.push({
      kind: 'run',
      description: `create ${PROBE_DIR} for verify's short-lived probes`,
      command: and(cmd('mkdir', '-p', PROBE_DIR), cmd('chmod', '0755', PROBE_DIR)),
    })
  if (facts.vhostSha256 !== sha256Of(want.vhost)) {
    const confDir = want.vhostPath.replace(/\/extra\/[^/]+$/, '')
    actions.push(
      {
        kind: 'write-file',
        path: want.vhostPath,
        content: want.vhost,
        mode: 0o644,
        validate: vhostValidateCommand(want.nginx, confDir, want.vhostPath),
      },
      {kind: 'service', service: COMPILED_UNITS.nginx, op: 'reload', ready: nginxReloadedReadiness(want.serverName), behindBalancer: true},
    )
  }
  if (actions.length === 0) return {actions, reason: `${want.kind} served as ${want.serverName} from ${want.root}`}
  return {actions}
}

export const app: Step<AppInputs, AppFacts> = {
  id: 'app',
  title: 'Deploy the site (phpMyAdmin, or the session demo) and its vhost',
  roles: ['web'],
  after: ['nginx-source', 'php-switch', 'db:mariadb'],

  inputs: appInputs,

  probeQueries: appQueries,

  probe: (remote, ctx, want) => ask(remote, appQueries.host, want, ctx.facts),

  plan: (facts, want) => planApp(facts, want),

  async verify({remote}, ctx, want) {
    const checks: CheckResult[] = []
    const test = await remote.exec(`${cmd(want.nginx, '-t')} 2>&1`, {sudo: true})
    checks.push(
      check('app-vhost-nginx-t', test.code === 0, test.code === 0 ? 'configuration ok' : (test.stdout.trim().split('\n').at(-1) ?? ''), {
        command: cmd(want.nginx, '-t'),
        hint: `fix ${want.vhostPath}`,
        output: test.stdout,
      }),
    )

    const stat = cmd('stat', '-L', '-c', '%U:%G', want.root)
    const owner = (await remote.exec(stat, {sudo: true})).stdout.trim()
    checks.push(
      check('app-owned-by-www', owner === 'www:www', `${want.root} ${owner || 'missing'}`, {
        command: stat,
        hint: messages.rerun.hint('app', ctx.host.name),
      }),
    )

    // from the host itself, as the balancer will ask: the app answers, not nginx's default page
    const raw = (await remote.exec(httpGetCommand({address: '127.0.0.1', hostHeader: want.serverName}))).stdout
    const r = parseHttpResponse(raw)
    const ok = r?.status === 200 && r.body.includes(want.marker)
    // not check(): its output is a log's last lines, and of an HTTP answer the head (status, headers) tells
    checks.push({
      name: 'app-http',
      ok,
      detail: r
        ? `${r.status}${r.body.includes(want.marker) ? `, ${want.kind} page` : `, no "${want.marker}" in the page`}`
        : 'no HTTP answer',
      command: `GET / Host: ${want.serverName} to 127.0.0.1:${PORT} on ${ctx.host.name}`,
      ...(ok
        ? {}
        : {hint: 'is php-fpm running (lnmp-deploy verify --host this one)? see <prefix>/nginx/logs/error.log', output: raw.slice(0, 2000)}),
    })
    return checks
  },
}
