import {hostsWithRole} from '../config/hosts.js'
import {sha256Of} from '../hash.js'
import {ask, runQuery} from '../engine/probe-query.js'
import type {Action, CheckResult, ProbeQuery, Step, StepContext, StepPlan} from '../engine/step.js'
import {messages} from '../messages.js'
import {type PackagedServiceFacts, packagedServiceCommand, parsePackagedService} from '../platform/packaged-service.js'
import {osMajor} from '../platform/detect.js'
import type {HostFacts} from '../platform/facts.js'
import {installCommand, packagesFor} from '../platform/packages.js'
import {serviceName} from '../platform/services.js'
import type {Remote} from '../ssh/remote.js'
import {cmd, quote, withCleanup} from '../ssh/shell.js'
import {check, listeningCommand} from './support/checks.js'
import {optionFileString, phpString, sqlString} from './support/escape.js'

/**
 * The procedure's database milestones on db01: "install mariadb-server, start and enable it, set the root
 * password (`mysqladmin password`), create a user the web hosts may log in with (`grant all privileges ...
 * to oldboy@'10.0.0.%'`)". Unlike the seed, the server listens on the private address only, the app user
 * exists once per web host address (never a wildcard) and is granted the app's database only, and no
 * password ever appears on a command line: SQL goes to `mysql` on its stdin or from a root-only file.
 * The server is also left as `mysql_secure_installation` leaves it (issue 8): no anonymous accounts, no `test`
 * database nor its grants in mysql.db, root only from this host.
 */
export const MYSQL_PORT = 3306
export const APP_DATABASE = 'lnmp_app'
/** the SQL the step applies: root-only, written just before `mysql` reads it and removed right after */
export const SQL_PATH = '/var/lib/lnmp-deploy/mariadb-setup.sql'
/** the hardening SQL: no secret in it, but written and removed the same way */
export const HARDEN_SQL_PATH = '/var/lib/lnmp-deploy/mariadb-harden.sql'
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
  /**
   * the passwords, so plan stays a function of facts and inputs (issue 11). Not enumerable (withSecrets): the
   * inputs' JSON and fingerprint never hold them (secretsDigest stands for them there), and a spread copy
   * loses them. They go only into sensitive files and mysql's stdin, never into a command or description.
   */
  readonly secrets: MariadbSecrets
}

/** `data` with the passwords attached out of its JSON: JSON.stringify, canonicalJson and a spread skip them. */
export function withSecrets<T extends object>(data: T, secrets: MariadbSecrets): T & {readonly secrets: MariadbSecrets} {
  return Object.defineProperty(data, 'secrets', {value: secrets, enumerable: false}) as T & {readonly secrets: MariadbSecrets}
}

export interface AppAccount {
  host: string
  passwordOk: boolean
  granted: boolean
}

/** A row of mysql.db that grants on `test` or `test\_%` (Db as stored: `test\_%` with its backslash). */
export interface TestGrant {
  db: string
  user: string
  host: string
}

/** What `mysql_secure_installation` would remove, as found. */
export interface MariadbHardeningFacts {
  /** hosts of the anonymous accounts (''@host) */
  anonymousHosts: string[]
  /** hosts of root accounts other than LOCAL_ROOT_HOSTS ('%', the host name, an address) */
  remoteRootHosts: string[]
  testDatabase: boolean
  testGrants: TestGrant[]
}

/** What the server itself says, asked as root; undefined when it cannot be asked (not installed, not running). */
export interface MariadbSqlFacts {
  rootPasswordOk: boolean
  rootSocket: boolean
  database: boolean
  accounts: AppAccount[]
  hardening: MariadbHardeningFacts
}

export interface MariadbFacts extends PackagedServiceFacts {
  sql: MariadbSqlFacts | undefined
}

export interface MariadbSecrets {
  rootPassword: string
  appPassword: string
}

export function mariadbSecrets(ctx: Pick<StepContext, 'secrets'>): MariadbSecrets {
  const rootPassword = ctx.secrets.get('database.rootPassword')
  const appPassword = ctx.secrets.get('database.appPassword')
  // ClusterAccess generates what the config leaves out, so a gap here is a bug, not a user error
  if (!rootPassword || !appPassword)
    throw new Error('database.rootPassword and database.appPassword must be resolved or generated before planning mariadb')
  return {rootPassword, appPassword}
}

export function mariadbInputs(ctx: StepContext): MariadbInputs {
  const packages = packagesFor(['mariadb-server', 'mariadb-client'], ctx.facts)
  const listen = ctx.host.privateAddress
  const secrets = mariadbSecrets(ctx)
  return withSecrets(
    {
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
    },
    secrets,
  )
}

/** want's passwords; a copy of the inputs made by spreading has none, and that is a bug in the caller. */
function secretsOf(want: MariadbInputs): MariadbSecrets {
  if (!want.secrets)
    throw new Error('mariadb inputs without their passwords: build them with mariadbInputs (or withSecrets), not a spread copy')
  return want.secrets
}

/** The hosts root may log in from, as `mysql_secure_installation` keeps them: this host only. */
export const LOCAL_ROOT_HOSTS = ['localhost', '127.0.0.1', '::1'] as const
const HARDENED = 'no anonymous accounts, no test database, root only from localhost'

// one predicate per thing mysql_secure_installation removes, shared by the probe and the hardening SQL, so what
// the probe reports is exactly what the hardening removes; every MariaDB from 5.5 to 11.8 has these tables
// (mysql.user is a view over mysql.global_priv from 10.4 on, readable as before)
const ANONYMOUS = `User = ''`
const REMOTE_ROOT = `User = 'root' AND Host NOT IN (${LOCAL_ROOT_HOSTS.map(sqlString).join(', ')})`
// the SQL literal 'test\\_%' is the grant pattern test\_% (an escaped underscore), compared as a string, as
// mysql_secure_installation does: `test_app`'s grants are not test's
const TEST_GRANT = `Db = 'test' OR Db = 'test\\\\_%'`

/** Read-only questions about what `mysql_secure_installation` removes; no secret in them. */
export function hardeningProbeSql(): string {
  return [
    `SELECT 'anonymous', Host FROM mysql.user WHERE ${ANONYMOUS} ORDER BY Host;`,
    `SELECT 'remote-root', Host FROM mysql.user WHERE ${REMOTE_ROOT} ORDER BY Host;`,
    `SELECT 'test-database', SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = 'test';`,
    `SELECT 'test-grant', Db, User, Host FROM mysql.db WHERE ${TEST_GRANT} ORDER BY Db, User, Host;`,
  ].join('\n')
}

/**
 * Read-only questions as SQL, for `mysql -N -B` on stdin (mysqlRootCommand): one row per answer, its first
 * column naming it, then `end`. The passwords are compared by the server (PASSWORD()), never printed.
 */
export function probeSql(want: MariadbInputs, secrets: MariadbSecrets): string {
  const user = sqlString(want.appUser)
  const hashOf = (pw: string) => `(Password = PASSWORD(${sqlString(pw)}) OR authentication_string = PASSWORD(${sqlString(pw)}))`
  const socket =
    want.rootAuth === 'socket-or-password'
      ? `IF((SELECT Priv FROM mysql.global_priv WHERE User = 'root' AND Host = 'localhost') LIKE '%unix_socket%', 'socket', 'no-socket')`
      : `'no-socket'`
  const allPrivileges = ['Select', 'Insert', 'Update', 'Delete', 'Create', 'Drop', 'Index', 'Alter']
    .map((p) => `${p}_priv = 'Y'`)
    .join(' AND ')
  return [
    `SELECT 'root', IF(${hashOf(secrets.rootPassword)}, 'password', 'no-password'), ${socket} FROM mysql.user WHERE User = 'root' AND Host = 'localhost';`,
    `SELECT 'account', Host, IF(${hashOf(secrets.appPassword)}, 'password', 'no-password') FROM mysql.user WHERE User = ${user} ORDER BY Host;`,
    `SELECT 'grant', Host FROM mysql.db WHERE User = ${user} AND Db = ${sqlString(want.database)} AND ${allPrivileges} ORDER BY Host;`,
    `SELECT 'database', SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ${sqlString(want.database)};`,
    hardeningProbeSql(),
    `SELECT 'end';`,
    '',
  ].join('\n')
}

/**
 * One row as `mysql -B` prints it: columns separated by tabs, and in each value the client escapes a tab,
 * a newline, a NUL and the backslash itself (`test\_%` prints as `test\\_%`); NULL prints as `NULL`.
 */
export function batchRow(line: string): string[] {
  const unescaped: Record<string, string> = {t: '\t', n: '\n', '0': '\0', '\\': '\\'}
  return line.split('\t').map((field) => field.replace(/\\(.)/g, (_, c: string) => unescaped[c] ?? c))
}

/** The answers to probeSql as `mysql -N -B` prints them; undefined without the `end` row (the server could not be asked). */
export function parseSqlFacts(stdout: string): MariadbSqlFacts | undefined {
  const rows = stdout
    .split('\n')
    .map((l) => l.replace(/\r$/, ''))
    .filter((l) => l !== '')
    .map(batchRow)
  if (!rows.some((r) => r.length === 1 && r[0] === 'end')) return undefined
  const answers = (name: string) => rows.filter((r) => r[0] === name).map((r) => r.slice(1))
  const [root = []] = answers('root')
  const granted = new Set(answers('grant').map(([host = '']) => host))
  return {
    rootPasswordOk: root[0] === 'password',
    rootSocket: root[1] === 'socket',
    database: answers('database').length > 0,
    accounts: answers('account').map(([host = '', password]) => ({host, passwordOk: password === 'password', granted: granted.has(host)})),
    hardening: {
      anonymousHosts: answers('anonymous').map(([host = '']) => host),
      remoteRootHosts: answers('remote-root').map(([host = '']) => host),
      testDatabase: answers('test-database').length > 0,
      testGrants: answers('test-grant').map(([db = '', user = '', host = '']) => ({db, user, host})),
    },
  }
}

/** An account as SQL names it: ''@'localhost', 'root'@'%'. */
export function accountName(user: string, host: string): string {
  return `${sqlString(user)}@${sqlString(host)}`
}

/** What is left that `mysql_secure_installation` removes, one phrase per kind; empty when hardened. */
export function hardeningProblems(h: MariadbHardeningFacts): string[] {
  const problems: string[] = []
  if (h.anonymousHosts.length > 0) problems.push(`anonymous ${h.anonymousHosts.map((host) => accountName('', host)).join(', ')}`)
  if (h.remoteRootHosts.length > 0)
    problems.push(`root from other hosts ${h.remoteRootHosts.map((host) => accountName('root', host)).join(', ')}`)
  if (h.testDatabase) problems.push('database test')
  if (h.testGrants.length > 0)
    problems.push(`test grants in mysql.db: ${h.testGrants.map((g) => `${g.db} to ${accountName(g.user, g.host)}`).join(', ')}`)
  return problems
}

/**
 * What `mysql_secure_installation` does, minus setting root's password (setupSql does that): drop the anonymous
 * accounts and root's accounts from other hosts, drop database test, delete the grants on test and test\_%.
 * The accounts are found when the SQL runs, not when it was planned, so the same text serves a fresh install
 * (nothing could be asked before it) and a drifted host, and running it twice changes nothing. No `IF EXISTS`
 * and no compound statement: MariaDB 5.5 (CentOS 7) has neither; DROP USER of a list is prepared from the
 * accounts found, and `DO 0` stands in when there are none.
 */
export const HARDENING_SQL = [
  '-- lnmp-deploy: what mysql_secure_installation removes; removed right after mysql has read it',
  `SET @lnmp_drop_users = IFNULL((SELECT CONCAT('DROP USER ', GROUP_CONCAT(QUOTE(User), '@', QUOTE(Host) SEPARATOR ', ')) FROM mysql.user WHERE ${ANONYMOUS} OR (${REMOTE_ROOT})), 'DO 0');`,
  'PREPARE lnmp_drop_users FROM @lnmp_drop_users;',
  'EXECUTE lnmp_drop_users;',
  'DEALLOCATE PREPARE lnmp_drop_users;',
  'DROP DATABASE IF EXISTS `test`;',
  `DELETE FROM mysql.db WHERE ${TEST_GRANT};`,
  'FLUSH PRIVILEGES;',
  '',
].join('\n')

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
    ...want.appHosts.map(
      (h) =>
        `GRANT ALL PRIVILEGES ON ${db}.* TO ${sqlString(want.appUser)}@${sqlString(h)} IDENTIFIED BY ${sqlString(secrets.appPassword)};`,
    ),
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
  return `# managed by lnmp-deploy: root's MariaDB password for the next run\n[client]\nuser = root\npassword = ${optionFileString(rootPassword)}\n`
}

export function planMariadb(facts: MariadbFacts, want: MariadbInputs): StepPlan {
  const actions: Action[] = []
  const ready = {tcp: {host: want.listen, port: want.port}}
  const installing = facts.missingPackages.length > 0
  if (installing) actions.push({kind: 'run', description: `install ${facts.missingPackages.join(' ')}`, command: want.installCommand})
  const configChanged = facts.configSha256 !== sha256Of(want.config)
  if (configChanged) actions.push({kind: 'write-file', path: want.configPath, content: want.config, mode: 0o644})
  // the package starts MariaDB on 127.0.0.1: only a restart moves it onto the private address
  if (configChanged || installing) {
    actions.push({kind: 'service', service: want.service, op: 'restart', ready})
    if (!facts.enabled) actions.push({kind: 'service', service: want.service, op: 'enable-now'})
  } else if (!facts.enabled || !facts.active) {
    actions.push({kind: 'service', service: want.service, op: 'enable-now', ready})
  }

  const {problems, staleHosts} = sqlDrift(facts.sql, want)
  if (problems.length > 0) {
    const secrets = secretsOf(want)
    actions.push(
      {kind: 'write-file', path: SQL_PATH, content: setupSql(want, secrets, staleHosts), mode: 0o600, sensitive: true},
      {
        kind: 'run',
        description: `set root's password, create database ${want.database}, grant ${want.appUser} to ${want.appHosts.join(', ') || '(no web hosts)'}${staleHosts.length > 0 ? `, drop ${staleHosts.join(', ')}` : ''}`,
        command: sqlFileCommand(want.rootAuth, SQL_PATH),
      },
    )
    if (want.rootAuth === 'password') {
      actions.push({kind: 'write-file', path: ROOT_CLIENT_CNF, content: rootClientCnf(secrets.rootPassword), mode: 0o600, sensitive: true})
    }
  }

  // last: with 'password' auth, mysql logs in through the /root/.my.cnf written just before
  const leftovers = facts.sql ? hardeningProblems(facts.sql.hardening) : undefined
  if (leftovers === undefined || leftovers.length > 0) {
    actions.push(
      // no secret in it: shown in plan's diff like any other file
      {kind: 'write-file', path: HARDEN_SQL_PATH, content: HARDENING_SQL, mode: 0o600},
      {
        kind: 'run',
        description: `remove what mysql_secure_installation removes: ${leftovers?.join('; ') ?? 'anonymous accounts, root from other hosts, database test and its grants, whichever the install made'}`,
        command: sqlFileCommand(want.rootAuth, HARDEN_SQL_PATH),
      },
    )
  }
  if (actions.length === 0) {
    return {
      actions,
      reason: `MariaDB on ${want.listen}:${want.port}, enabled and running; root and ${want.appUser}@{${want.appHosts.join(',')}} as configured; ${HARDENED}`,
    }
  }
  return {actions}
}

/** `mysql` as root reads a root-only SQL file, removed whatever its exit: the SQL never is on a command line. */
export function sqlFileCommand(auth: RootAuth, path: string): string {
  return withCleanup(`${mysqlRootCommand(auth)} < ${quote(path)}`, cmd('rm', '-f', path))
}

/** The probe's questions to the host (packages, config file, service), one round trip, read only. */
export function probeCommand(want: MariadbInputs, facts: HostFacts): string {
  return packagedServiceCommand(want, facts)
}

/** probeCommand's answers as facts (pure); the server's own answers come from probeSql and parseSqlFacts. */
export function parseProbe(stdout: string, want: MariadbInputs, facts: HostFacts): PackagedServiceFacts {
  return parsePackagedService(stdout, want, facts)
}

/** The probe's two round trips: the host first; the server only while it runs (probe decides). */
export const mariadbQueries = {
  host: {command: probeCommand, sudo: true, parse: parseProbe},
  sql: {
    command: (want) => mysqlRootCommand(want.rootAuth),
    sudo: true,
    // the passwords are in the SQL (the server compares them): stdin, never the command line
    stdin: (want) => probeSql(want, secretsOf(want)),
    parse: parseSqlFacts,
  },
} satisfies Record<string, ProbeQuery<MariadbInputs, unknown>>

async function probeSqlFacts(remote: Remote, want: MariadbInputs, facts: HostFacts): Promise<MariadbSqlFacts | undefined> {
  // mysql that could not log in exits non-zero: no answer, whatever it printed
  const result = await runQuery(remote, mariadbQueries.sql, want, facts)
  return result.code === 0 ? mariadbQueries.sql.parse(result.stdout) : undefined
}

/** The web host logs in with the app user through the compiled PHP's mysqli; the script (and password) on stdin. */
export function mysqliLoginScript(host: string, user: string, password: string, database: string): string {
  return [
    '<?php',
    'mysqli_report(MYSQLI_REPORT_OFF);',
    `$db = @new mysqli(${phpString(host)}, ${phpString(user)}, ${phpString(password)}, ${phpString(database)}, ${MYSQL_PORT});`,
    'if ($db->connect_errno) { echo \'error \', $db->connect_error, "\\n"; exit(1); }',
    "$row = $db->query('SELECT CURRENT_USER()')->fetch_row();",
    'echo \'ok \', $row[0], "\\n";',
    '',
  ].join('\n')
}

export const mariadb: Step<MariadbInputs, MariadbFacts> = {
  id: 'mariadb',
  title: 'Install MariaDB on the private address, set the root password, let the web hosts log in',
  roles: ['db'],
  // its checks connect from each web host: the firewall lets a new one in first
  after: ['db-firewall'],

  inputs: mariadbInputs,

  probeQueries: mariadbQueries,

  async probe(remote, ctx, want) {
    const host = await ask(remote, mariadbQueries.host, want, ctx.facts)
    return {...host, sql: host.active ? await probeSqlFacts(remote, want, ctx.facts) : undefined}
  },

  plan: (facts, want) => planMariadb(facts, want),

  async verify({remote, remoteOf}, ctx, want) {
    const secrets = secretsOf(want)
    const checks: CheckResult[] = []
    const state = await remote.exec(`${cmd('systemctl', 'is-active', want.service)}; ${cmd('systemctl', 'is-enabled', want.service)}`)
    const [active, enabled] = state.stdout.trim().split('\n')
    const running = active === 'active' && enabled === 'enabled'
    checks.push(
      check('mariadb-service', running, `${active ?? '?'}, ${enabled ?? '?'}`, {
        command: `systemctl is-active ${want.service}; systemctl is-enabled ${want.service}`,
        hint: `systemctl enable --now ${want.service}; journalctl -u ${want.service}`,
      }),
    )

    const ss = listeningCommand(want.port)
    const sockets = (await remote.exec(ss, {sudo: true})).stdout
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => l.trim().split(/\s+/)[3] ?? '')
    const listenOk = sockets.length > 0 && sockets.every((s) => s === `${want.listen}:${want.port}`)
    checks.push(
      check('mariadb-listening', listenOk, sockets.length > 0 ? sockets.join(', ') : 'nothing listens', {
        command: ss,
        hint: `MariaDB should listen on ${want.listen}:${want.port} only; see ${want.configPath}`,
      }),
    )

    const sql = running ? await probeSqlFacts(remote, want, ctx.facts) : undefined
    const {problems} = sqlDrift(sql, want)
    const accountHosts = sql?.accounts.map((a) => a.host).sort() ?? []
    checks.push(
      check(
        'mariadb-accounts',
        problems.length === 0,
        problems.length === 0 ? `root as configured; ${want.appUser}@{${accountHosts.join(',')}} on ${want.database}` : problems.join('; '),
        {
          command: `${mysqlRootCommand(want.rootAuth)} < (read-only SQL on stdin)`,
          hint: messages.rerun.hint('mariadb', ctx.host.name),
        },
      ),
    )
    const leftovers = sql ? hardeningProblems(sql.hardening) : undefined
    const hardenedDetail = !leftovers
      ? 'the server could not be asked (not installed or not running)'
      : leftovers.length === 0
        ? HARDENED
        : `left on ${ctx.host.name}: ${leftovers.join('; ')}`
    checks.push(
      check('mariadb-hardened', leftovers?.length === 0, hardenedDetail, {
        command: `${mysqlRootCommand(want.rootAuth)} < (read-only SQL on stdin)`,
        hint: `${ctx.host.name} keeps what mysql_secure_installation removes; ${messages.rerun.hint('mariadb', ctx.host.name)}`,
      }),
    )

    // the web hosts are the clients: each logs in over TCP, as the app will
    for (const web of hostsWithRole(ctx.cluster, 'web')) {
      const from = await remoteOf(web.name)
      const reach = await from.exec(cmd('timeout', 3, 'bash', '-c', `</dev/tcp/${want.listen}/${want.port}`))
      const php = `${ctx.config.prefix}/php/bin/php`
      if (reach.code !== 0) {
        checks.push(
          check(`mariadb-login-from-${web.name}`, false, `${web.name} cannot open a TCP connection to ${want.listen}:${want.port}`, {
            command: `bash -c '</dev/tcp/${want.listen}/${want.port}' on ${web.name}`,
            hint: `is MariaDB running and bound to ${want.listen}, and is the port open to ${web.privateAddress}?`,
          }),
        )
        continue
      }
      const hasPhp = (await from.exec(cmd('test', '-x', php))).code === 0
      if (!hasPhp) {
        checks.push(check(`mariadb-login-from-${web.name}`, true, `port reachable; login skipped: no PHP at ${php} on ${web.name} yet`))
        continue
      }
      const login = await from.exec(cmd(php, '-n', '-d', 'display_errors=stderr'), {
        stdin: mysqliLoginScript(want.listen, want.appUser, secrets.appPassword, want.database),
      })
      const ok = login.code === 0 && login.stdout.startsWith('ok ')
      checks.push(
        check(
          `mariadb-login-from-${web.name}`,
          ok,
          ok
            ? `logged in as ${login.stdout.trim().slice(3)}`
            : ((login.stdout + login.stderr).trim().split('\n').slice(-1)[0] ?? `exit ${login.code}`),
          {
            command: `${php} (mysqli login script on stdin) on ${web.name}`,
            hint: `${messages.rerun.hint('mariadb', ctx.host.name)}; does ${php} -m list mysqli?`,
            output: login.stdout + login.stderr,
          },
        ),
      )
    }
    return checks
  },
}
