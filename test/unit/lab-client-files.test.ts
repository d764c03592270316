import {describe, expect, it} from 'vitest'
import YAML from 'yaml'

import {configSchema} from '../../src/config/schema.js'
import {knownHostsLines, labConfig, labConfigYaml, sshConfigText} from '../../src/lab/client-files.js'
import {LabError} from '../../src/errors.js'

const paths = {key: '/var/tmp/lnmp-lab/id_ed25519', knownHosts: '/var/tmp/lnmp-lab/known_hosts', sshConfig: '/var/tmp/lnmp-lab/ssh_config'}
const sha = (c: string): string => c.repeat(64)

describe('knownHostsLines', () => {
  it('writes one line per key for the name, the .lab name and the address', () => {
    expect(
      knownHostsLines([
        {host: {name: 'web01', address: '10.77.0.21'}, keys: ['ssh-ed25519 AAAAC3Nza1', 'ecdsa-sha2-nistp256 AAAAE2Vj1']},
        {host: {name: 'db01', address: '10.77.0.31'}, keys: ['ssh-ed25519 AAAAC3Nza2']},
      ]),
    ).toEqual([
      'web01,web01.lab,10.77.0.21 ssh-ed25519 AAAAC3Nza1',
      'web01,web01.lab,10.77.0.21 ecdsa-sha2-nistp256 AAAAE2Vj1',
      'db01,db01.lab,10.77.0.31 ssh-ed25519 AAAAC3Nza2',
    ])
  })
})

describe('labConfig', () => {
  it('validates against the config schema with the four hosts and their roles', () => {
    const cfg = configSchema.parse(YAML.parse(labConfigYaml(labConfig(paths))))
    expect(cfg.hosts.map((h) => [h.name, h.address, h.roles])).toEqual([
      ['lb01', '10.77.0.11', ['lb']],
      ['web01', '10.77.0.21', ['web']],
      ['web02', '10.77.0.22', ['web']],
      ['db01', '10.77.0.31', ['db', 'cache']],
    ])
    expect(cfg.ssh).toMatchObject({user: 'root', identityFile: paths.key, knownHosts: paths.knownHosts, userKnownHosts: false, useSshConfig: false})
    expect(cfg.artifacts).toEqual({})
  })

  it('carries prepared artifacts and pins the versions they contain', () => {
    const cfg = configSchema.parse(
      labConfig(paths, {
        nginx: {file: '/a/nginx_1.22.1.orig.tar.gz', sha256: sha('a'), version: '1.22.1'},
        php: {file: '/a/php8.2_8.2.32.orig.tar.xz', sha256: sha('b'), version: '8.2.32'},
        memcache: {file: '/a/php-memcache_8.2.orig.tar.gz', sha256: sha('c'), version: '8.2'},
      }),
    )
    expect(cfg.artifacts).toEqual({
      nginx: {file: '/a/nginx_1.22.1.orig.tar.gz', sha256: sha('a')},
      php: {file: '/a/php8.2_8.2.32.orig.tar.xz', sha256: sha('b')},
      memcache: {file: '/a/php-memcache_8.2.orig.tar.gz', sha256: sha('c')},
    })
    expect(cfg.nginx.version).toBe('1.22.1')
    expect(cfg.php.version).toBe('8.2.32')
  })

  it('refuses to write a config that would not load', () => {
    const bad = labConfig(paths, {nginx: {file: '/a/n.tar.gz', sha256: 'not-a-sha', version: '1.22.1'}})
    expect(() => labConfigYaml(bad)).toThrow(LabError)
    expect(() => labConfigYaml(bad)).toThrow(/artifacts\.nginx\.sha256/)
  })
})

describe('sshConfigText', () => {
  it('maps names to addresses and checks host keys strictly against the lab file', () => {
    const text = sshConfigText(paths)
    expect(text).toContain('Host web02 web02.lab\n  HostName 10.77.0.22\n')
    expect(text).toContain('  StrictHostKeyChecking yes\n')
    expect(text).toContain(`  UserKnownHostsFile ${paths.knownHosts}\n`)
    expect(text).toContain(`  IdentityFile ${paths.key}\n`)
    expect(text).not.toMatch(/StrictHostKeyChecking (no|accept-new)/)
  })
})
