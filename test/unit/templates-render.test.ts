import {existsSync} from 'node:fs'
import {describe, expect, it} from 'vitest'
import {renderLbUpstream} from '../../src/platform/lb.js'
import {fastcgiPass, renderFpmConfig, renderFpmPool, renderSessionIni, sessionSavePath} from '../../src/php/fpm.js'
import {renderString, renderTemplate, templatePath} from '../../src/templates.js'

const lines = (text: string) =>
  text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#') && !l.startsWith(';'))

describe('renderString', () => {
  it('replaces placeholders', () => {
    expect(renderString('a {{x}} b {{y}} {{x}}', {x: 1, y: 'z'})).toBe('a 1 b z 1')
  })
  it('throws on a missing and on an unused variable, naming them', () => {
    expect(() => renderString('{{a}} {{b}}', {a: 1}, 'template t')).toThrow('template t: missing b')
    expect(() => renderString('{{a}}', {a: 1, c: 2, d: 3}, 'template t')).toThrow('template t: unused c, d')
    expect(() => renderTemplate('php/memcache.ini', {x: 1})).toThrow('template php/memcache.ini: unused x')
  })
})

describe('templatePath', () => {
  it('finds templates/ at the package root and refuses to leave it', () => {
    expect(templatePath()).toMatch(/\/templates$/)
    expect(existsSync(templatePath('nginx/nginx.conf'))).toBe(true)
    expect(() => templatePath('../package.json')).toThrow('escapes templates/')
  })
})

describe('nginx', () => {
  it('nginx.conf: user www, extra/*.conf inside http', () => {
    const text = renderTemplate('nginx/nginx.conf')
    expect(lines(text)[0]).toBe('user www www;')
    expect(text).toMatch(/\n {4}include extra\/\*\.conf;\n\}\n$/)
    // nginx opens no port without a server block: a plain one listens before any vhost exists
    expect(lines(text)).toContain('listen 80;')
    expect(lines(text)).not.toContain('listen 80 default_server;')
  })
  it('the app vhost', () => {
    const text = renderTemplate('nginx/extra/app.conf', {
      serverName: 'phpmyadmin.oldboy.com',
      root: '/application/nginx/html/phpmyadmin',
      fastcgiPass: fastcgiPass('127.0.0.1:9000'),
      probeDir: '/var/lib/lnmp-deploy/probes',
    })
    const l = lines(text)
    expect(l).toContain('server_name phpmyadmin.oldboy.com;')
    expect(l).toContain('root /application/nginx/html/phpmyadmin;')
    expect(l).toContain('index index.php index.html;')
    expect(l.filter((x) => x === 'fastcgi_pass 127.0.0.1:9000;')).toHaveLength(2)
    expect(l).toContain('fastcgi_param SCRIPT_FILENAME $document_root$fastcgi_script_name;')
    expect(l).toContain('location ~ ^/lnmp-deploy/([A-Za-z0-9_-]+\\.php)$ {')
    expect(l).toContain('fastcgi_param SCRIPT_FILENAME /var/lib/lnmp-deploy/probes/$1;')
    expect(l).toContain('add_header X-Backend $hostname always;')
    expect(fastcgiPass('/run/php-fpm.sock')).toBe('unix:/run/php-fpm.sock')
  })
  it('the lb upstream for the packaged nginx: each backend rests after two failures, a failed request goes to the next', () => {
    const text = renderLbUpstream({serverName: 'phpmyadmin.oldboy.com', backends: ['172.16.1.7', '172.16.1.8', 'fd00::9']})
    expect(text).toContain(
      'upstream lnmp_web {\n    server 172.16.1.7:80 max_fails=2 fail_timeout=5s;\n    server 172.16.1.8:80 max_fails=2 fail_timeout=5s;\n    server [fd00::9]:80 max_fails=2 fail_timeout=5s;\n}',
    )
    const l = lines(text)
    expect(l).toContain('proxy_pass http://lnmp_web;')
    expect(l).toContain('proxy_set_header Host $host;')
    expect(l).toContain('proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;')
    expect(l).toContain('server_name phpmyadmin.oldboy.com;')
    // a backend restarting between two checks costs no user request: the next backend answers it, quickly
    expect(
      l.slice(l.indexOf('proxy_set_header X-Real-IP $remote_addr;') + 1, l.indexOf('add_header X-Upstream $upstream_addr always;')),
    ).toEqual([
      'proxy_next_upstream error timeout http_502 http_503 http_504;',
      'proxy_next_upstream_tries 3;',
      'proxy_connect_timeout 2s;',
    ])
    // nothing marks a backend `down` when rendered: that is the rotation's, for the seconds of a restart
    expect(l.filter((x) => /\bdown\b/.test(x))).toEqual([])
    expect(renderLbUpstream({serverName: 'x', backends: ['10.0.0.1'], port: 8080})).toContain(
      '    server 10.0.0.1:8080 max_fails=2 fail_timeout=5s;\n',
    )
    expect(() => renderLbUpstream({serverName: 'x', backends: []})).toThrow('at least one web host')
  })
})

describe('php', () => {
  it('php-fpm.conf names its own build (not the symlink), and the www pool', () => {
    expect(lines(renderFpmConfig('/application/php-8.2.32-c21145b2'))).toEqual([
      '[global]',
      'pid = /application/php-8.2.32-c21145b2/var/run/php-fpm.pid',
      'error_log = /application/php-8.2.32-c21145b2/var/log/php-fpm.log',
      'daemonize = no',
      'include = /application/php-8.2.32-c21145b2/etc/php-fpm.d/*.conf',
    ])
    const pool = lines(renderFpmPool('127.0.0.1:9000'))
    expect(pool.slice(0, 4)).toEqual(['[www]', 'user = www', 'group = www', 'listen = 127.0.0.1:9000'])
    expect(pool).toContain('pm.max_children = 5')
  })
  it("session handler lines in each extension's syntax", () => {
    const db01 = {address: '172.16.1.51', port: 11211}
    expect(lines(renderSessionIni('memcache', [db01]))).toEqual([
      'session.save_handler = memcache',
      'session.save_path = "tcp://172.16.1.51:11211?timeout=4"',
    ])
    expect(sessionSavePath('memcached', [db01])).toBe('172.16.1.51:11211')
    expect(sessionSavePath('memcache', [{address: 'fd00::51', port: 11211}])).toBe('tcp://[fd00::51]:11211?timeout=4')
    expect(lines(renderTemplate('php/memcache.ini'))).toEqual(['extension=memcache.so'])
  })
})

describe('systemd units', () => {
  it('compiled nginx: forking, tested before start and reload', () => {
    const l = lines(renderTemplate('systemd/nginx.service', {nginxHome: '/application/nginx'}))
    expect(l).toContain('Type=forking')
    expect(l).toContain('PIDFile=/application/nginx/logs/nginx.pid')
    expect(l).toContain('ExecStartPre=/application/nginx/sbin/nginx -t -q')
    expect(l).toContain('ExecStart=/application/nginx/sbin/nginx')
    expect(l).toContain('ExecReload=/application/nginx/sbin/nginx -s reload')
  })
  it('php-fpm: simple, in the foreground', () => {
    const l = lines(renderTemplate('systemd/php-fpm.service', {phpHome: '/application/php'}))
    expect(l).toContain('Type=simple')
    expect(l).toContain('ExecStart=/application/php/sbin/php-fpm --nodaemonize --fpm-config /application/php/etc/php-fpm.conf')
    expect(l).toContain('ExecReload=/bin/kill -USR2 $MAINPID')
  })
  it('firewall unit loads the rules file', () => {
    expect(lines(renderTemplate('systemd/lnmp-deploy-firewall.service', {rulesPath: '/etc/lnmp-deploy/firewall.nft'}))).toContain(
      'ExecStart=/usr/sbin/nft -f /etc/lnmp-deploy/firewall.nft',
    )
  })
})

describe('probes and the demo app', () => {
  it('memcache connect probe: set, get, delete, one JSON line, non-zero exit on failure', () => {
    const text = renderTemplate('probes/memcache-connect.php')
    for (const s of [
      '$m->connect($host, $port, 3)',
      '$m->set($key, $value, 0, 60)',
      '$m->get($key)',
      '$m->delete($key)',
      'exit(1);',
      'json_encode($out)',
    ]) {
      expect(text).toContain(s)
    }
  })
  it('session probe reports host, id, value and handler', () => {
    const text = renderTemplate('probes/session-probe.php')
    for (const s of [
      "'host' => gethostname()",
      "'session_id' => session_id()",
      "'value' => $value",
      "'handler' => ini_get('session.save_handler')",
      "$_GET['write']",
    ]) {
      expect(text).toContain(s)
    }
  })
  it('session demo has a login form and names the serving host', () => {
    const text = renderTemplate('app/session-demo/index.php')
    expect(text).toContain('<input name="password" type="password">')
    expect(text).toContain('Served by <strong id="served-by"><?= $host ?></strong>')
    expect(text).toContain('Logged in as <strong id="user">')
  })
})

describe('session stores (issue 10)', () => {
  const stores = [
    {address: '172.16.1.51', port: 11211},
    {address: '172.16.1.52', port: 11211},
  ]
  it('memcache with two stores: every session on both (redundancy = stores + 1), consistent hashing, failover', () => {
    expect(lines(renderSessionIni('memcache', stores))).toEqual([
      'session.save_handler = memcache',
      'session.save_path = "tcp://172.16.1.51:11211?timeout=4, tcp://172.16.1.52:11211?timeout=4"',
      'memcache.session_redundancy = 3',
      'memcache.hash_strategy = consistent',
      'memcache.allow_failover = 1',
    ])
    expect(lines(renderSessionIni('memcache', [...stores, {address: '172.16.1.53', port: 11211}]))).toContain(
      'memcache.session_redundancy = 4',
    )
  })
  it('one store: no copies to keep, so no redundancy lines; a lost SYN is ridden out (timeout 3 s, not 1)', () => {
    expect(lines(renderSessionIni('memcache', stores.slice(0, 1)))).toEqual([
      'session.save_handler = memcache',
      'session.save_path = "tcp://172.16.1.51:11211?timeout=4"',
    ])
  })
  it("memcached's save_path lists every store in its own syntax; files keeps /tmp", () => {
    expect(sessionSavePath('memcached', stores)).toBe('172.16.1.51:11211,172.16.1.52:11211')
    expect(lines(renderSessionIni('files', stores))).toEqual(['session.save_handler = files', 'session.save_path = "/tmp"'])
  })
})
