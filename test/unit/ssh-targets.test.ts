import {describe, expect, it} from 'vitest'

import {configSchema, type ConfigInput} from '../../src/config/schema.js'
import type {SshConfigHost} from '../../src/ssh/ssh-config.js'
import {parseJumpSpec, resolveLocalPath, resolveTarget} from '../../src/ssh/targets.js'

const sshConfig: Record<string, SshConfigHost> = {
  'web01.lan': {hostName: '10.0.0.11', user: 'ops', port: 2201, identityFiles: ['/home/me/.ssh/lan'], proxyJump: 'bastion.lan'},
  'bastion.lan': {user: 'jump', identityFiles: []},
}
const lookup = async (alias: string): Promise<SshConfigHost> => sshConfig[alias] ?? {identityFiles: []}

function config(input: Partial<ConfigInput> & Pick<ConfigInput, 'hosts'>) {
  return configSchema.parse({version: 1, ...input})
}

describe('resolveTarget', () => {
  it('fills defaults, resolving relative key paths against the config directory', async () => {
    const cfg = config({ssh: {identityFile: 'keys/id'}, hosts: [{name: 'db01', address: '10.0.0.51', roles: ['db']}]})
    expect(await resolveTarget(cfg, '/proj', 'db01', lookup)).toEqual({
      name: 'db01',
      address: '10.0.0.51',
      port: 22,
      user: 'root',
      identityFiles: ['/proj/keys/id'],
      identityExplicit: true,
    })
  })

  it('takes ~/.ssh/config values over defaults, and the host entry over both', async () => {
    const cfg = config({hosts: [{name: 'web01', address: 'web01.lan', roles: ['web']}]})
    expect(await resolveTarget(cfg, '/proj', 'web01', lookup)).toEqual({
      name: 'web01',
      address: '10.0.0.11',
      port: 2201,
      user: 'ops',
      identityFiles: ['/home/me/.ssh/lan'],
      jump: {name: 'bastion.lan', address: 'bastion.lan', port: 22, user: 'jump', identityFiles: []},
    })
    const own = config({hosts: [{name: 'web01', address: 'web01.lan', port: 22, user: 'deploy', identityFile: '/k', roles: ['web']}]})
    const t = await resolveTarget(own, '/proj', 'web01', lookup)
    expect([t.port, t.user, t.identityFiles]).toEqual([22, 'deploy', ['/k']])
    const off = config({ssh: {useSshConfig: false}, hosts: [{name: 'web01', address: 'web01.lan', roles: ['web']}]})
    expect(await resolveTarget(off, '/proj', 'web01', lookup)).toEqual({
      name: 'web01',
      address: 'web01.lan',
      port: 22,
      user: 'root',
      identityFiles: [],
    })
  })

  it('resolves a jump host by configured name or user@host:port, and refuses loops', async () => {
    const cfg = config({
      ssh: {useSshConfig: false},
      hosts: [
        {name: 'lb01', address: '192.0.2.1', port: 2222, roles: ['lb']},
        {name: 'web01', address: '10.0.0.11', jump: 'lb01', roles: ['web']},
        {name: 'web02', address: '10.0.0.12', jump: 'admin@gw.example.com:2200', roles: ['web']},
      ],
    })
    expect((await resolveTarget(cfg, '/p', 'web01', lookup)).jump).toEqual({
      name: 'lb01',
      address: '192.0.2.1',
      port: 2222,
      user: 'root',
      identityFiles: [],
    })
    expect((await resolveTarget(cfg, '/p', 'web02', lookup)).jump).toEqual({
      name: 'admin@gw.example.com:2200',
      address: 'gw.example.com',
      port: 2200,
      user: 'admin',
      identityFiles: [],
    })
    const loop = config({
      ssh: {useSshConfig: false},
      hosts: [
        {name: 'a1', address: '10.0.0.1', jump: 'b1', roles: ['web']},
        {name: 'b1', address: '10.0.0.2', jump: 'a1', roles: ['web']},
      ],
    })
    await expect(resolveTarget(loop, '/p', 'a1', lookup)).rejects.toThrow('jump hosts loop: a1 -> b1 -> a1')
    await expect(resolveTarget(loop, '/p', 'zz', lookup)).rejects.toThrow('no host named zz in the config')
  })
})

describe('helpers', () => {
  it('parses jump specs', () => {
    expect(parseJumpSpec('gw')).toEqual({host: 'gw'})
    expect(parseJumpSpec('u@10.0.0.1:2222')).toEqual({user: 'u', host: '10.0.0.1', port: 2222})
    expect(() => parseJumpSpec('gw; rm -rf /')).toThrow('must be user@host:port')
  })

  it('resolves local paths', () => {
    expect(resolveLocalPath('~/.ssh/id', '/proj', '/home/me')).toBe('/home/me/.ssh/id')
    expect(resolveLocalPath('keys/id', '/proj', '/home/me')).toBe('/proj/keys/id')
    expect(resolveLocalPath('/abs', '/proj', '/home/me')).toBe('/abs')
  })
})
