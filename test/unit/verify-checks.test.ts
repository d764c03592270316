import {execFileSync} from 'node:child_process'

import {describe, expect, it} from 'vitest'

import type {ClusterHost} from '../../src/engine/step.js'
import {judgeClosed, tcpOpen} from '../../src/verify/closed-ports.js'
import {judgeServices, servicesFor} from '../../src/verify/services.js'
import {judgeLeftovers, leftoverCommand, parseLeftovers} from '../../src/verify/web-root-clean.js'

describe('closed-ports', () => {
  const db01: ClusterHost = {name: 'db01', address: '10.77.0.31', privateAddress: '10.77.0.31', roles: ['db', 'cache']}
  const ports = [
    {service: 'memcached' as const, port: 11211},
    {service: 'mariadb' as const, port: 3306},
  ]

  it('really tells an open port from a closed one from this machine', async () => {
    const {createServer} = await import('node:net')
    const server = createServer().listen(0, '127.0.0.1')
    await new Promise((r) => server.once('listening', r))
    const open = (server.address() as {port: number}).port
    try {
      expect([await tcpOpen('127.0.0.1', open), await tcpOpen('127.0.0.1', 1)]).toEqual([true, false])
    } finally {
      server.close()
    }
  })

  it('fails the port open to lb01 with the firewall hint, passes the closed one', () => {
    const rows = judgeClosed(
      db01,
      'lb01',
      ports,
      new Map([
        ['10.77.0.31:11211', true],
        ['10.77.0.31:3306', false],
      ]),
      'cmd',
    )
    expect(rows).toEqual([
      {
        name: 'memcached-closed-to-lb01',
        ok: false,
        detail: '10.77.0.31:11211 (memcached) is reachable from lb01, which is not a web host',
        command: 'cmd',
        hint: 'only the web hosts may reach memcached on db01: run lnmp-deploy run --step db-firewall --host db01, and look for a rule that opens 11211',
      },
      {name: 'mariadb-closed-to-lb01', ok: true, detail: '10.77.0.31:3306 closed to lb01', command: 'cmd'},
    ])
  })

  it('fails when the probe said nothing (never passes on silence)', () => {
    expect(judgeClosed(db01, 'lb01', ports, new Map(), 'cmd').every((r) => !r.ok)).toBe(true)
  })
})

describe('web-root-clean', () => {
  it('parses the roots and the files found', () => {
    const out = '@@roots@@\n/application/nginx/html\n/var/www/app\n@@roots@@\n/var/www/app/info.php\n/var/www/app/test_memcache.php\n'
    expect(parseLeftovers(out)).toEqual({
      roots: ['/application/nginx/html', '/var/www/app'],
      files: ['/var/www/app/info.php', '/var/www/app/test_memcache.php'],
    })
    expect(parseLeftovers('@@roots@@\n/var/www/app\n@@roots@@\n')).toEqual({roots: ['/var/www/app'], files: []})
  })

  it('fails with the files and how to remove them; passes a clean root; fails when no root is known', () => {
    expect(judgeLeftovers('web01', {roots: ['/r'], files: ['/r/info.php']}, 'c')).toMatchObject({
      ok: false,
      detail: 'left in a web root: /r/info.php',
      hint: expect.stringContaining('rm /r/info.php'),
    })
    expect(judgeLeftovers('web01', {roots: ['/r'], files: []}, 'c')).toMatchObject({ok: true, detail: 'none in /r'})
    expect(judgeLeftovers('web01', {roots: [], files: []}, 'c').ok).toBe(false)
  })

  it('finds leftovers, backups, dumps and phpinfo() callers in the roots a (fake) nginx -T names (nothing deeper), and any PHP but a running probe in the probe folder', async () => {
    const {mkdtempSync, mkdirSync, writeFileSync, chmodSync, rmSync, utimesSync, symlinkSync} = await import('node:fs')
    const dir = mkdtempSync('/tmp/lnmp-verify-roots-')
    // as the app step deploys it: the root nginx names is a symlink to a versioned directory
    const root = `${dir}/app`
    mkdirSync(`${dir}/app-5.2.1/sub/deeper`, {recursive: true})
    symlinkSync(`${dir}/app-5.2.1`, root)
    mkdirSync(`${dir}/nginx/sbin`, {recursive: true})
    writeFileSync(`${root}/index.php`, '<?php echo 1;')
    writeFileSync(`${root}/info.php`, '<?php phpinfo();')
    writeFileSync(`${root}/sub/diag.php`, '<?php phpinfo ( INFO_ALL );')
    writeFileSync(`${root}/sub/deeper/Controller.php`, '<?php phpinfo();')
    // backups and dumps: served as text, secrets and all
    writeFileSync(`${root}/config.inc.php.lnmp-bak.20250131T123456Z`, "<?php $cfg['blowfish_secret'] = 'old';")
    writeFileSync(`${root}/dump.sql`, 'INSERT INTO users VALUES (1);')
    writeFileSync(`${root}/index.php~`, '<?php echo 0;')
    // an app's own schema files one level down (phpMyAdmin ships sql/create_tables.sql) are not leftovers
    writeFileSync(`${root}/sub/create_tables.sql`, 'CREATE TABLE pma__bookmark (id int);')
    mkdirSync(`${dir}/probes`)
    writeFileSync(`${dir}/probes/lnmp-verify-0123456789abcdef.php`, '<?php // a running verify')
    writeFileSync(`${dir}/probes/lnmp-verify-dead.php`, '<?php // left by a verify that died')
    utimesSync(`${dir}/probes/lnmp-verify-dead.php`, new Date(Date.now() - 3_600_000), new Date(Date.now() - 3_600_000))
    writeFileSync(`${dir}/probes/fpm-ini.php`, '<?php echo ini_get("session.save_path");')
    writeFileSync(`${dir}/nginx/sbin/nginx`, `#!/bin/sh\nprintf '  server {\\n    root ${root};\\n    root "html";\\n  }\\n'\n`)
    chmodSync(`${dir}/nginx/sbin/nginx`, 0o755)
    try {
      const out = execFileSync('bash', ['-c', leftoverCommand(`${dir}/nginx/sbin/nginx`, `${dir}/probes`)], {encoding: 'utf8'})
      expect(parseLeftovers(out)).toEqual({
        roots: [root, 'html'],
        files: [
          `${root}/config.inc.php.lnmp-bak.20250131T123456Z`,
          `${root}/dump.sql`,
          `${root}/index.php~`,
          `${root}/info.php`,
          `${root}/sub/diag.php`,
          `${dir}/probes/fpm-ini.php`,
          `${dir}/probes/lnmp-verify-dead.php`,
        ],
      })
    } finally {
      rmSync(dir, {recursive: true, force: true})
    }
  })
})

describe('services', () => {
  it('asks about the services no step checks, per role', () => {
    expect(servicesFor(['db', 'cache'])).toEqual(['memcached'])
    expect(servicesFor(['lb'])).toEqual([])
    expect(servicesFor(['web'])).toEqual([])
  })

  it('fails active-but-disabled with the reboot hint, and stopped with the start hint', () => {
    const rows = judgeServices(
      'db01',
      ['memcached', 'nginx'],
      new Map([
        ['memcached-active', 'active\n'],
        ['memcached-enabled', 'disabled\n'],
        ['nginx-active', 'inactive'],
        ['nginx-enabled', 'enabled'],
      ]),
    )
    expect(rows).toMatchObject([
      {
        name: 'memcached-active-enabled',
        ok: false,
        detail: 'active, disabled',
        hint: 'it will not come back after a reboot: systemctl enable memcached on db01',
      },
      {
        name: 'nginx-active-enabled',
        ok: false,
        detail: 'inactive, enabled',
        hint: expect.stringContaining('systemctl start nginx on db01'),
      },
    ])
  })
})
