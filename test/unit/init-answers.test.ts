import {describe, expect, it} from 'vitest'
import {answersFromFlags, buildConfig, equivalentCommand, phpVersionChoices} from '../../src/services/init-answers.js'
import {ConfigError, ExitCode} from '../../src/errors.js'

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

  it.each([
    [{host: ['web01; rm -rf /=10.0.0.7']}, '--host "web01; rm -rf /": must be a host name (letters, digits, inner dashes)'],
    [{host: ['web09=10.0.0.9']}, '--host web09: preset tutorial has no host "web09" (it has lb01, web01, web02, db01)'],
    [{host: ['web01']}, '--host "web01": must be NAME=ADDRESS'],
    [{host: ['web01=10.0.0.7;reboot']}, '--host "web01=10.0.0.7;reboot": must be a DNS name or an IP address'],
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
  const centos7 = {
    osId: 'centos',
    osVersion: '7',
    osFamily: 'rhel',
    packageManager: 'yum',
    arch: 'x86_64',
    cores: 2,
    initSystem: 'systemd',
  } as const

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
    expect(phpVersionChoices('8.2.36', today, [centos7]).map((c) => c.value)).toEqual(['8.2.36', '8.2.32'])
  })
})
