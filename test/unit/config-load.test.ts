import {mkdtemp, rm, writeFile} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {clusterHosts} from '../../src/config/hosts.js'
import {loadConfig, parseConfig, formatKeyPath} from '../../src/config/load.js'
import {ConfigError, ExitCode} from '../../src/errors.js'

const VALID = `version: 1
hosts:
  - name: web01
    address: 10.0.0.7
    roles: [web]
`

function problemsOf(text: string): string {
  try {
    parseConfig(text, 'c.yml')
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError)
    expect((error as ConfigError).exitCode).toBe(ExitCode.config)
    return (error as Error).message
  }
  throw new Error('expected a ConfigError')
}

describe('parseConfig', () => {
  it('fills in defaults for a minimal config', () => {
    const {config, path: file, dir} = parseConfig(VALID, '/x/y/c.yml')
    expect(file).toBe('/x/y/c.yml')
    expect(dir).toBe('/x/y')
    expect(config.ssh.user).toBe('root')
    expect(config.ssh.port).toBe(22)
    expect(config.prefix).toBe('/application')
    expect(config.hosts).toEqual([{name: 'web01', address: '10.0.0.7', roles: ['web']}])
  })

  it('reports an unknown key at the key itself, with its path', () => {
    expect(problemsOf(`${VALID}colour: blue\n`)).toContain('c.yml:6:1: colour: unknown key')
    const nested = VALID.replace('    roles: [web]\n', '    roles: [web]\n    pasword: x\n')
    expect(problemsOf(nested)).toContain('c.yml:6:5: hosts[0].pasword: unknown key')
  })

  it('reports a wrong type at the value', () => {
    const text = VALID.replace('    roles: [web]\n', '    roles: [web]\n    port: "22"\n')
    expect(problemsOf(text)).toContain('c.yml:6:11: hosts[0].port: expected number, received string')
  })

  it('reports a bad value such as a host name that is shell code', () => {
    const text = VALID.replace('name: web01', 'name: "web01; rm -rf /"')
    expect(problemsOf(text)).toContain('c.yml:3:11: hosts[0].name: must be a host name (letters, digits, inner dashes)')
  })

  it('reports a missing key at the map that lacks it', () => {
    const text = `version: 1\nhosts:\n  - name: web01\n    roles: [web]\n`
    expect(problemsOf(text)).toContain('c.yml:3:5: hosts[0].address: missing (expected string)')
  })

  it('reports duplicate host names at the second one', () => {
    const text = `${VALID}  - name: web01\n    address: 10.0.0.8\n    roles: [web]\n`
    expect(problemsOf(text)).toContain('c.yml:6:11: hosts[1].name: duplicate host name web01')
  })

  it('lists every problem at once, in file order, and counts them', () => {
    const text = `version: 2\nbogus: 1\nhosts:\n  - name: "a b"\n    address: 10.0.0.7\n    roles: [wbe]\n`
    const message = problemsOf(text)
    expect(message.split('\n')).toEqual([
      'c.yml is not a valid lnmp-deploy config (4 problems):',
      '  c.yml:1:10: version: expected 1',
      '  c.yml:2:1: bogus: unknown key',
      '  c.yml:4:11: hosts[0].name: must be a host name (letters, digits, inner dashes)',
      '  c.yml:6:13: hosts[0].roles[0]: expected one of "lb"|"web"|"db"|"cache"',
    ])
  })

  it('reports YAML syntax errors with line and column', () => {
    expect(problemsOf('version: 1\nhosts: [\n  - name: x\n')).toMatch(/c\.yml:\d+:\d+: /)
    expect(problemsOf('version: 1\nversion: 1\nhosts: []\n')).toContain('c.yml:2:1: Map keys must be unique')
  })

  it('reports an empty file at the top level', () => {
    expect(problemsOf('')).toContain('c.yml:1:1: (top level): expected object, received null')
  })

  it('locates key paths for later errors', () => {
    const loaded = parseConfig(VALID, 'c.yml')
    expect(loaded.locate(['hosts', 0, 'address'])).toBe('c.yml:4:14')
    // a key that is not in the file: its nearest parent that is
    expect(loaded.locate(['hosts', 0, 'port'])).toBe('c.yml:3:5')
  })
})

/** A web host and db01 (db and cache), with `extra` keys after them; `hosts` replaces the two. */
function config(
  extra = '',
  hosts = '  - {name: web01, address: 10.0.0.7, roles: [web]}\n  - {name: db01, address: 10.0.0.51, roles: [db, cache]}\n',
): string {
  return `version: 1\nhosts:\n${hosts}${extra}`
}

describe('hostile values: host addresses', () => {
  it('keeps an IPv6 address in lower case, address and privateAddress both, as MariaDB and nginx give it back', () => {
    const text = config(
      '',
      '  - {name: web01, address: FD00::7, privateAddress: "FD00:0:0:1::AB", roles: [web]}\n  - {name: db01, address: "FE80::A:B", roles: [db]}\n',
    )
    const {config: parsed} = parseConfig(text, 'c.yml')
    expect(parsed.hosts[0]).toMatchObject({address: 'fd00::7', privateAddress: 'fd00:0:0:1::ab'})
    expect(parsed.hosts[1]?.address).toBe('fe80::a:b')
    // a private address left out is the address, lower-cased too
    expect(clusterHosts(parsed)[1]?.privateAddress).toBe('fe80::a:b')
  })

  it('leaves IPv4 addresses and DNS names as written', () => {
    const text = config('', '  - {name: web01, address: Web01.Example.COM, privateAddress: 172.16.1.7, roles: [web]}\n')
    expect(parseConfig(text, 'c.yml').config.hosts[0]).toMatchObject({address: 'Web01.Example.COM', privateAddress: '172.16.1.7'})
  })

  it.each([
    ['address', '::ffff:10.0.0.7', '10.0.0.7'],
    ['address', '::FFFF:AC10:107', '172.16.1.7'],
    ['privateAddress', '0:0:0:0:0:ffff:172.16.1.7', '172.16.1.7'],
    ['privateAddress', '::ffff:ac10:0107', '172.16.1.7'],
  ])('refuses an IPv4-mapped IPv6 %s (%s), naming the IPv4 address to write', (key, value, ipv4) => {
    const host = key === 'address' ? `address: "${value}"` : `address: 10.0.0.7, privateAddress: "${value}"`
    const message = problemsOf(config('', `  - {name: web01, ${host}, roles: [web]}\n`))
    expect(message).toContain(
      `hosts[0].${key}: ${value} is an IPv4-mapped IPv6 address: the db and cache hosts' firewall would allow it as an IPv6 source, which no IPv4 packet ever matches; write the IPv4 address ${ipv4}`,
    )
  })

  it('points at the mapped address in the file', () => {
    const text = config('', '  - name: web01\n    address: 10.0.0.7\n    privateAddress: "::ffff:172.16.1.7"\n    roles: [web]\n')
    expect(problemsOf(text)).toContain('c.yml:5:21: hosts[0].privateAddress: ::ffff:172.16.1.7 is an IPv4-mapped IPv6 address')
  })

  it('accepts IPv6 addresses that are not mapped ones, an IPv4 tail included', () => {
    const text = config('', '  - {name: web01, address: "::1", privateAddress: "64:ff9b::172.16.1.7", roles: [web]}\n')
    expect(parseConfig(text, 'c.yml').config.hosts[0]).toMatchObject({address: '::1', privateAddress: '64:ff9b::172.16.1.7'})
  })

  it('refuses a value with a colon that is no IPv6 address', () => {
    expect(problemsOf(config('', '  - {name: web01, address: "fd00:1:2", roles: [web]}\n'))).toContain(
      'hosts[0].address: fd00:1:2 is not an IPv6 address',
    )
  })
})

describe('hostile values: php.fpmListen', () => {
  it.each(['127.0.0.1:1', '127.0.0.1:9000', '127.0.0.1:65535', '/run/php-fpm.sock'])('accepts %s', (listen) => {
    expect(parseConfig(config(`php: {fpmListen: "${listen}"}\n`), 'c.yml').config.php.fpmListen).toBe(listen)
  })

  it.each([
    ['127.0.0.1:0', 'php.fpmListen: 127.0.0.1:0: port 0 is out of range: a port is 1 to 65535'],
    ['127.0.0.1:65536', 'php.fpmListen: 127.0.0.1:65536: port 65536 is out of range: a port is 1 to 65535'],
    ['127.0.0.1:9999999999', 'php.fpmListen: 127.0.0.1:9999999999: port 9999999999 is out of range: a port is 1 to 65535'],
    ['127.0.0.1:09000', 'php.fpmListen: 127.0.0.1:09000: write the port without leading zeros, as 127.0.0.1:9000'],
    ['127.0.0.1:80', "php.fpmListen: 127.0.0.1:80: 80 is nginx's port on every web host; PHP-FPM could not listen there"],
    ['127.0.0.1:22', "php.fpmListen: 127.0.0.1:22: 22 is SSH's port; sshd listens on it, so PHP-FPM could not"],
    ['10.0.0.7:9000', 'php.fpmListen: must be 127.0.0.1:PORT or the absolute path of a unix socket'],
  ])('refuses %s', (listen, message) => {
    expect(problemsOf(config(`php: {fpmListen: "${listen}"}\n`))).toContain(`c.yml:5:18: ${message}`)
  })

  it('refuses the SSH port the config gives', () => {
    expect(problemsOf(config('ssh: {port: 2222}\nphp: {fpmListen: "127.0.0.1:2222"}\n'))).toContain(
      'php.fpmListen: 127.0.0.1:2222: 2222 is the SSH port (ssh.port); sshd listens on it, so PHP-FPM could not',
    )
  })
})

describe('hostile values: memcached.port', () => {
  const SSH_SHUT_OUT =
    "the db and cache hosts' firewall lets only the web hosts reach memcached's port, so it would shut SSH out for every other host, this machine included; choose another port, such as memcached's own 11211"

  it.each([
    ['memcached: {port: 22}\n', `c.yml:5:19: memcached.port: 22 is SSH's port: ${SSH_SHUT_OUT}`],
    ['ssh: {port: 2222}\nmemcached: {port: 2222}\n', `c.yml:6:19: memcached.port: 2222 is the SSH port (ssh.port): ${SSH_SHUT_OUT}`],
    [
      'memcached: {port: 3306}\n',
      "c.yml:5:19: memcached.port: 3306 is MariaDB's port: memcached and MariaDB must not share one (db01 runs both); choose another port, such as memcached's own 11211",
    ],
  ])('refuses %j', (extra, message) => {
    expect(problemsOf(config(extra))).toContain(message)
  })

  it("refuses a host's own SSH port, naming the host", () => {
    const hosts =
      '  - {name: web01, address: 10.0.0.7, roles: [web]}\n  - {name: db01, address: 10.0.0.51, port: 2200, roles: [db, cache]}\n'
    expect(problemsOf(config('memcached: {port: 2200}\n', hosts))).toContain(
      `memcached.port: 2200 is db01's SSH port (hosts[1].port): ${SSH_SHUT_OUT}`,
    )
  })

  it("refuses MariaDB's port with no host running both", () => {
    const hosts = '  - {name: web01, address: 10.0.0.7, roles: [web]}\n  - {name: cache01, address: 10.0.0.52, roles: [cache]}\n'
    expect(problemsOf(config('memcached: {port: 3306}\n', hosts))).toContain(
      "memcached.port: 3306 is MariaDB's port: memcached and MariaDB must not share one; choose another port",
    )
  })

  it("refuses nginx's port 80 only where a host runs both", () => {
    expect(parseConfig(config('memcached: {port: 80}\n'), 'c.yml').config.memcached.port).toBe(80)
    const hosts = '  - {name: lb01, address: 10.0.0.5, roles: [lb, cache]}\n  - {name: web01, address: 10.0.0.7, roles: [web, cache]}\n'
    expect(problemsOf(config('memcached: {port: 80}\n', hosts))).toContain(
      "memcached.port: 80 is nginx's port, and lb01, web01 run nginx and memcached both; choose another port, such as memcached's own 11211",
    )
  })

  it("refuses PHP-FPM's port on a web host that stores sessions too", () => {
    expect(parseConfig(config('memcached: {port: 9000}\n'), 'c.yml').config.memcached.port).toBe(9000)
    const hosts = '  - {name: web01, address: 10.0.0.7, roles: [web, cache]}\n'
    expect(problemsOf(config('memcached: {port: 9000}\n', hosts))).toContain(
      "memcached.port: 9000 is PHP-FPM's port (php.fpmListen), and web01 runs PHP-FPM and memcached both; choose another port, such as memcached's own 11211",
    )
  })
})

describe('hostile values: ./configure flags', () => {
  const PREFIX = "lnmp-deploy sets the prefix itself, a directory per build under the config's prefix; leave it out"
  const AS_ROOT =
    'the workers would default to running as root; lnmp-deploy builds them for the www user and group (uid/gid 666), leave it out'
  const ROOT_GROUP =
    "the workers would default to root's group; lnmp-deploy builds them for the www user and group (uid/gid 666), leave it out"

  it("refuses nginx.extraFlags that move the prefix or make root the workers' user or group", () => {
    const message = problemsOf(
      config('nginx: {extraFlags: [--with-http_v2_module, --prefix=/usr, --user=root, --group=root, --user=0, --user=www]}\n'),
    )
    expect(message).toContain(`c.yml:5:45: nginx.extraFlags[1]: --prefix=/usr: ${PREFIX}`)
    expect(message).toContain(`nginx.extraFlags[2]: --user=root: ${AS_ROOT}`)
    expect(message).toContain(`nginx.extraFlags[3]: --group=root: ${ROOT_GROUP}`)
    expect(message).toContain(`nginx.extraFlags[4]: --user=0: ${AS_ROOT}`)
    expect(message).toContain('(4 problems)')
  })

  it('refuses the same in php.flags, and the conf.d scan dir the session settings are read from', () => {
    const message = problemsOf(
      config(
        'php: {flags: [--enable-fpm, --prefix=/usr/local, --with-fpm-user=root, --with-fpm-group=0, --with-config-file-scan-dir=/etc/php, --with-fpm-user=www]}\n',
      ),
    )
    expect(message).toContain(`php.flags[1]: --prefix=/usr/local: ${PREFIX}`)
    expect(message).toContain(`php.flags[2]: --with-fpm-user=root: ${AS_ROOT}`)
    expect(message).toContain(`php.flags[3]: --with-fpm-group=0: ${ROOT_GROUP}`)
    expect(message).toContain(
      "php.flags[4]: --with-config-file-scan-dir=/etc/php: lnmp-deploy sets it to the build's etc/conf.d, where the session and memcache settings go; leave it out",
    )
    expect(message).toContain('(4 problems)')
  })

  it('keeps the other flags', () => {
    const {config: parsed} = parseConfig(
      config('nginx: {extraFlags: [--user=www, --with-cc-opt=-O2]}\nphp: {flags: [--enable-fpm, --with-fpm-user=www]}\n'),
      'c.yml',
    )
    expect(parsed.nginx.extraFlags).toEqual(['--user=www', '--with-cc-opt=-O2'])
    expect(parsed.php.flags).toEqual(['--enable-fpm', '--with-fpm-user=www'])
  })
})

describe('formatKeyPath', () => {
  it('reads like code', () => {
    expect(formatKeyPath(['hosts', 2, 'roles', 0])).toBe('hosts[2].roles[0]')
    expect(formatKeyPath(['database', 'appPassword'])).toBe('database.appPassword')
    expect(formatKeyPath([])).toBe('(top level)')
  })
})

describe('loadConfig', () => {
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'lnmp-config-load-'))
  })
  afterAll(async () => {
    await rm(dir, {recursive: true, force: true})
  })

  it('reads a file and resolves its path and directory', async () => {
    const file = path.join(dir, 'lnmp-deploy.yml')
    await writeFile(file, VALID)
    const loaded = await loadConfig(file)
    expect(loaded.path).toBe(file)
    expect(loaded.dir).toBe(dir)
    expect(loaded.config.hosts[0]?.name).toBe('web01')
  })

  it('names the file and suggests init when it is missing', async () => {
    const file = path.join(dir, 'nope.yml')
    const error = await loadConfig(file).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ConfigError)
    expect((error as ConfigError).message).toBe(`${file}: no such config file`)
    expect((error as ConfigError).hint).toContain('lnmp-deploy init')
  })

  it('names the absolute file in validation errors', async () => {
    const file = path.join(dir, 'bad.yml')
    await writeFile(file, `${VALID}extra: 1\n`)
    await expect(loadConfig(file)).rejects.toThrow(`${file}:6:1: extra: unknown key`)
  })
})
