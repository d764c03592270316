import {describe, expect, it} from 'vitest'

import {expandSshPath, lookupSshConfig} from '../../src/ssh/ssh-config.js'

const CONFIG = `
Host web01
  HostName 10.0.0.11
  User deploy
  Port 2201
  IdentityFile ~/.ssh/lnmp_ed25519
  ProxyJump bastion

Host web*
  User ignored-first-wins
  IdentityFile %d/.ssh/fallback_%h

Host db01
  ProxyJump none

Host *
  ServerAliveInterval 30
`

describe('lookupSshConfig', () => {
  it('resolves an alias to HostName, User, Port, IdentityFile and ProxyJump, first value winning', () => {
    expect(lookupSshConfig(CONFIG, 'web01', '/home/me')).toEqual({
      hostName: '10.0.0.11',
      user: 'deploy',
      port: 2201,
      identityFiles: ['/home/me/.ssh/lnmp_ed25519', '/home/me/.ssh/fallback_10.0.0.11'],
      proxyJump: 'bastion',
    })
  })

  it('treats ProxyJump none as no jump and an unknown alias as nothing', () => {
    expect(lookupSshConfig(CONFIG, 'db01', '/home/me')).toEqual({identityFiles: []})
    expect(lookupSshConfig(CONFIG, 'lb01', '/home/me')).toEqual({identityFiles: []})
  })

  it('applies wildcard sections', () => {
    expect(lookupSshConfig(CONFIG, 'web02', '/home/me')).toEqual({
      user: 'ignored-first-wins',
      identityFiles: ['/home/me/.ssh/fallback_web02'],
    })
  })
})

describe('expandSshPath', () => {
  it('expands ~ and tokens', () => {
    expect(expandSshPath('~', '/root', 'h')).toBe('/root')
    expect(expandSshPath('~/.ssh/id', '/root', 'h')).toBe('/root/.ssh/id')
    expect(expandSshPath('/k/%h_%%', '/root', 'web01')).toBe('/k/web01_%')
    expect(expandSshPath('rel/~x', '/root', 'h')).toBe('rel/~x')
  })
})
