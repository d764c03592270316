import {describe, expect, it} from 'vitest'

import {inotifyInstancesFor} from '../../src/lab/kernel-limits.js'

describe('inotify instances for the lab', () => {
  it("leaves Debian's default of 128 to the machine and adds room for each host", () => {
    // 25 hosts (lb01, web01..web23, db01) ran out of 128 on a real boot: web16 and web17 came up without sshd
    expect(inotifyInstancesFor(0)).toBe(128)
    expect(inotifyInstancesFor(4)).toBe(192)
    expect(inotifyInstancesFor(25)).toBe(528)
  })
})
