import {describe, expect, it} from 'vitest'

import {messages} from '../../src/messages.js'

describe('messages.rerun', () => {
  it('names the step and the host', () => {
    expect(messages.rerun.command('mariadb', 'db01')).toBe('lnmp-deploy run --step mariadb --host db01')
  })

  it('leaves the host out when the step should run on every host of its roles', () => {
    expect(messages.rerun.command('php-session')).toBe('lnmp-deploy run --step php-session')
  })

  it('is a hint of its own: run: <command>', () => {
    expect(messages.rerun.hint('www-user', 'web01')).toBe('run: lnmp-deploy run --step www-user --host web01')
  })
})
