import {describe, expect, it} from 'vitest'

import {aptProxyConfig} from '../../src/lab/apt-proxy.js'
import {aptOptions} from '../../src/lab/artifacts.js'
import {libraryPackages} from '../../src/lab/phpmyadmin-artifact.js'
import {lxcConfig} from '../../src/lab/hosts.js'

describe('lxcConfig', () => {
  const paths = {bases: '/var/tmp/lnmp-lab/bases', lxc: '/var/tmp/lnmp-lab/lxc', ccache: '/var/tmp/lnmp-lab/ccache'}
  const text = lxcConfig({name: 'web01', address: '10.77.0.21'}, paths, 'bookworm')
  const lines = text.split('\n')

  it("puts the host on an overlay of its release's base with its own delta", () => {
    expect(lines).toContain('lxc.rootfs.path = overlay:/var/tmp/lnmp-lab/bases/bookworm:/var/tmp/lnmp-lab/lxc/web01/delta0')
    expect(lines).toContain('lxc.uts.name = web01')
    expect(lxcConfig({name: 'web01', address: '10.77.0.21'}, paths, 'trixie').split('\n')).toContain(
      'lxc.rootfs.path = overlay:/var/tmp/lnmp-lab/bases/trixie:/var/tmp/lnmp-lab/lxc/web01/delta0',
    )
  })

  it('gives it one veth on the lab bridge with its fixed address and the bridge as gateway', () => {
    expect(lines).toEqual(
      expect.arrayContaining([
        'lxc.net.0.type = veth',
        'lxc.net.0.link = labbr0',
        'lxc.net.0.veth.pair = v-web01',
        'lxc.net.0.hwaddr = 02:77:00:00:00:15',
        'lxc.net.0.ipv4.address = 10.77.0.21/24',
        'lxc.net.0.ipv4.gateway = 10.77.0.1',
      ]),
    )
  })
})

describe('lxcConfig compiler cache', () => {
  const paths = {bases: '/b', lxc: '/l', ccache: '/var/tmp/lnmp-lab/ccache'}
  const shared = {sharedCcache: true}
  it('with --shared-ccache bind-mounts the shared ccache into web hosts only', () => {
    const mount = 'lxc.mount.entry = /var/tmp/lnmp-lab/ccache var/cache/lnmp-deploy/ccache none bind,create=dir 0 0'
    expect(lxcConfig({name: 'web02', address: '10.77.0.22', roles: ['web']}, paths, 'bookworm', shared).split('\n')).toContain(mount)
    expect(lxcConfig({name: 'web14', address: '10.77.0.105', roles: ['web']}, paths, 'bookworm', shared).split('\n')).toContain(mount)
    expect(lxcConfig({name: 'db01', address: '10.77.0.31', roles: ['db', 'cache']}, paths, 'bookworm', shared)).not.toContain(
      'lxc.mount.entry',
    )
  })

  it('without it mounts nothing: each web host keeps its own ccache on its own disk', () => {
    expect(lxcConfig({name: 'web02', address: '10.77.0.22', roles: ['web']}, paths, 'bookworm')).not.toContain('lxc.mount.entry')
    expect(lxcConfig({name: 'web02', address: '10.77.0.22', roles: ['web']}, paths, 'bookworm', {sharedCcache: false})).not.toContain(
      'lxc.mount.entry',
    )
  })
})

describe('aptProxyConfig', () => {
  it('listens on the bridge and loopback only and serves only the Debian mirror', () => {
    const lines = aptProxyConfig({acngDir: '/l/apt-proxy', acngCache: '/l/apt-proxy/cache'}).split('\n')
    expect(lines).toEqual(
      expect.arrayContaining([
        'CacheDir: /l/apt-proxy/cache',
        'Port: 3142',
        'BindAddress: 10.77.0.1 127.0.0.1',
        'PidFile: /l/apt-proxy/log/pid',
        'Remap-debrep: deb.debian.org/debian ; http://deb.debian.org/debian',
        'Remap-secdeb: deb.debian.org/debian-security ; http://deb.debian.org/debian-security',
        'ForceManaged: 1',
      ]),
    )
    expect(lines.filter((l) => l.startsWith('Remap-'))).toHaveLength(2)
  })
})

describe('the artifacts apt setup', () => {
  it('points every piece of apt state at the lab dir and never at the machine sources', () => {
    expect(aptOptions('/l/apt')).toEqual([
      '-o',
      'Dir::Etc::SourceList=/l/apt/sources.list',
      '-o',
      'Dir::Etc::SourceParts=/dev/null',
      '-o',
      'Dir::State::Lists=/l/apt/lists',
      '-o',
      'Dir::Cache=/l/apt/cache',
      '-o',
      'Acquire::Check-Valid-Until=false',
      '-o',
      'Acquire::Languages=none',
      '-o',
      'APT::Sandbox::User=root',
    ])
  })
})

describe('libraryPackages', () => {
  it('keeps the PHP library packages and drops the runtime and non-PHP ones', () => {
    const out = [
      'phpmyadmin',
      '  Depends: php-twig',
      'php-twig',
      'php-cli',
      'php-common',
      'php-mbstring',
      'php-psr-log',
      '<php-json>',
      'php-twig',
      'libjs-jquery',
      'php8.2-cli',
      'ucf',
    ].join('\n')
    expect(libraryPackages(out)).toEqual(['php-psr-log', 'php-twig'])
  })
})
