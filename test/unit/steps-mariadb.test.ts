import {describe, expect, it} from 'vitest'

import {clusterHosts} from '../../src/config/hosts.js'
import {configSchema} from '../../src/config/schema.js'
import {sha256Of} from '../../src/engine/actions.js'
import type {Action, StepContext} from '../../src/engine/step.js'
import type {HostFacts} from '../../src/platform/facts.js'
import {
  type MariadbFacts,
  SQL_PATH,
  mariadbInputs,
  parseSqlFacts,
  planMariadb,
  probeSql,
  renderMariadbConfig,
  setupSql,
  sqlString,
} from '../../src/steps/mariadb.js'

const debian12: HostFacts = {osId: 'debian', osVersion: '12', osFamily: 'debian', packageManager: 'apt', arch: 'x86_64', cores: 2, initSystem: 'systemd'}
const ubuntu2404: HostFacts = {osId: 'ubuntu', osVersion: '24.04', osFamily: 'debian', packageManager: 'apt', arch: 'x86_64', cores: 4, initSystem: 'systemd'}
const rocky9: HostFacts = {osId: 'rocky', osVersion: '9.4', osFamily: 'rhel', packageManager: 'dnf', arch: 'x86_64', cores: 2, initSystem: 'systemd'}
const centos7: HostFacts = {osId: 'centos', osVersion: '7', osFamily: 'rhel', packageManager: 'yum', arch: 'x86_64', cores: 2, initSystem: 'systemd'}

const ROOT_PW = "r00t'pw\\x"
const APP_PW = 'app-secret-123'

function ctxFor(facts: HostFacts): StepContext {
  const config = configSchema.parse({
    version: 1,
    hosts: [
      {name: 'lb01', address: '10.0.0.5', privateAddress: '172.16.1.5', roles: ['lb']},
      {name: 'web01', address: '10.0.0.7', privateAddress: '172.16.1.7', roles: ['web']},
      {name: 'web02', address: '10.0.0.8', privateAddress: '172.16.1.8', roles: ['web']},
      {name: 'db01', address: '10.0.0.51', privateAddress: '172.16.1.51', roles: ['db', 'cache']},
    ],
  })
  const cluster = clusterHosts(config)
  return {
    config,
    host: cluster[3] as StepContext['host'],
    cluster,
    facts,
    secrets: new Map([
      ['database.rootPassword', ROOT_PW],
      ['database.appPassword', APP_PW],
    ]),
    artifacts: new Map(),
  }
}

const shape = (actions: Action[]) => actions.map((a) => (a.kind === 'service' ? `service:${a.op}` : a.kind === 'write-file' ? `write:${a.path}` : a.kind === 'run' ? `run:${a.description}` : `upload:${a.path}`))

const fresh: MariadbFacts = {missingPackages: ['mariadb-server', 'mariadb-client'], configSha256: undefined, enabled: false, active: false, sql: undefined}

function done(ctx: StepContext): MariadbFacts {
  const want = mariadbInputs(ctx)
  return {
    missingPackages: [],
    configSha256: sha256Of(want.config),
    enabled: true,
    active: true,
    sql: {
      rootPasswordOk: true,
      rootSocket: want.rootAuth === 'socket-or-password',
      database: true,
      accounts: [
        {host: '172.16.1.7', passwordOk: true, granted: true},
        {host: '172.16.1.8', passwordOk: true, granted: true},
      ],
    },
  }
}

describe('mariadb inputs per platform', () => {
  it('Debian 12 and Ubuntu 24.04: apt, a conf.d file after 50-server.cnf, root keeps unix_socket', () => {
    for (const facts of [debian12, ubuntu2404]) {
      const want = mariadbInputs(ctxFor(facts))
      expect(want.packages).toEqual(['mariadb-server', 'mariadb-client'])
      expect(want.configPath).toBe('/etc/mysql/mariadb.conf.d/60-lnmp-deploy.cnf')
      expect(want.rootAuth).toBe('socket-or-password')
      expect(want.appHosts).toEqual(['172.16.1.7', '172.16.1.8'])
      expect(want.service).toBe('mariadb')
    }
  })
  it('Rocky 9: dnf, /etc/my.cnf.d, MariaDB 10.5 keeps unix_socket too', () => {
    const want = mariadbInputs(ctxFor(rocky9))
    expect(want.installCommand).toBe('dnf install -y mariadb-server mariadb')
    expect(want.configPath).toBe('/etc/my.cnf.d/lnmp-deploy.cnf')
    expect(want.rootAuth).toBe('socket-or-password')
  })
  it('CentOS 7: yum, MariaDB 5.5 has one auth plugin per user, so root gets a password', () => {
    const want = mariadbInputs(ctxFor(centos7))
    expect(want.installCommand).toBe('yum install -y mariadb-server mariadb')
    expect(want.rootAuth).toBe('password')
  })
  it('binds the private address and never looks names up', () => {
    expect(renderMariadbConfig('172.16.1.51')).toContain('[mysqld]\nbind-address = 172.16.1.51\nport = 3306\nskip-name-resolve\n')
  })
  it('the fingerprint follows the passwords without holding them', () => {
    const ctx = ctxFor(debian12)
    const a = mariadbInputs(ctx)
    const b = mariadbInputs({...ctx, secrets: new Map([...ctx.secrets, ['database.appPassword', 'other']])})
    expect(a.secretsDigest).not.toBe(b.secretsDigest)
    expect(JSON.stringify(a)).not.toContain(APP_PW)
    expect(JSON.stringify(a)).not.toContain('r00t')
  })
})

describe('mariadb plan', () => {
  it('fresh Debian 12: install, configure, restart onto the private address, enable, then the SQL (hidden)', () => {
    const ctx = ctxFor(debian12)
    const plan = planMariadb(fresh, mariadbInputs(ctx), ctx)
    expect(shape(plan.actions)).toEqual([
      'run:install mariadb-server mariadb-client',
      'write:/etc/mysql/mariadb.conf.d/60-lnmp-deploy.cnf',
      'service:restart',
      'service:enable-now',
      `write:${SQL_PATH}`,
      "run:set root's password, create database lnmp_app, grant oldboy to 172.16.1.7, 172.16.1.8",
    ])
    expect(plan.actions[2]).toEqual({kind: 'service', service: 'mariadb', op: 'restart', ready: {tcp: {host: '172.16.1.51', port: 3306}}})
    const sqlFile = plan.actions[4] as Extract<Action, {kind: 'write-file'}>
    expect(sqlFile.sensitive).toBe(true)
    expect(sqlFile.mode).toBe(0o600)
    const run = plan.actions[5] as Extract<Action, {kind: 'run'}>
    // the SQL is read from the root-only file, removed whatever mysql's exit: no password on any command line
    expect(run.command).toBe(`mysql --protocol=socket -uroot -N -B < ${SQL_PATH}; rc=$?; rm -f ${SQL_PATH}; exit $rc`)
    for (const a of plan.actions) {
      if (a.kind === 'run') {
        expect(a.command).not.toContain(APP_PW)
        expect(a.description).not.toContain(APP_PW)
      }
    }
  })

  it('the SQL: root keeps unix_socket with the password as alternative; one grant per web host, never %', () => {
    const want = mariadbInputs(ctxFor(debian12))
    const sql = setupSql(want, {rootPassword: ROOT_PW, appPassword: APP_PW}, ['172.16.1.9'])
    expect(sql.split('\n')).toEqual([
      '-- lnmp-deploy: removed right after mysql has read it',
      "ALTER USER 'root'@'localhost' IDENTIFIED VIA unix_socket OR mysql_native_password USING PASSWORD('r00t\\'pw\\\\x');",
      'CREATE DATABASE IF NOT EXISTS `lnmp_app`;',
      "GRANT ALL PRIVILEGES ON `lnmp_app`.* TO 'oldboy'@'172.16.1.7' IDENTIFIED BY 'app-secret-123';",
      "GRANT ALL PRIVILEGES ON `lnmp_app`.* TO 'oldboy'@'172.16.1.8' IDENTIFIED BY 'app-secret-123';",
      "DROP USER 'oldboy'@'172.16.1.9';",
      'FLUSH PRIVILEGES;',
      '',
    ])
    expect(sql).not.toContain("'%'")
  })

  it('CentOS 7: SET PASSWORD, then root\'s password kept in /root/.my.cnf (hidden) for the next run', () => {
    const ctx = ctxFor(centos7)
    const want = mariadbInputs(ctx)
    const plan = planMariadb({...fresh, missingPackages: ['mariadb-server', 'mariadb']}, want, ctx)
    expect(shape(plan.actions)).toEqual([
      'run:install mariadb-server mariadb',
      'write:/etc/my.cnf.d/lnmp-deploy.cnf',
      'service:restart',
      'service:enable-now',
      `write:${SQL_PATH}`,
      "run:set root's password, create database lnmp_app, grant oldboy to 172.16.1.7, 172.16.1.8",
      'write:/root/.my.cnf',
    ])
    expect(setupSql(want, {rootPassword: 'x', appPassword: 'y'}, [])).toContain("SET PASSWORD FOR 'root'@'localhost' = PASSWORD('x');")
    expect(plan.actions.filter((a) => a.kind === 'write-file').every((a) => a.kind === 'write-file' && (a.path.endsWith('.cnf') && !a.path.startsWith('/root') ? !a.sensitive : a.sensitive))).toBe(true)
    expect((plan.actions[5] as Extract<Action, {kind: 'run'}>).command).toContain('--defaults-extra-file=/root/.my.cnf')
  })

  it('Rocky 9 and Ubuntu 24.04 already done: nothing to do, with the reason', () => {
    for (const facts of [rocky9, ubuntu2404]) {
      const ctx = ctxFor(facts)
      const plan = planMariadb(done(ctx), mariadbInputs(ctx), ctx)
      expect(plan).toEqual({actions: [], reason: 'MariaDB on 172.16.1.51:3306, enabled and running; root and oldboy@{172.16.1.7,172.16.1.8} as configured'})
    }
  })

  it('a changed password, a lost socket login or an account for a host that left: only the SQL runs again', () => {
    const ctx = ctxFor(debian12)
    const want = mariadbInputs(ctx)
    const base = done(ctx)
    const sqlOnly = [`write:${SQL_PATH}`, "run:set root's password, create database lnmp_app, grant oldboy to 172.16.1.7, 172.16.1.8"]
    const sql = base.sql as NonNullable<MariadbFacts['sql']>
    expect(shape(planMariadb({...base, sql: {...sql, accounts: [{host: '172.16.1.7', passwordOk: false, granted: true}, sql.accounts[1]!]}}, want, ctx).actions)).toEqual(sqlOnly)
    expect(shape(planMariadb({...base, sql: {...sql, rootSocket: false}}, want, ctx).actions)).toEqual(sqlOnly)
    const stale = planMariadb({...base, sql: {...sql, accounts: [...sql.accounts, {host: '%', passwordOk: true, granted: true}]}}, want, ctx)
    expect(shape(stale.actions)).toEqual([`write:${SQL_PATH}`, "run:set root's password, create database lnmp_app, grant oldboy to 172.16.1.7, 172.16.1.8, drop %"])
    expect((stale.actions[0] as Extract<Action, {kind: 'write-file'}>).content).toContain("DROP USER 'oldboy'@'%';")
  })

  it('stopped but configured: enable and start, waiting for the private address', () => {
    const ctx = ctxFor(debian12)
    const plan = planMariadb({...done(ctx), active: false}, mariadbInputs(ctx), ctx)
    expect(plan.actions).toEqual([{kind: 'service', service: 'mariadb', op: 'enable-now', ready: {tcp: {host: '172.16.1.51', port: 3306}}}])
  })
})

describe('mariadb probe', () => {
  it('asks the server to compare passwords, never to print hashes', () => {
    const want = mariadbInputs(ctxFor(debian12))
    const sql = probeSql(want, {rootPassword: ROOT_PW, appPassword: APP_PW})
    expect(sql).toContain(`PASSWORD(${sqlString(APP_PW)})`)
    expect(sql).not.toMatch(/SELECT\s+(Password|authentication_string)/)
  })
  it('parses the answers; no end marker means the server could not be asked', () => {
    expect(parseSqlFacts('root password socket\naccount 172.16.1.7 password\naccount 172.16.1.9 no-password\ngrant 172.16.1.7\ndatabase lnmp_app\nend\n')).toEqual({
      rootPasswordOk: true,
      rootSocket: true,
      database: true,
      accounts: [
        {host: '172.16.1.7', passwordOk: true, granted: true},
        {host: '172.16.1.9', passwordOk: false, granted: false},
      ],
    })
    expect(parseSqlFacts('ERROR 2002 (HY000): Can\'t connect')).toBeUndefined()
  })
})
