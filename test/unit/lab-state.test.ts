import {describe, expect, it} from 'vitest'

import {LabError} from '../../src/errors.js'
import {formatStatus, formatUp} from '../../src/lab/format.js'
import type {LabStatus, LabUpResult} from '../../src/lab/lab.js'
import {labPaths} from '../../src/lab/paths.js'
import {DEFAULT_LAB_STATE, type LabState, parseLabState} from '../../src/lab/state.js'

const file = '/var/tmp/lnmp-lab/lab.json'

describe('lab.json', () => {
  it('a lab nobody asked anything of has two web hosts, one store and no shared ccache', () => {
    expect(DEFAULT_LAB_STATE).toEqual({release: 'bookworm', login: 'root', webs: 2, caches: 1, sharedCcache: false})
  })

  it('reads a lab recorded before --web and --shared-ccache as what it was: web01, web02 and the shared ccache', () => {
    expect(parseLabState('{"release":"trixie","login":"deploy","caches":2}', file)).toEqual({
      release: 'trixie',
      login: 'deploy',
      webs: 2,
      caches: 2,
      sharedCcache: true,
    })
    expect(parseLabState('{"release":"bookworm","login":"root"}', file)).toMatchObject({webs: 2, caches: 1, sharedCcache: true})
  })

  it('reads back what it wrote', () => {
    const state: LabState = {release: 'trixie', login: 'root', webs: 23, caches: 1, sharedCcache: false}
    expect(parseLabState(`${JSON.stringify(state)}\n`, file)).toEqual(state)
    expect(parseLabState(JSON.stringify({...state, webs: 1, sharedCcache: true}), file)).toMatchObject({webs: 1, sharedCcache: true})
  })

  it.each([
    ['{"release":"bookworm","login":"root","webs":0}', /records 0 web hosts; a lab has 1 to 23/],
    ['{"release":"bookworm","login":"root","webs":24}', /records 24 web hosts/],
    ['{"release":"bookworm","login":"root","webs":"3"}', /records "3" web hosts/],
    ['{"release":"bookworm","login":"root","sharedCcache":"yes"}', /sharedCcache "yes", not true or false/],
    ['{"release":"sid","login":"root"}', /names no known release and login/],
    ['null', /names no known release and login/],
    ['{', /is not valid JSON/],
  ])('refuses %s', (raw, message) => {
    expect(() => parseLabState(raw, file)).toThrow(LabError)
    expect(() => parseLabState(raw, file)).toThrow(message)
  })
})

describe('what up and status say about the ccache', () => {
  const paths = labPaths({LNMP_LAB_DIR: '/var/tmp/lnmp-lab'})
  const up = (sharedCcache: boolean): LabUpResult => ({
    seconds: 12.3,
    state: {...DEFAULT_LAB_STATE, webs: 3, sharedCcache},
    paths,
    hosts: [{name: 'web03', address: '10.77.0.23', systemd: 'running'}],
  })
  const status = (sharedCcache: boolean): LabStatus => ({
    dir: paths.dir,
    state: {...DEFAULT_LAB_STATE, webs: 3, sharedCcache},
    bridge: 'labbr0 10.77.0.1/24',
    guardRules: 3,
    aptProxyPid: 42,
    config: paths.config,
    knownHosts: paths.knownHosts,
    key: paths.key,
    hosts: [],
    healthy: true,
  })

  it('up says whether the web hosts share one ccache', () => {
    expect(formatUp(up(true))).toContain('lab up in 12.3 s (Debian bookworm, logging in as root, one ccache shared by the web hosts')
    expect(formatUp(up(false))).toContain('lab up in 12.3 s (Debian bookworm, logging in as root, each host its own ccache)')
  })

  it('status says how many web hosts and whether the ccache is shared', () => {
    expect(formatStatus(status(false)).split('\n')).toEqual(
      expect.arrayContaining([
        'hosts      Debian bookworm, config logs in as root, 3 web host(s), 1 session store(s)',
        'ccache     each host its own ccache',
      ]),
    )
    expect(formatStatus(status(true))).toContain('ccache     one ccache shared by the web hosts')
    expect(formatStatus({...status(true), state: undefined})).not.toContain('ccache ')
  })
})
