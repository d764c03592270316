
import {hostsWithRole} from '../config/hosts.js'
import {sha256Of} from '../engine/actions.js'
import type {Action, CheckResult, Step, StepContext, StepPlan} from '../engine/step.js'
import {batchCommand, firstWord, parseBatch} from '../platform/batch-probe.js'
import {osMajor} from '../platform/detect.js'
import type {HostFacts} from '../platform/facts.js'
import {installCommand, packageQueryCommand, packagesFor, parseMissingPackages} from '../platform/packages.js'
import {serviceName} from '../platform/services.js'
import type {Remote} from '../ssh/remote.js'
import {cmd, quote} from '../ssh/shell.js'

/**
 * The procedure's database milestones on db01: "install mariadb-server, start and enable it, set the root
 * password (`mysqladmin password`), create a user the web hosts may log in with (`grant all privileges ...
 * to oldboy@'10.0.0.%'`)". Unlike the seed, the server listens on the private address only, the app user
 * exists once per web host address (never a wildcard) and is granted the app's database only, and no
 * password ever appears on a command line: SQL goes to `mysql` on its stdin or from a root-only file.
 */
export const MYSQL_PORT = 3306
export const APP_DATABASE = 'lnmp_app'
/** the SQL the step applies: root-only, written just before `mysql` reads it and removed right after */
export const SQL_PATH = '/var/lib/lnmp-deploy/mariadb-setup.sql'
/** where MariaDB < 10.4 keeps root's password for the next run (no unix_socket OR password there) */
export const ROOT_CLIENT_CNF = '/root/.my.cnf'

/**
 * 'socket-or-password': MariaDB 10.4+ (Debian, Ubuntu, EL9) lets root@localhost keep unix_socket and accept
 * a password as an alternative. 'password': MariaDB 5.5 (CentOS 7) and 10.3 (EL8) know one plugin per user,
 * so root gets a password and the step reads it from /root/.my.cnf afterwards.
 */
export type RootAuth = 'socket-or-password' | 'password'

export function rootAuthFor(facts: HostFacts): RootAuth {
  return facts.osFamily === 'rhel' && osMajor(facts) <= 8 ? 'password' : 'socket-or-password'
}

export function mariadbConfigPath(facts: HostFacts): string {
  // Debian's 50-server.cnf says bind-address = 127.0.0.1: a later file of the same directory overrides it
  return facts.osFamily === 'debian' ? '/etc/mysql/mariadb.conf.d/60-lnmp-deploy.cnf' : '/etc/my.cnf.d/lnmp-deploy.cnf'
}

export function renderMariadbConfig(listen: string): string {
  return [
    '# managed by lnmp-deploy: MariaDB listens on the private address only; the web hosts are its clients.',
    '# Grants name IP addresses, so client names are never looked up.',
    '[mysqld]',
    `bind-address = ${listen}`,
    `port = ${MYSQL_PORT}`,
    'skip-name-resolve',
    '',
  ].join('\n')
}

/** A SQL string literal: MariaDB's default sql_mode treats backslash as an escape, so both are escaped. */
export function sqlString(value: string): string {
  return `'${value.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`
}

/**
 * `mysql` as root through the local socket. With 'password' auth the first run finds root without a
 * password and later runs log in with /root/.my.cnf; stdin goes to whichever client runs.
 */
export function mysqlRootCommand(auth: RootAuth): string {
  if (auth === 'socket-or-password') return 'mysql --protocol=socket -uroot -N -B'
  return `if mysql --no-defaults --protocol=socket -uroot -e 'SELECT 1' >/dev/null 2>&1; then mysql --no-defaults --protocol=socket -uroot -N -B; else mysql --defaults-extra-file=${ROOT_CLIENT_CNF} --protocol=socket -uroot -N -B; fi`
}

export interface MariadbInputs {
  packages: string[]
  installCommand: string
  configPath: string
  config: string
  service: string
  listen: string
  port: number
  rootAuth: RootAuth
  appUser: string
  /** the web hosts' private addresses: one account each */
  appHosts: string[]
  database: string
  /** sha256 over the passwords: a changed password changes the fingerprint, the journal never holds it */
  secretsDigest: string
}

export interface AppAccount {
  host: string
  passwordOk: boolean
  granted: boolean
}

/** What the server itself says, asked as root; undefined when it cannot be asked (not installed, not running). */
export interface MariadbSqlFacts {
  rootPasswordOk: boolean
  rootSocket: boolean
  database: boolean
  accounts: AppAccount[]
}

export interface MariadbFacts {
  missingPackages: string[]
  configSha256: string | undefined
  enabled: boolean
  active: boolean
  sql: MariadbSqlFacts | undefined
}

export interface MariadbSecrets {
  rootPassword: string
  appPassword: string
}

export function mariadbSecrets(ctx: Pick<StepContext, 'secrets'>): MariadbSecrets {
  const rootPassword = ctx.secrets.get('database.rootPassword')
  const appPassword = ctx.secrets.get('database.appPassword')
  // the session generates what the config leaves out, so a gap here is a bug, not a user error
  if (!rootPassword || !appPassword) throw new Error('database.rootPassword and database.appPassword must be resolved or generated before planning mariadb')
  return {rootPassword, appPassword}
}

export function mariadbInputs(ctx: StepContext): MariadbInputs {
  const packages = packagesFor(['mariadb-server', 'mariadb-client'], ctx.facts)
  const listen = ctx.host.privateAddress
  const secrets = mariadbSecrets(ctx)
  return {
    packages,
    installCommand: installCommand(packages, ctx.facts),
    configPath: mariadbConfigPath(ctx.facts),
    config: renderMariadbConfig(listen),
    service: serviceName('mariadb', ctx.facts),
    listen,
    port: MYSQL_PORT,
    rootAuth: rootAuthFor(ctx.facts),
    appUser: ctx.config.database.appUser,
    appHosts: [...new Set(hostsWithRole(ctx.cluster, 'web').map((h) => h.privateAddress))],
    database: APP_DATABASE,
    secretsDigest: sha256Of(JSON.stringify([secrets.rootPassword, secrets.appPassword])),
  }
}

/** Read-only questions as SQL; the passwords are compared by the server (PASSWORD()), never printed. */
export function probeSql(want: MariadbInputs, secrets: MariadbSecrets): string {
  const user = sqlString(want.appUser)
  const hashOf = (pw: string) => `(Password = PASSWORD(${sqlString(pw)}) OR authentication_string = PASSWORD(${sqlString(pw)}))`
  const socket =
    want.rootAuth === 'socket-or-password'
      ? `IF((SELECT Priv FROM mysql.global_priv WHERE User = 'root' AND Host = 'localhost') LIKE '%unix_socket%', 'socket', 'no-socket')`
      : `'no-socket'`
  const allPrivileges = ['Select', 'Insert', 'Update', 'Delete', 'Create', 'Drop', 'Index', 'Alter'].map((p) => `${p}_priv = 'Y'`).join(' AND ')
  return [
    `SELECT CONCAT('root ', IF(${hashOf(secrets.rootPassword)}, 'password', 'no-password'), ' ', ${socket}) FROM mysql.user WHERE User = 'root' AND Host = 'localhost';`,
    `SELECT CONCAT('account ', Host, ' ', IF(${hashOf(secrets.appPassword)}, 'password', 'no-password')) FROM mysql.user WHERE User = ${user};`,
    `SELECT CONCAT('grant ', Host) FROM mysql.db WHERE User = ${user} AND Db = ${sqlString(want.database)} AND ${allPrivileges};`,
    `SELECT CONCAT('database ', SCHEMA_NAME) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ${sqlString(want.database)};`,
    `SELECT 'end';`,
    '',
  ].join('\n')
}

export function parseSqlFacts(stdout: string): MariadbSqlFacts | undefined {
  const lines = stdout.split('\n').map((l) => l.trim())
  if (!lines.includes('end')) return undefined
  const root = lines.find((l) => l.startsWith('root '))?.split(' ') ?? []
  const granted = new Set(lines.filter((l) => l.startsWith('grant ')).map((l) => l.slice('grant '.length)))
  const accounts = lines
    .filter((l) => l.startsWith('account '))
    .map((l) => {
      const [, host = '', password] = l.split(' ')
      return {host, passwordOk: password === 'password', granted: granted.has(host)}
    })
  return {
    rootPasswordOk: root[1] === 'password',
    rootSocket: root[2] === 'socket',
    database: lines.some((l) => l.startsWith('database ')),
    accounts,
  }
}

/** The whole desired state as idempotent SQL: applying it twice changes nothing the second time. */
export function setupSql(want: MariadbInputs, secrets: MariadbSecrets, staleHosts: readonly string[]): string {
  const root =
    want.rootAuth === 'socket-or-password'
      ? // root keeps logging in through the socket as the OS root; the password is an alternative
        `ALTER USER 'root'@'localhost' IDENTIFIED VIA unix_socket OR mysql_native_password USING PASSWORD(${sqlString(secrets.rootPassword)});`
      : `SET PASSWORD FOR 'root'@'localhost' = PASSWORD(${sqlString(secrets.rootPassword)});`
  const db = `\`${want.database}\``
  return [
    '-- lnmp-deploy: removed right after mysql has read it',
    root,
    `CREATE DATABASE IF NOT EXISTS ${db};`,
    // GRANT ... IDENTIFIED BY creates the account or resets its password, on every MariaDB from 5.5 on
    ...want.appHosts.map((h) => `GRANT ALL PRIVILEGES ON ${db}.* TO ${sqlString(want.appUser)}@${sqlString(h)} IDENTIFIED BY ${sqlString(secrets.appPassword)};`),
    ...staleHosts.map((h) => `DROP USER ${sqlString(want.appUser)}@${sqlString(h)};`),
    'FLUSH PRIVILEGES;',
    '',
  ].join('\n')
}

/** Which accounts are missing or wrong, and which exist for hosts that are no longer web hosts. */
export function sqlDrift(sql: MariadbSqlFacts | undefined, want: MariadbInputs): {problems: string[]; staleHosts: string[]} {
  if (!sql) return {problems: ['the server could not be asked (not installed or not running yet)'], staleHosts: []}
  const problems: string[] = []
  if (!sql.rootPasswordOk) problems.push("root's password is not the configured one")
  if (want.rootAuth === 'socket-or-password' && !sql.rootSocket) problems.push('root@localhost lost unix_socket login')
  if (!sql.database) problems.push(`database ${want.database} missing`)
  for (const host of want.appHosts) {
    const account = sql.accounts.find((a) => a.host === host)
    if (!account) problems.push(`${want.appUser}@${host} missing`)
    else if (!account.passwordOk) problems.push(`${want.appUser}@${host} has another password`)
    else if (!account.granted) problems.push(`${want.appUser}@${host} lacks its grant on ${want.database}`)
  }
  const staleHosts = sql.accounts.map((a) => a.host).filter((h) => !want.appHosts.includes(h))
  if (staleHosts.length > 0) problems.push(`${want.appUser} also exists for ${staleHosts.join(', ')}`)
  return {problems, staleHosts}
}

export function rootClientCnf(rootPassword: string): string {
  // option files take quoted values with backslash escapes
  return `# managed by lnmp-deploy: root's MariaDB password for the next run\n[client]\nuser = root\npassword = "${rootPassword.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"\n`
}

export function planMariadb(facts: MariadbFacts, want: MariadbInputs, ctx: Pick<StepContext, 'secrets'>): StepPlan {
  const actions: Action[] = []
  const ready = {tcp: {host: want.listen, port: want.port}}
  const installed = facts.missingPackages.length > 0
  if (installed) actions.push({kind: 'run', description: `install ${facts.missingPackages.join(' ')}`, command: want.installCommand})
  const configChanged = facts.configSha256 !== sha256Of(want.config)
  if (configChanged) actions.push({kind: 'write-file', path: want.configPath, content: want.config, mode: 0o644})
  // the package starts MariaDB on 127.0.0.1: only a restart moves it onto the private address
  if (configChanged || installed) {
    actions.push({kind: 'service', service: want.service, op: 'restart', ready})
    if (!facts.enabled) actions.push({kind: 'service', service: want.service, op: 'enable-now'})
  } else if (!facts.enabled || !facts.active) {
    actions.push({kind: 'service', service: want.service, op: 'enable-now', ready})
  }

  const {problems, staleHosts} = sqlDrift(facts.sql, want)
  if (problems.length > 0) {
    const secrets = mariadbSecrets(ctx)
    actions.push(
      {kind: 'write-file', path: SQL_PATH, content: setupSql(want, secrets, staleHosts), mode: 0o600, sensitive: true},
      {
        kind: 'run',
        description: `set root's password, create database ${want.database}, grant ${want.appUser} to ${want.appHosts.join(', ') || '(no web hosts)'}${staleHosts.length > 0 ? `, drop ${staleHosts.join(', ')}` : ''}`,
        command: `${mysqlRootCommand(want.rootAuth)} < ${quote(SQL_PATH)}; rc=$?; rm -f ${quote(SQL_PATH)}; exit $rc`,
      },
    )
    if (want.rootAuth === 'password') {
      actions.push({kind: 'write-file', path: ROOT_CLIENT_CNF, content: rootClientCnf(secrets.rootPassword), mode: 0o600, sensitive: true})
    }
  }
  if (actions.length === 0) {
    return {actions, reason: `MariaDB on ${want.listen}:${want.port}, enabled and running; root and ${want.appUser}@{${want.appHosts.join(',')}} as configured`}
  }
  return {actions}
}

async function probeSqlFacts(remote: Remote, want: MariadbInputs, ctx: StepContext): Promise<MariadbSqlFacts | undefined> {
  const result = await remote.exec(mysqlRootCommand(want.rootAuth), {sudo: true, stdin: probeSql(want, mariadbSecrets(ctx))})
  return result.code === 0 ? parseSqlFacts(result.stdout) : undefined
}

/** The web host logs in with the app user through the compiled PHP's mysqli; the script (and password) on stdin. */
export function mysqliLoginScript(host: string, user: string, password: string, database: string): string {
  const s = (v: string) => `'${v.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`
  return [
    '<?php',
    'mysqli_report(MYSQLI_REPORT_OFF);',
    `$db = @new mysqli(${s(host)}, ${s(user)}, ${s(password)}, ${s(database)}, ${MYSQL_PORT});`,
    "if ($db->connect_errno) { echo 'error ', $db->connect_error, \"\\n\"; exit(1); }",
    "$row = $db->query('SELECT CURRENT_USER()')->fetch_row();",
    "echo 'ok ', $row[0], \"\\n\";",
    '',
  ].join('\n')
}

export const mariadb: Step<MariadbInputs, MariadbFacts> = {
  id: 'mariadb',
  title: 'Install MariaDB on the private address, set the root password, let the web hosts log in',
  roles: ['db'],

  inputs: mariadbInputs,

  async probe(remote, ctx) {
    const want = mariadbInputs(ctx)
    const {stdout} = await remote.exec(
      batchCommand({
        packages: packageQueryCommand(want.packages, ctx.facts),
        config: cmd('sha256sum', want.configPath),
        enabled: cmd('systemctl', 'is-enabled', want.service),
        active: cmd('systemctl', 'is-active', want.service),
      }),
      {sudo: true},
    )
    const answers = parseBatch(stdout)
    const active = answers.get('active')?.trim() === 'active'
    return {
      missingPackages: parseMissingPackages(want.packages, answers.get('packages') ?? '', ctx.facts),
      configSha256: firstWord(answers.get('config')),
      enabled: answers.get('enabled')?.trim() === 'enabled',
      active,
      sql: active ? await probeSqlFacts(remote, want, ctx) : undefined,
    }
  },

  plan: planMariadb,

  async verify({remote, remoteOf}, ctx) {
    const want = mariadbInputs(ctx)
    const secrets = mariadbSecrets(ctx)
    const checks: CheckResult[] = []
    const state = await remote.exec(`${cmd('systemctl', 'is-active', want.service)}; ${cmd('systemctl', 'is-enabled', want.service)}`)
    const [active, enabled] = state.stdout.trim().split('\n')
    const running = active === 'active' && enabled === 'enabled'
    checks.push({
      name: 'mariadb-service',
      ok: running,
      detail: `${active ?? '?'}, ${enabled ?? '?'}`,
      command: `systemctl is-active ${want.service}; systemctl is-enabled ${want.service}`,
      ...(running ? {} : {hint: `systemctl enable --now ${want.service}; journalctl -u ${want.service}`}),
    })

    const ss = cmd('ss', '-Hlnt', 'sport', '=', `:${want.port}`)
    const sockets = (await remote.exec(ss, {sudo: true})).stdout.trim().split('\n').filter(Boolean).map((l) => l.trim().split(/\s+/)[3] ?? '')
    const listenOk = sockets.length > 0 && sockets.every((s) => s === `${want.listen}:${want.port}`)
    checks.push({
      name: 'mariadb-listening',
      ok: listenOk,
      detail: sockets.length > 0 ? sockets.join(', ') : 'nothing listens',
      command: ss,
      ...(listenOk ? {} : {hint: `MariaDB should listen on ${want.listen}:${want.port} only; see ${want.configPath}`}),
    })

    const sql = running ? await probeSqlFacts(remote, want, ctx) : undefined
    const {problems} = sqlDrift(sql, want)
    const accountHosts = sql?.accounts.map((a) => a.host).sort() ?? []
    checks.push({
      name: 'mariadb-accounts',
      ok: problems.length === 0,
      detail: problems.length === 0 ? `root as configured; ${want.appUser}@{${accountHosts.join(',')}} on ${want.database}` : problems.join('; '),
      command: `${mysqlRootCommand(want.rootAuth)} < (read-only SQL on stdin)`,
      ...(problems.length === 0 ? {} : {hint: `run: lnmp-deploy run --step mariadb --host ${ctx.host.name}`}),
    })

    // the web hosts are the clients: each logs in over TCP, as the app will
    for (const web of hostsWithRole(ctx.cluster, 'web')) {
      const from = await remoteOf(web.name)
      const reach = await from.exec(cmd('timeout', 3, 'bash', '-c', `</dev/tcp/${want.listen}/${want.port}`))
      const php = `${ctx.config.prefix}/php/bin/php`
      if (reach.code !== 0) {
        checks.push({
          name: `mariadb-login-from-${web.name}`,
          ok: false,
          detail: `${web.name} cannot open a TCP connection to ${want.listen}:${want.port}`,
          command: `bash -c '</dev/tcp/${want.listen}/${want.port}' on ${web.name}`,
          hint: `is MariaDB running and bound to ${want.listen}, and is the port open to ${web.privateAddress}?`,
        })
        continue
      }
      const hasPhp = (await from.exec(cmd('test', '-x', php))).code === 0
      if (!hasPhp) {
        checks.push({name: `mariadb-login-from-${web.name}`, ok: true, detail: `port reachable; login skipped: no PHP at ${php} on ${web.name} yet`})
        continue
      }
      const login = await from.exec(cmd(php, '-n', '-d', 'display_errors=stderr'), {stdin: mysqliLoginScript(want.listen, want.appUser, secrets.appPassword, want.database)})
      const ok = login.code === 0 && login.stdout.startsWith('ok ')
      checks.push({
        name: `mariadb-login-from-${web.name}`,
        ok,
        detail: ok ? `logged in as ${login.stdout.trim().slice(3)}` : (login.stdout + login.stderr).trim().split('\n').slice(-1)[0] ?? `exit ${login.code}`,
        command: `${php} (mysqli login script on stdin) on ${web.name}`,
        ...(ok ? {} : {hint: `run: lnmp-deploy run --step mariadb --host ${ctx.host.name}; does ${php} -m list mysqli?`, output: login.stdout + login.stderr}),
      })
    }
    return checks
  },
}
