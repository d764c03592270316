import {describe, expect, it} from 'vitest'

import {backupPath, fileStateCommand, parseFileState, readinessCommand, serviceCommand, sha256Of} from '../../src/engine/actions.js'

describe('action command builders', () => {
  it('reads a file state in one command, quoting the path', () => {
    expect(fileStateCommand("/etc/a b'c")).toBe(
      `if [ -e '/etc/a b'"'"'c' ]; then stat -c '%a %U %G' '/etc/a b'"'"'c' && sha256sum < '/etc/a b'"'"'c'; fi`,
    )
  })

  it('parses a file state, and nothing for a missing file', () => {
    expect(parseFileState(`644 root www\n${'a'.repeat(64)}  -\n`)).toEqual({mode: 0o644, owner: 'root', group: 'www', sha256: 'a'.repeat(64)})
    expect(parseFileState('')).toBeUndefined()
  })

  it('names backups by the time of the change', () => {
    expect(backupPath('/etc/nginx/nginx.conf', new Date('2025-01-31T12:34:56.789Z'))).toBe('/etc/nginx/nginx.conf.lnmp-bak.20250131T123456Z')
  })

  it('builds systemctl commands', () => {
    expect(serviceCommand('nginx', 'reload')).toBe('systemctl reload nginx')
    expect(serviceCommand('memcached', 'enable-now')).toBe('systemctl enable --now memcached')
    expect(serviceCommand('x; rm -rf /', 'restart')).toBe("systemctl restart 'x; rm -rf /'")
  })

  it('checks readiness from the host itself', () => {
    expect(readinessCommand({tcp: {host: '10.0.0.4', port: 11211}})).toBe("timeout 1 bash -c '</dev/tcp/10.0.0.4/11211'")
    expect(readinessCommand({command: 'php-fpm -t'})).toBe('php-fpm -t')
  })

  it('hashes content as sha256sum does', () => {
    expect(sha256Of('abc\n')).toBe('edeaaff3f1774ad2888673770c6d64097e391bc362d7d6fb34982ddf0efd18cb')
  })
})
