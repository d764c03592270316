import {describe, expect, it} from 'vitest'
import {
  answersFromFlags,
  buildConfig,
  cacheHostStart,
  equivalentCommand,
  type InitFlags,
  phpVersionChoices,
  sessionLayoutChoices,
  sessionLayoutOf,
} from '../../src/services/init-answers.js'
import {clusterHosts} from '../../src/config/hosts.js'
import {parseConfig} from '../../src/config/load.js'
import {renderConfig} from '../../src/config/render.js'
import {ConfigError, ExitCode} from '../../src/errors.js'
import {sessionStores} from '../../src/php/session-stores.js'
import {FACTS} from './steps-support-fixtures.js'

describe('answersFromFlags', () => {
  it('defaults to the tutorial preset, root on port 22 and env var names for the passwords', () => {
    expect(answersFromFlags({})).toEqual({
      preset: 'tutorial',
      hosts: [
        {name: 'lb01', address: '10.0.0.5', privateAddress: '172.16.1.5', roles: ['lb']},
        {name: 'web01', address: '10.0.0.7', privateAddress: '172.16.1.7', roles: ['web']},
        {name: 'web02', address: '10.0.0.8', privateAddress: '172.16.1.8', roles: ['web']},
        {name: 'db01', address: '10.0.0.51', privateAddress: '172.16.1.51', roles: ['db', 'cache']},
      ],
      ssh: {user: 'root', port: 22},
      nginxVersion: '1.26.3',
      phpVersion: '8.4.24',
      cache: {added: [], on: []},
      sessionHandler: 'memcache',
      app: 'session-demo',
      secretEnv: {rootPassword: 'LNMP_DATABASE_ROOT_PASSWORD', appPassword: 'LNMP_DATABASE_APP_PASSWORD'},
    })
  })

  it('a new address drops the preset private address unless one is given', () => {
    const answers = answersFromFlags({host: ['web01=192.168.1.7', 'web02=192.168.1.8'], 'private-address': ['web02=10.1.1.8']})
    expect(answers.hosts[1]).toEqual({name: 'web01', address: '192.168.1.7', roles: ['web']})
    expect(answers.hosts[2]).toEqual({name: 'web02', address: '192.168.1.8', privateAddress: '10.1.1.8', roles: ['web']})
  })

  it('keeps IPv6 addresses in lower case, as the config does', () => {
    const answers = answersFromFlags({host: ['web01=FD00::7'], 'private-address': ['web01=FD00:0:0:1::7']})
    expect(answers.hosts[1]).toEqual({name: 'web01', address: 'fd00::7', privateAddress: 'fd00:0:0:1::7', roles: ['web']})
  })

  it.each([
    [{host: ['web01; rm -rf /=10.0.0.7']}, '--host "web01; rm -rf /": must be a host name (letters, digits, inner dashes)'],
    [{host: ['web09=10.0.0.9']}, '--host web09: preset tutorial has no host "web09" (it has lb01, web01, web02, db01)'],
    [{host: ['web01']}, '--host "web01": must be NAME=ADDRESS'],
    [{host: ['web01=10.0.0.7;reboot']}, '--host "web01=10.0.0.7;reboot": must be a DNS name or an IP address'],
    [
      {host: ['web01=::ffff:10.0.0.7']},
      '--host "web01=::ffff:10.0.0.7": ::ffff:10.0.0.7 is an IPv4-mapped IPv6 address: the db and cache hosts\' firewall would allow it as an IPv6 source, which no IPv4 packet ever matches; write the IPv4 address 10.0.0.7',
    ],
    [
      {'private-address': ['web01=::FFFF:AC10:107']},
      '--private-address "web01=::FFFF:AC10:107": ::FFFF:AC10:107 is an IPv4-mapped IPv6 address',
    ],
    [{preset: 'prod'}, '--preset "prod": must be one of tutorial, lab'],
    [{user: 'Root User'}, '--user "Root User": must be a POSIX user name'],
    [{port: 70000}, '--port "70000": Too big: expected number to be <=65535'],
    [{'php-version': '8.x'}, '--php-version "8.x": must be a version such as 8.2.32'],
    [{'session-handler': 'redis'}, '--session-handler "redis": must be one of memcache, memcached, files'],
    [{'db-app-password-env': 'APP-PW'}, '--db-app-password-env "APP-PW": must be an environment variable name'],
  ])('refuses %j naming the flag', (flags, message) => {
    let error: unknown
    try {
      answersFromFlags(flags)
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(ConfigError)
    expect((error as ConfigError).exitCode).toBe(ExitCode.config)
    expect((error as ConfigError).message).toContain(message)
  })
})

function configError(run: () => unknown): ConfigError {
  try {
    run()
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError)
    expect((error as ConfigError).exitCode).toBe(ExitCode.config)
    return error as ConfigError
  }
  throw new Error('no ConfigError')
}

describe('session stores from flags', () => {
  it('--cache-host adds a host with the cache role only, its private address the same unless --private-address says', () => {
    expect(answersFromFlags({'cache-host': ['cache01=10.0.0.52']}).cache).toEqual({
      added: [{name: 'cache01', address: '10.0.0.52', roles: ['cache']}],
      on: [],
    })
    const answers = answersFromFlags({'cache-host': ['cache01=10.0.0.52', 'cache02=10.0.0.53'], 'private-address': ['cache02=172.16.1.53']})
    expect(answers.cache.added).toEqual([
      {name: 'cache01', address: '10.0.0.52', roles: ['cache']},
      {name: 'cache02', address: '10.0.0.53', privateAddress: '172.16.1.53', roles: ['cache']},
    ])
  })

  it('--cache-on names web hosts of the preset, which keep their own entries', () => {
    const answers = answersFromFlags({'cache-on': ['web02', 'web01']})
    expect(answers.cache).toEqual({added: [], on: ['web02', 'web01']})
    expect(answers.hosts.map((h) => h.roles.join('+'))).toEqual(['lb', 'web', 'web', 'db+cache'])
  })

  it.each<[InitFlags, string]>([
    [{'cache-host': ['cache01']}, '--cache-host "cache01": must be NAME=ADDRESS'],
    [{'cache-host': ['cache01=']}, '--cache-host "cache01=": must be NAME=ADDRESS'],
    [{'cache-host': ['cache_01=10.0.0.52']}, '--cache-host "cache_01": must be a host name (letters, digits, inner dashes)'],
    [{'cache-host': ['cache01=10.0.0.52;reboot']}, '--cache-host "cache01=10.0.0.52;reboot": must be a DNS name or an IP address'],
    [
      {'cache-host': ['web02=10.0.0.9']},
      '--cache-host web02: preset tutorial already has a host "web02"; --cache-host adds a new machine (--cache-on NAME makes a web host store sessions as well)',
    ],
    [{'cache-host': ['db01=10.0.0.9']}, '--cache-host db01: preset tutorial already has a host "db01", and it stores sessions already'],
    [{'cache-host': ['cache01=10.0.0.52', 'cache01=10.0.0.53']}, '--cache-host cache01: given twice'],
    [{'cache-on': ['web09']}, '--cache-on web09: preset tutorial has no host "web09" (it has lb01, web01, web02, db01)'],
    [{'cache-on': ['web 02']}, '--cache-on "web 02": must be a host name (letters, digits, inner dashes)'],
    [{'cache-on': ['web02', 'web02']}, '--cache-on web02: given twice'],
    [{'cache-on': ['db01']}, '--cache-on db01: db01 already stores sessions (it has the cache role)'],
    [
      {'cache-host': ['cache01=10.0.0.52'], 'cache-on': ['cache01']},
      '--cache-on cache01: cache01 already stores sessions (it has the cache role)',
    ],
    [
      {'cache-on': ['lb01']},
      '--cache-on lb01: lb01 is not a web host (roles: lb); --cache-on takes one of web01, web02, --cache-host NAME=ADDRESS adds a separate machine',
    ],
    [
      {'cache-host': ['cache01=10.0.0.52'], 'private-address': ['cache02=172.16.1.53']},
      '--private-address cache02: neither preset tutorial nor --cache-host has a host "cache02" (the hosts are lb01, web01, web02, db01, cache01)',
    ],
  ])('refuses %j naming the flag and the value', (flags, message) => {
    expect(configError(() => answersFromFlags(flags)).message).toBe(message)
  })
})

describe('session stores in the config', () => {
  it.each<[string, InitFlags, string[], string[]]>([
    ["the procedure's layout", {}, ['lb01:lb', 'web01:web', 'web02:web', 'db01:db+cache'], ['db01 172.16.1.51']],
    [
      'a dedicated cache host, after the preset hosts, its private address its address',
      {'cache-host': ['cache01=10.0.0.52']},
      ['lb01:lb', 'web01:web', 'web02:web', 'db01:db+cache', 'cache01:cache'],
      ['db01 172.16.1.51', 'cache01 10.0.0.52'],
    ],
    [
      'a web host as the second store',
      {'cache-on': ['web02']},
      ['lb01:lb', 'web01:web', 'web02:web+cache', 'db01:db+cache'],
      ['web02 172.16.1.8', 'db01 172.16.1.51'],
    ],
    [
      'both at once',
      {'cache-host': ['cache01=10.0.0.52'], 'private-address': ['cache01=172.16.1.52'], 'cache-on': ['web01']},
      ['lb01:lb', 'web01:web+cache', 'web02:web', 'db01:db+cache', 'cache01:cache'],
      ['web01 172.16.1.7', 'db01 172.16.1.51', 'cache01 172.16.1.52'],
    ],
  ])('%s', (_name, flags, hosts, stores) => {
    const config = buildConfig(answersFromFlags(flags))
    expect(config.hosts.map((h) => `${h.name}:${h.roles.join('+')}`)).toEqual(hosts)
    // the stores PHP-FPM is given are the ones asked for, each by its private address
    const given = sessionStores({cluster: clusterHosts(config), config})
    expect(given.map((s) => `${s.host.name} ${s.address}`)).toEqual(stores)
  })

  it('a cache host keeps the private address it was given, and none when it is the same', () => {
    const withPrivate = buildConfig(answersFromFlags({'cache-host': ['cache01=10.0.0.52'], 'private-address': ['cache01=172.16.1.52']}))
    expect(withPrivate.hosts.at(-1)).toEqual({name: 'cache01', address: '10.0.0.52', privateAddress: '172.16.1.52', roles: ['cache']})
    const same = buildConfig(answersFromFlags({'cache-host': ['cache01=10.0.0.52']}))
    expect(same.hosts.at(-1)).toEqual({name: 'cache01', address: '10.0.0.52', roles: ['cache']})
  })

  it('an answer naming a host the preset does not have is a ConfigError', () => {
    const answers = {...answersFromFlags({}), cache: {added: [], on: ['web09']}}
    expect(configError(() => buildConfig(answers)).message).toBe('unknown host "web09": the config has lb01, web01, web02, db01')
  })

  it('the written file says what two stores mean, and loads back as the same config', () => {
    const config = buildConfig(answersFromFlags({preset: 'lab', 'cache-host': ['cache01=10.77.0.32']}))
    const text = renderConfig(config, {schemaRef: 's.json'})
    expect(text).toContain(
      [
        '# memcached on each cache host (db01, cache01), bound to its private address; PHP sessions live on all of them.',
        '# 2 stores: every session is written to each (memcache.session_redundancy) and a read that fails on one',
        '# goes to the next, so one memcached down or restarted empty logs nobody out.',
        'memcached:',
      ].join('\n'),
    )
    expect(parseConfig(text, 'c.yml').config).toEqual(config)
  })

  it('with one store the file says it is the one every login depends on', () => {
    const text = renderConfig(buildConfig(answersFromFlags({})), {schemaRef: 's.json'})
    expect(text).toContain('# memcached on the cache host (db01), bound to its private address; PHP sessions live here.\n')
    expect(text).toContain('# One store: while it is down or restarted empty, nobody stays logged in.')
  })

  it('says when the handler does not keep the copies', () => {
    const config = buildConfig(answersFromFlags({'cache-on': ['web01'], 'session-handler': 'files'}))
    expect(renderConfig(config, {schemaRef: 's.json'})).toContain('# Only session.handler memcache keeps these copies; files does not.\n')
  })
})

describe("the wizard's session layouts", () => {
  it('are the choices, the single store first, each saying what it means', () => {
    expect(sessionLayoutChoices(answersFromFlags({}))).toEqual([
      {
        value: 'single',
        name: "db01 only (the procedure's layout: memcached on db01 is a single point of failure for every login)",
        description: 'one store: while its memcached is down or restarted empty, nobody stays logged in',
      },
      {
        value: 'dedicated',
        name: 'db01 and a dedicated cache host (asks its name and address; default name cache01)',
        description:
          'every session is written to each store and a read that fails on one goes to the next: one memcached down logs nobody out',
      },
      {
        value: 'web',
        name: 'db01 and one of the web hosts (pick which)',
        description:
          'every session is written to each store and a read that fails on one goes to the next: one memcached down logs nobody out',
      },
    ])
  })

  it.each<[InitFlags, string]>([
    [{}, 'single'],
    [{'cache-host': ['cache01=10.0.0.52']}, 'dedicated'],
    [{'cache-on': ['web02']}, 'web'],
    [{'cache-on': ['web01', 'web02']}, 'flags'],
    [{'cache-host': ['cache01=10.0.0.52'], 'cache-on': ['web02']}, 'flags'],
  ])('flags %j start the wizard on %s', (flags, layout) => {
    expect(sessionLayoutOf(answersFromFlags(flags).cache)).toBe(layout)
  })

  it("puts the flags' layout first when it is none of the three, so enter keeps it", () => {
    const choices = sessionLayoutChoices(answersFromFlags({'cache-host': ['cache01=10.0.0.52'], 'cache-on': ['web02']}))
    expect(choices.map((c) => `${c.value}: ${c.name}`).slice(0, 2)).toEqual([
      'flags: as the flags say: web02, db01, cache01',
      "single: db01 only (the procedure's layout: memcached on db01 is a single point of failure for every login)",
    ])
  })

  it("starts a dedicated host from the flags', else the lab's cache01, else cache01 with the address to type", () => {
    expect(cacheHostStart('tutorial', answersFromFlags({'cache-host': ['mc1=10.0.0.60']}))).toEqual({
      name: 'mc1',
      address: '10.0.0.60',
      roles: ['cache'],
    })
    expect(cacheHostStart('lab', answersFromFlags({preset: 'lab'}))).toEqual({name: 'cache01', address: '10.77.0.32', roles: ['cache']})
    expect(cacheHostStart('tutorial', answersFromFlags({}))).toEqual({name: 'cache01', address: '', privateAddress: '', roles: ['cache']})
  })
})

describe('buildConfig', () => {
  it('writes secrets as env references and leaves the rest to schema defaults', () => {
    const config = buildConfig(answersFromFlags({preset: 'lab', user: 'deploy', 'identity-file': '/k/id', 'session-handler': 'memcached'}))
    expect(config.database).toEqual({
      rootPassword: '${env:LNMP_DATABASE_ROOT_PASSWORD}',
      appUser: 'oldboy',
      appPassword: '${env:LNMP_DATABASE_APP_PASSWORD}',
    })
    expect(config.ssh).toMatchObject({user: 'deploy', port: 22, identityFile: '/k/id', knownHosts: 'known_hosts'})
    expect(config.session.handler).toBe('memcached')
    expect(config.hosts.map((h) => h.address)).toEqual(['10.77.0.11', '10.77.0.21', '10.77.0.22', '10.77.0.31'])
    expect(config.hosts[0]).not.toHaveProperty('privateAddress')
  })
})

describe('equivalentCommand', () => {
  it('spells out every answer, quoting what the shell would split', () => {
    const answers = answersFromFlags({preset: 'lab', host: ['web01=10.77.0.99'], 'identity-file': '/home/me/my key', port: 2222})
    expect(equivalentCommand(answers, {bin: 'lnmp-deploy', output: 'lab.yml', connect: true, acceptNewHostKeys: false})).toBe(
      'lnmp-deploy init --yes --preset lab --host lb01=10.77.0.11 --host web01=10.77.0.99 --host web02=10.77.0.22 ' +
        "--host db01=10.77.0.31 --user root --port 2222 --identity-file '/home/me/my key' --nginx-version 1.26.3 " +
        '--php-version 8.4.24 --session-handler memcache --app session-demo ' +
        '--db-root-password-env LNMP_DATABASE_ROOT_PASSWORD --db-app-password-env LNMP_DATABASE_APP_PASSWORD --output lab.yml',
    )
  })

  it('says the session stores with the flags that give them, after the hosts', () => {
    const answers = answersFromFlags({
      'cache-host': ['cache01=10.0.0.52'],
      'private-address': ['cache01=172.16.1.52'],
      'cache-on': ['web02'],
    })
    const command = equivalentCommand(answers, {bin: 'lnmp-deploy', output: 'lnmp-deploy.yml', connect: false, acceptNewHostKeys: false})
    expect(command).toContain(
      ' --host db01=10.0.0.51 --private-address db01=172.16.1.51 --cache-host cache01=10.0.0.52 ' +
        '--private-address cache01=172.16.1.52 --cache-on web02 --user root ',
    )
  })

  it('keeps private addresses, the default output implicit, and says --no-connect', () => {
    const command = equivalentCommand(answersFromFlags({}), {
      bin: 'lnmp-deploy',
      output: 'lnmp-deploy.yml',
      connect: false,
      acceptNewHostKeys: true,
    })
    expect(command).toContain(' --host web01=10.0.0.7 --private-address web01=172.16.1.7 ')
    expect(command).not.toContain('--output')
    expect(command.endsWith(' --no-connect')).toBe(true)
    expect(command).not.toContain('--accept-new-host-keys')
  })
})

describe('phpVersionChoices', () => {
  const today = new Date('2026-12-01T09:00:00Z')

  it('the verified versions, newest first, each with its end-of-life note', () => {
    expect(phpVersionChoices('8.4.24', today)).toEqual([
      {value: '8.4.24', name: '8.4.24 (supported until 2028-12-31)'},
      {value: '8.2.36', name: '8.2.36 (end of life 2026-12-31, in 30 days)'},
      {value: '8.2.32', name: '8.2.32 (end of life 2026-12-31, in 30 days)'},
    ])
  })

  it("the flags' version first when the table does not offer it", () => {
    expect(phpVersionChoices('8.3.14', today).map((c) => c.name)).toEqual([
      '8.3.14 (supported until 2027-12-31)',
      '8.4.24 (supported until 2028-12-31)',
      '8.2.36 (end of life 2026-12-31, in 30 days)',
      '8.2.32 (end of life 2026-12-31, in 30 days)',
    ])
  })

  it('with a host detected, only what builds there', () => {
    expect(phpVersionChoices('8.2.36', today, [FACTS.centos7]).map((c) => c.value)).toEqual(['8.2.36', '8.2.32'])
  })
})
