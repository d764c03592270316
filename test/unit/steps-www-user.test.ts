import {describe, expect, it} from 'vitest'

import {ExitCode, StepFailedError} from '../../src/errors.js'
import {parseGetent, planWwwUser} from '../../src/steps/www-user.js'

const want = {host: 'web01', user: 'www', group: 'www', uid: 666, gid: 666, shell: '/usr/sbin/nologin'}

describe('www-user plan', () => {
  it('creates group then user on a fresh host, as the procedure does', () => {
    const plan = planWwwUser({}, want)
    expect(plan.actions.map((a) => (a.kind === 'run' ? a.command : a.kind))).toEqual([
      'groupadd -g 666 www',
      'useradd -u 666 -g 666 -M -d /nonexistent -s /usr/sbin/nologin www',
    ])
  })

  it('does nothing when both exist as wanted, and says why', () => {
    const plan = planWwwUser(
      {
        groupByName: {name: 'www', id: 666},
        groupById: {name: 'www', id: 666},
        userByName: {name: 'www', id: 666, gid: 666, shell: '/usr/sbin/nologin'},
        userById: {name: 'www', id: 666, gid: 666, shell: '/usr/sbin/nologin'},
      },
      want,
    )
    expect(plan.actions).toEqual([])
    expect(plan.reason).toBe('user www (666) and group www (666) exist')
  })

  it('fixes only the login shell of an otherwise right user', () => {
    const www = {name: 'www', id: 666, gid: 666, shell: '/bin/bash'}
    const plan = planWwwUser({groupByName: {name: 'www', id: 666}, userByName: www, userById: www}, want)
    expect(plan.actions).toEqual([
      {kind: 'run', description: "set www's shell to /usr/sbin/nologin", command: 'usermod -s /usr/sbin/nologin www'},
    ])
  })

  it('refuses to renumber accounts that exist with other ids', () => {
    expect(() => planWwwUser({groupById: {name: 'games', id: 666}}, want)).toThrow('gid 666 already belongs to group games')
    expect(() =>
      planWwwUser({groupByName: {name: 'www', id: 1001}, userByName: {name: 'www', id: 1001, gid: 1001, shell: '/bin/sh'}}, want),
    ).toThrow(/group www exists with gid 1001.*user www exists with uid 1001/)
  })

  it('refuses with the project error: the host, the step and what to do by hand', () => {
    let error: unknown
    try {
      planWwwUser({userById: {name: 'games', id: 666, gid: 666, shell: '/bin/sh'}}, want)
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(StepFailedError)
    expect(error).toMatchObject({host: 'web01', stepId: 'www-user', exitCode: ExitCode.stepFailed})
    expect((error as StepFailedError).message).toBe(
      'web01: step www-user failed: cannot create www:www 666:666: uid 666 already belongs to user games',
    )
    expect((error as StepFailedError).hint).toContain('by hand')
  })
})

describe('getent parsing', () => {
  it('reads passwd and group lines', () => {
    expect(parseGetent('passwd', 'www:x:666:666::/nonexistent:/usr/sbin/nologin\n')).toEqual({
      name: 'www',
      id: 666,
      gid: 666,
      shell: '/usr/sbin/nologin',
    })
    expect(parseGetent('group', 'www:x:666:\n')).toEqual({name: 'www', id: 666})
    expect(parseGetent('group', '')).toBeUndefined()
  })
})
