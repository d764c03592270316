import {describe, expect, it} from 'vitest'

import {configSchema} from '../../src/config/schema.js'
import {unbuildableOnDetected} from '../../src/services/init.js'
import {FACTS} from './steps-support-fixtures.js'

/** init reaches the hosts only after its questions: once it has, it says when the chosen PHP will not build there. */
const config = configSchema.parse({
  version: 1,
  hosts: [
    {name: 'lb01', address: '10.0.0.5', roles: ['lb']},
    {name: 'web01', address: '10.0.0.7', roles: ['web']},
    {name: 'db01', address: '10.0.0.51', roles: ['db', 'cache']},
  ],
})
const today = new Date('2026-12-01T00:00:00Z')

describe('the chosen PHP against the detected web hosts', () => {
  it('says nothing when every web host can build it (Debian 12 and 13)', () => {
    expect(unbuildableOnDetected(config, [{host: 'web01', facts: FACTS.debian13}], today)).toEqual([])
    expect(unbuildableOnDetected(config, [{host: 'web01', facts: FACTS.debian12}], today)).toEqual([])
  })

  it('names the web host, its OS and why, and the verified versions that do build there', () => {
    const [warning] = unbuildableOnDetected(config, [{host: 'web01', facts: FACTS.centos7}], today)
    expect(warning).toMatch(/^PHP 8\.4\.24 will not build on web01 \(centos 7\): .*OpenSSL/)
    expect(warning).toMatch(/set php\.version to one that builds on every web host: 8\.2\.\d+ \(end of life 2026-12-31, in 30 days\)/)
  })

  it('ignores hosts that build nothing (lb01 on CentOS 7 is fine)', () => {
    expect(
      unbuildableOnDetected(
        config,
        [
          {host: 'lb01', facts: FACTS.centos7},
          {host: 'web01', facts: FACTS.debian12},
        ],
        today,
      ),
    ).toEqual([])
  })
})
