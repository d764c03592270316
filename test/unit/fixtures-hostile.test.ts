import {spawnSync} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {sha256Of} from '../../src/hash.js'
import {renderPhpMyAdminConfig} from '../../src/steps/app.js'
import {dbFirewall} from '../../src/steps/db-firewall.js'
import {SQL_PATH, mariadbInputs, setupSql} from '../../src/steps/mariadb.js'
import {memcached} from '../../src/steps/memcached.js'
import {type FixtureAction, type StepFixture, describeStepFixtures, fixtureContext, stepFixtureFolder} from './step-fixtures.js'

/**
 * Hostile values the config schema still accepts: the plan cases named hostile-*.json, in each step's
 * fixture folder, pin the exact commands such a value reaches. db-firewall and memcached have no fixture runner of
 * their own yet, so their folders run here. The tests below run some of those commands in bash with the programs
 * they call replaced by recorders: each hostile value must arrive as exactly one argument, as written.
 */
describeStepFixtures(dbFirewall, stepFixtureFolder('db-firewall'))
describeStepFixtures(memcached, stepFixtureFolder('memcached'))

const HOSTILE_URL = 'https://mirror.example/it\'s;$(reboot)&`id`|"x"\\y z/'
const SERVER_NAME = `0--9.x${'0-'.repeat(30)}yz.a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.Z-9.example`
const APP_USER = '_-oldboy_app-user-0123456789_-xz'
const BLOWFISH_SECRET = 'test-blowfish-secret-0123456789abcdef'
const MARIADB_SECRETS = {'database.rootPassword': "test-root-pw'\\x", 'database.appPassword': 'test-app-pw'}

function hostileCase(step: string, file: string): StepFixture {
  return JSON.parse(readFileSync(join(stepFixtureFolder(step), file), 'utf8')) as StepFixture
}

/** The strings of a case's actions that a shell runs: run commands, validations, readiness commands. */
function commandsOf(actions: FixtureAction[]): string[] {
  return actions.flatMap((a) => {
    const ready = a.ready as {command?: string} | undefined
    return [a.command, a.validate, ready?.command].filter((c): c is string => typeof c === 'string')
  })
}

/**
 * Runs `command` in bash with each of `programs` replaced by a function that records its argv and succeeds, and
 * `seq`/`sleep` cut short (a waiting loop goes round once); returns each recorded call as [program, ...args]. A
 * recorder writes twice, so no two of `programs` may run at once (two stages of one pipeline).
 */
function recordedCalls(command: string, programs: string[]): string[][] {
  const dir = mkdtempSync(join(tmpdir(), 'lnmp-hostile-'))
  try {
    const rec = join(dir, 'calls')
    const stubs = [
      "seq() { printf '1\\n'; }",
      'sleep() { :; }',
      ...programs.map((p) => `${p}() { printf '\\001%s' ${p} >> "$REC"; [ $# -eq 0 ] || printf '\\000%s' "$@" >> "$REC"; }`),
    ].join('\n')
    // stdin closed and --norc: bash reads no ~/.bashrc, as it would with a socket for stdin
    const r = spawnSync('bash', ['--norc', '-c', `${stubs}\n${command}`], {
      env: {PATH: process.env.PATH ?? '/usr/bin:/bin', REC: rec},
      stdio: ['ignore', 'pipe', 'pipe'],
      encoding: 'utf8',
    })
    if (r.error) throw r.error
    let text = ''
    try {
      text = readFileSync(rec, 'utf8')
    } catch {
      return []
    }
    return text
      .split('\u0001')
      .filter(Boolean)
      .map((call) => call.split('\u0000'))
  } finally {
    rmSync(dir, {recursive: true, force: true})
  }
}

describe('hostile values reach a command as one argument each', () => {
  it('nginx-source: the hostile artifacts.nginx.url is curl’s one url argument, unchanged', () => {
    const c = hostileCase('nginx-source', 'hostile-url-debian12.json')
    const url = c.config?.artifacts?.nginx?.url ?? ''
    expect(url.startsWith(HOSTILE_URL)).toBe(true)
    const download = commandsOf(c.expected.actions).filter((cmd) => cmd.includes('curl '))
    expect(download).toHaveLength(1)
    const calls = recordedCalls(download[0] ?? '', ['mkdir', 'curl', 'sha256sum', 'rm', 'mv'])
    const curl = calls.find((call) => call[0] === 'curl')
    expect(curl).toEqual(['curl', '-fsSL', '--retry', '3', '-o', '/var/lib/lnmp-deploy/src/nginx-1.26.3.tar.gz.download', url])
  })

  it('app: the hostile phpMyAdmin url is curl’s one url argument; the tarball and its directory are single words', () => {
    const c = hostileCase('app', 'hostile-phpmyadmin-url-prefix-debian12.json')
    const url = c.config?.artifacts?.phpmyadmin?.url ?? ''
    expect(url.startsWith(HOSTILE_URL)).toBe(true)
    const commands = commandsOf(c.expected.actions)
    const curl = recordedCalls(commands.find((cmd) => cmd.includes('curl ')) ?? '', ['mkdir', 'curl', 'sha256sum', 'rm', 'mv']).find(
      (call) => call[0] === 'curl',
    )
    expect(curl?.at(-1)).toBe(url)
    const tar = recordedCalls(commands.find((cmd) => cmd.includes('tar -xf')) ?? '', ['rm', 'mkdir', 'tar', 'chown', 'mv']).find(
      (call) => call[0] === 'tar',
    )
    expect(tar).toEqual([
      'tar',
      '-xf',
      '/var/lib/lnmp-deploy/src/phpMyAdmin-5.2.1-all-languages.tar.xz',
      '-C',
      '/-rf/../opt/lnmp_2.0-A/nginx/html/phpmyadmin-5.2.1-ba5eba11.lnmp-unpack',
      '--strip-components=1',
      '--no-same-owner',
    ])
    // the hidden config.inc.php names the IPv6 database host as a PHP string literal; the case pins it by sha256
    const configInc = renderPhpMyAdminConfig('fd00::51', BLOWFISH_SECRET)
    expect(configInc).toContain("$cfg['Servers'][1]['host'] = 'fd00::51';")
    const written = c.expected.actions.find((a) => a.kind === 'write-file' && String(a.path).endsWith('/config.inc.php'))
    expect(written?.contentSha256).toBe(sha256Of(configInc))
  })

  it('app: the reload waits on a GET whose Host header is the whole hostile server name', () => {
    const c = hostileCase('app', 'hostile-prefix-servername-socket-debian12.json')
    expect(c.config?.app?.serverName).toBe(SERVER_NAME)
    const ready = commandsOf(c.expected.actions).find((cmd) => cmd.includes('http-get'))
    const get = recordedCalls(ready ?? '', ['pgrep', 'timeout']).find((call) => call[0] === 'timeout')
    expect(get?.slice(0, 4)).toEqual(['timeout', '5', 'bash', '-c'])
    expect(get?.slice(5)).toEqual(['http-get', '127.0.0.1', '80', '/', SERVER_NAME])
  })

  it('lb-upstream: each IPv6 backend’s health check gets the address and the hostile server name as one argument each', () => {
    const c = hostileCase('lb-upstream', 'hostile-servername-ipv6-backends-debian12.json')
    const checks = commandsOf(c.expected.actions).filter((cmd) => cmd.includes('http-get'))
    const gets = checks.map((cmd) =>
      recordedCalls(cmd, ['timeout'])
        .find((call) => call[0] === 'timeout')
        ?.slice(5),
    )
    expect(gets).toEqual([
      ['http-get', 'fd00:0:0:1::7', '80', '/', SERVER_NAME],
      ['http-get', 'fd00::172.16.1.8', '80', '/', SERVER_NAME],
    ])
  })

  it('db-firewall on firewalld: each rich rule, double quotes and IPv6 address included, is one firewall-cmd argument', () => {
    const c = hostileCase('db-firewall', 'hostile-ipv6-port-firewalld-rocky9.json')
    const args = commandsOf(c.expected.actions)
      .filter((cmd) => cmd.includes('--add-rich-rule'))
      .map((cmd) => recordedCalls(cmd, ['firewall-cmd'])[0])
    expect(args).toEqual(
      ['fd00:0:0:1::7', 'fd00::172.16.1.8'].flatMap((address) =>
        [65535, 3306].map((port) => [
          'firewall-cmd',
          '--permanent',
          `--add-rich-rule=rule family="ipv6" source address="${address}" port port="${port}" protocol="tcp" accept`,
        ]),
      ),
    )
  })

  it('mariadb: the longest app user and the IPv6 web hosts reach the hidden setup SQL only as SQL string literals', () => {
    const c = hostileCase('mariadb', 'hostile-appuser-ipv6-debian12.json')
    expect(c.config?.database?.appUser).toBe(APP_USER)
    const ctx = fixtureContext(c, MARIADB_SECRETS)
    const want = mariadbInputs(ctx)
    const sql = setupSql(
      want,
      {rootPassword: MARIADB_SECRETS['database.rootPassword'], appPassword: MARIADB_SECRETS['database.appPassword']},
      [],
    )
    // the case pins the same text by its sha256: the SQL checked here is the SQL the plan writes
    const written = c.expected.actions.find((a) => a.kind === 'write-file' && a.path === SQL_PATH)
    expect(written?.contentSha256).toBe(sha256Of(sql))
    const grants = sql.split('\n').filter((l) => l.startsWith('GRANT'))
    expect(grants.map((l) => l.replace(/ IDENTIFIED BY .*/, ''))).toEqual([
      `GRANT ALL PRIVILEGES ON \`lnmp_app\`.* TO '${APP_USER}'@'fd00:0:0:1::7'`,
      `GRANT ALL PRIVILEGES ON \`lnmp_app\`.* TO '${APP_USER}'@'fd00::172.16.1.8'`,
    ])
  })
})
