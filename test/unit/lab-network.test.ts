import {describe, expect, it} from 'vitest'

import {guardRules, subnetConflicts} from '../../src/lab/network.js'

const addrFree = `1: lo    inet 127.0.0.1/8 scope host lo\\       valid_lft forever preferred_lft forever
2: eth0    inet 10.0.2.15/24 brd 10.0.2.255 scope global eth0\\       valid_lft forever preferred_lft forever`
const routesFree = `default via 10.0.2.2 dev eth0
10.0.2.0/24 dev eth0 proto kernel scope link src 10.0.2.15`

describe('subnetConflicts', () => {
  it('finds nothing when no interface or route touches 10.77.0.0/24', () => {
    expect(subnetConflicts(addrFree, routesFree)).toEqual([])
  })

  it('ignores the lab bridge itself (a second `up`)', () => {
    const addr = `${addrFree}\n5: labbr0    inet 10.77.0.1/24 scope global labbr0`
    const routes = `${routesFree}\n10.77.0.0/24 dev labbr0 proto kernel scope link src 10.77.0.1`
    expect(subnetConflicts(addr, routes)).toEqual([])
  })

  it('names the address and the route another interface holds', () => {
    const addr = `${addrFree}\n3: docker9    inet 10.77.0.5/24 scope global docker9`
    const routes = `${routesFree}\n10.77.0.0/24 dev docker9 proto kernel scope link src 10.77.0.5`
    expect(subnetConflicts(addr, routes)).toEqual([
      'address 10.77.0.5/24 on docker9',
      'route 10.77.0.0/24 dev docker9 proto kernel scope link src 10.77.0.5',
    ])
  })

  it('sees a route into the subnet through a gateway', () => {
    expect(subnetConflicts(addrFree, '10.77.0.0/24 via 10.0.2.9 dev eth0')).toEqual(['route 10.77.0.0/24 via 10.0.2.9 dev eth0'])
  })

  it('does not mistake 10.77.00-like neighbours for the subnet', () => {
    expect(subnetConflicts('3: eth1    inet 10.77.1.5/24 scope global eth1', '10.77.1.0/24 dev eth1')).toEqual([])
  })
})

describe('guardRules', () => {
  it('drops everything forwarded on or off the bridge and allows bridge-internal traffic', () => {
    expect(guardRules('labbr0').map((r) => r.join(' '))).toEqual([
      'FORWARD -i labbr0 ! -o labbr0 -j DROP -m comment --comment lnmp-lab-guard',
      'FORWARD -o labbr0 ! -i labbr0 -j DROP -m comment --comment lnmp-lab-guard',
      'FORWARD -i labbr0 -o labbr0 -j ACCEPT -m comment --comment lnmp-lab-guard',
    ])
  })
})
