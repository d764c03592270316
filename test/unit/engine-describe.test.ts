import {describe, expect, it} from 'vitest'

import {describeAction} from '../../src/engine/describe.js'
import {redact} from '../../src/redact.js'

describe('describeAction', () => {
  it('names a command, its job, and hides its secrets', () => {
    expect(
      describeAction({
        kind: 'run',
        description: 'Create the app user',
        command: "mysql -e \"CREATE USER 'oldboy'@'10.0.0.%' IDENTIFIED BY 's3cret'\"",
        secretValues: ['s3cret'],
      }),
    ).toBe("run: Create the app user: mysql -e \"CREATE USER 'oldboy'@'10.0.0.%' IDENTIFIED BY '***'\"")
    expect(describeAction({kind: 'run', description: 'Build PHP', command: 'make -j4\nmake install', job: 'php-make'})).toBe(
      'run: Build PHP [detached job php-make]: make -j4; make install',
    )
  })

  it('hides run-wide secrets too', () => {
    expect(describeAction({kind: 'run', description: 'x', command: 'echo hunter2'}, ['hunter2'])).toBe('run: x: echo ***')
  })

  it('shortens a long command to one line', () => {
    const line = describeAction({kind: 'run', description: 'd', command: 'x'.repeat(300)})
    expect(line).toBe(`run: d: ${'x'.repeat(99)}…`)
  })

  it('describes a file write without its content', () => {
    expect(
      describeAction({
        kind: 'write-file',
        path: '/etc/nginx/nginx.conf',
        content: 'secret stuff',
        mode: 0o644,
        owner: 'root',
        group: 'root',
        validate: 'nginx -t -c {}',
      }),
    ).toBe('write /etc/nginx/nginx.conf (mode 0644, owner root:root, validated by nginx -t -c {})')
    expect(describeAction({kind: 'write-file', path: '/root/.my.cnf', content: 'p', mode: 0o600, sensitive: true})).toBe(
      'write /root/.my.cnf (mode 0600, content hidden)',
    )
  })

  it('describes an upload and a service action', () => {
    expect(
      describeAction({kind: 'upload', path: '/usr/src/php.tar.xz', localPath: '/cache/php-8.2.29.tar.xz', sha256: 'ab'.repeat(32)}),
    ).toBe('upload php-8.2.29.tar.xz to /usr/src/php.tar.xz (sha256 abababababab…)')
    expect(describeAction({kind: 'service', service: 'memcached', op: 'enable-now', ready: {tcp: {host: '10.0.0.4', port: 11211}}})).toBe(
      'enable and start memcached, then wait for tcp 10.0.0.4:11211',
    )
    expect(describeAction({kind: 'service', service: 'nginx', op: 'reload'})).toBe('reload nginx')
  })
})

describe('redact', () => {
  it('hides the longest secret whole', () => {
    expect(redact('pw=abc abcdef', ['abc', 'abcdef', ''])).toBe('pw=*** ***')
  })
})
