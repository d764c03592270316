import {describe, expect, it} from 'vitest'

import {
  backupCommand,
  backupPath,
  fileStateCommand,
  parseFileState,
  readinessCommand,
  serviceCommand,
  switchLinkCommand,
  undoCommand,
} from '../../src/engine/actions.js'
import {sha256Of} from '../../src/hash.js'

describe('action command builders', () => {
  it('reads a file state in one command, quoting the path', () => {
    expect(fileStateCommand("/etc/a b'c")).toBe(
      `if [ -e '/etc/a b'"'"'c' ]; then stat -c '%a %U %G' '/etc/a b'"'"'c' && sha256sum < '/etc/a b'"'"'c'; fi`,
    )
  })

  it('parses a file state, and nothing for a missing file', () => {
    expect(parseFileState(`644 root www\n${'a'.repeat(64)}  -\n`)).toEqual({
      mode: 0o644,
      owner: 'root',
      group: 'www',
      sha256: 'a'.repeat(64),
    })
    expect(parseFileState('')).toBeUndefined()
  })

  it('keeps backups in the state folder by path and time, never beside the file (a web root would serve them)', () => {
    const at = new Date('2025-01-31T12:34:56.789Z')
    expect(backupPath('/etc/nginx/nginx.conf', at)).toBe('/var/lib/lnmp-deploy/backups/etc%nginx%nginx.conf.20250131T123456Z')
    expect(backupPath('/application/nginx/html/phpmyadmin-5.2.1-0a1b2c3d/config.inc.php', at, '/tmp/b')).toBe(
      '/tmp/b/application%nginx%html%phpmyadmin-5.2.1-0a1b2c3d%config.inc.php.20250131T123456Z',
    )
  })

  it('backs up into a root-only folder and keeps the newest five of that file', () => {
    expect(backupCommand('/etc/a.conf', '/var/lib/lnmp-deploy/backups/etc%a.conf.20250131T123456Z')).toBe(
      'install -d -m 0700 /var/lib/lnmp-deploy/backups && cp -p /etc/a.conf /var/lib/lnmp-deploy/backups/etc%a.conf.20250131T123456Z' +
        " && ls -1 /var/lib/lnmp-deploy/backups | awk -v p=etc%a.conf. 'index($0, p) == 1' | grep -E '\\.[0-9]{8}T[0-9]{6}Z$' | sort -r | tail -n +6" +
        ' | while read -r f; do rm -f -- /var/lib/lnmp-deploy/backups/"$f"; done',
    )
  })

  it('switches a symlink atomically through a temp name, and says how to undo each change', () => {
    expect(switchLinkCommand('/application/php', '/application/php-8.2.32-1a2b3c4d')).toBe(
      'ln -sfn /application/php-8.2.32-1a2b3c4d /application/.php.lnmp-new && mv -T /application/.php.lnmp-new /application/php',
    )
    expect(undoCommand({kind: 'relink', link: '/application/php', target: '/application/php-8.2.32-00000000'})).toBe(
      'ln -sfn /application/php-8.2.32-00000000 /application/.php.lnmp-new && mv -T /application/.php.lnmp-new /application/php',
    )
    expect(undoCommand({kind: 'relink', link: '/application/php', target: undefined})).toBe('rm -f /application/php')
    expect(
      undoCommand({kind: 'restore-file', path: '/etc/a b.conf', backup: '/var/lib/lnmp-deploy/backups/etc%a b.conf.20250131T123456Z'}),
    ).toBe(
      "cp -p '/var/lib/lnmp-deploy/backups/etc%a b.conf.20250131T123456Z' '/etc/.a b.conf.lnmp-restore' && mv -f '/etc/.a b.conf.lnmp-restore' '/etc/a b.conf'",
    )
    expect(undoCommand({kind: 'remove-file', path: '/etc/new.conf'})).toBe('rm -f /etc/new.conf')
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
