import {createHash} from 'node:crypto'
import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'

import {clusterHosts} from '../../src/config/hosts.js'
import {configSchema} from '../../src/config/schema.js'
import {sha256Of} from '../../src/engine/actions.js'
import type {Action, StepContext} from '../../src/engine/step.js'
import type {HostFacts} from '../../src/platform/facts.js'
import {type AppFacts, PROBE_DIR, app, appInputs, planApp, renderPhpMyAdminConfig, unpackCommand, vhostValidateCommand} from '../../src/steps/app.js'

const debian12: HostFacts = {osId: 'debian', osVersion: '12', osFamily: 'debian', packageManager: 'apt', arch: 'x86_64', cores: 2, initSystem: 'systemd'}
const ubuntu2404: HostFacts = {osId: 'ubuntu', osVersion: '24.04', osFamily: 'debian', packageManager: 'apt', arch: 'x86_64', cores: 4, initSystem: 'systemd'}
const rocky9: HostFacts = {osId: 'rocky', osVersion: '9.4', osFamily: 'rhel', packageManager: 'dnf', arch: 'x86_64', cores: 2, initSystem: 'systemd'}
const centos7: HostFacts = {osId: 'centos', osVersion: '7', osFamily: 'rhel', packageManager: 'yum', arch: 'x86_64', cores: 2, initSystem: 'systemd'}

const SECRET = 'bf-secret-0123456789abcdefghijkl'
const pma = (() => {
  const dir = mkdtempSync(join(tmpdir(), 'lnmp-app-'))
  const file = join(dir, 'phpMyAdmin-5.2.1-debian-lab.tar.gz')
  writeFileSync(file, 'not really a tarball')
  return {file, sha256: createHash('sha256').update('not really a tarball').digest('hex')}
})()

function ctxFor(facts: HostFacts, kind: 'session-demo' | 'phpmyadmin' = 'session-demo', hostIndex = 1): StepContext {
  const config = configSchema.parse({
    version: 1,
    hosts: [
      {name: 'lb01', address: '10.0.0.5', privateAddress: '172.16.1.5', roles: ['lb']},
      {name: 'web01', address: '10.0.0.7', privateAddress: '172.16.1.7', roles: ['web']},
      {name: 'web02', address: '10.0.0.8', privateAddress: '172.16.1.8', roles: ['web']},
      {name: 'db01', address: '10.0.0.51', privateAddress: '172.16.1.51', roles: ['db', 'cache']},
    ],
    app: {kind},
    ...(kind === 'phpmyadmin' ? {artifacts: {phpmyadmin: {file: pma.file, sha256: pma.sha256}}} : {}),
  })
  const cluster = clusterHosts(config)
  return {
    config,
    host: cluster[hostIndex] as StepContext['host'],
    cluster,
    facts,
    secrets: new Map([['app.blowfishSecret', SECRET]]),
    artifacts: kind === 'phpmyadmin' ? new Map([['phpmyadmin', {localPath: pma.file, sha256: pma.sha256, fileName: 'phpMyAdmin-5.2.1-debian-lab.tar.gz'}]]) : new Map(),
  }
}

const nothing: AppFacts = {vhostSha256: undefined, fileSha256: {}, rootOwner: undefined, tarballSha256: undefined, unpackedSha256: undefined, linkTarget: undefined, probeDir: false}
const brief = (actions: Action[]) =>
  actions.map((a) => (a.kind === 'run' ? `run:${a.description}` : a.kind === 'service' ? `service:${a.op}` : a.kind === 'write-file' ? `write:${a.path}` : `upload:${a.path}`))

describe('app', () => {
  it('runs on web hosts after their nginx and php-fpm, and after MariaDB on the db hosts', () => {
    expect(app.roles).toEqual(['web'])
    expect(app.after).toEqual(['nginx-source', 'php-fpm', 'db:mariadb'])
  })

  it('the session demo, the same on Debian 12, Ubuntu 24.04, Rocky 9 and CentOS 7 (all compiled): files as www, vhost checked alone, then whole, then reload', () => {
    const plans = [debian12, ubuntu2404, rocky9, centos7].map((f) => planApp(nothing, appInputs(ctxFor(f))))
    for (const p of plans) expect(p).toEqual(plans[0])
    const plan = plans[0]!
    expect(brief(plan.actions)).toEqual([
      'write:/application/nginx/html/session-demo/index.php',
      'write:/application/nginx/html/session-demo/session.php',
      'run:/application/nginx/html/session-demo owned by www',
      `run:create ${PROBE_DIR} for verify's short-lived probes`,
      'write:/application/nginx/conf/extra/app.conf',
      'run:check the whole nginx configuration',
      'service:reload',
    ])
    expect(plan.actions[0]).toMatchObject({owner: 'www', group: 'www', mode: 0o644, validate: '/application/php/bin/php -n -l {}'})
    expect(plan.actions[4]).toMatchObject({validate: vhostValidateCommand('/application/nginx/sbin/nginx', '/application/nginx/conf')})
    expect(plan.actions[6]).toEqual({kind: 'service', service: 'nginx', op: 'reload', ready: {tcp: {host: '127.0.0.1', port: 80}}})
    const vhost = appInputs(ctxFor(debian12)).vhost
    expect(vhost).toContain('root /application/nginx/html/session-demo;')
    expect(vhost).toContain('fastcgi_pass 127.0.0.1:9000;')
    expect(vhost).toContain('server_name phpmyadmin.oldboy.com;')
  })

  it('the session demo in place: nothing to do', () => {
    const want = appInputs(ctxFor(debian12))
    const done: AppFacts = {
      ...nothing,
      vhostSha256: sha256Of(want.vhost),
      fileSha256: Object.fromEntries(want.files.map((f) => [f.path, sha256Of(f.content)])),
      rootOwner: 'www:www',
      probeDir: true,
    }
    expect(planApp(done, want)).toEqual({actions: [], reason: 'session-demo served as phpmyadmin.oldboy.com from /application/nginx/html/session-demo'})
  })

  it('phpMyAdmin: upload (sha256 checked), unpack into its own directory, config.inc.php hidden, link the web root', () => {
    const ctx = ctxFor(debian12, 'phpmyadmin')
    const want = appInputs(ctx)
    const dir = `/application/nginx/html/phpmyadmin-5.2.1-${pma.sha256.slice(0, 8)}`
    expect(want.dir).toBe(dir)
    const plan = planApp(nothing, want)
    expect(brief(plan.actions)).toEqual([
      'upload:/var/lib/lnmp-deploy/src/phpMyAdmin-5.2.1-debian-lab.tar.gz',
      `run:unpack phpMyAdmin 5.2.1 into ${dir}`,
      `write:${dir}/config.inc.php`,
      `run:serve ${dir} as /application/nginx/html/phpmyadmin`,
      `run:create ${PROBE_DIR} for verify's short-lived probes`,
      'write:/application/nginx/conf/extra/app.conf',
      'run:check the whole nginx configuration',
      'service:reload',
    ])
    expect(plan.actions[2]).toMatchObject({sensitive: true, owner: 'www', group: 'www', mode: 0o640})
    expect((plan.actions[3] as Extract<Action, {kind: 'run'}>).command).toBe(
      `ln -sfn ${dir} /application/nginx/html/phpmyadmin.lnmp-new && mv -Tf /application/nginx/html/phpmyadmin.lnmp-new /application/nginx/html/phpmyadmin`,
    )
    // nothing secret is in a command or the fingerprint's plain data
    for (const a of plan.actions) if (a.kind === 'run') expect(a.command).not.toContain(SECRET)
    expect(JSON.stringify({...want, files: []})).not.toContain(SECRET)
  })

  it('config.inc.php points at the db host and carries the one blowfish_secret of the cluster', () => {
    const [web01, web02] = [1, 2].map((i) => appInputs(ctxFor(debian12, 'phpmyadmin', i)).files[0]?.content)
    expect(web01).toBe(web02)
    expect(web01).toContain("$cfg['Servers'][1]['host'] = '172.16.1.51';")
    expect(web01).toContain(`$cfg['blowfish_secret'] = '${SECRET}';`)
    expect(renderPhpMyAdminConfig('h', "a'b\\")).toContain("$cfg['blowfish_secret'] = 'a\\'b\\\\';")
  })

  it('unpacks whole or not at all: temp directory, marker last, then moved into place', () => {
    expect(unpackCommand('/var/lib/lnmp-deploy/src/p.tar.gz', '/a/p-1', 'abc').split(' && ')).toEqual([
      'rm -rf /a/p-1.lnmp-unpack',
      'mkdir -p /a/p-1.lnmp-unpack/tmp',
      'tar -xf /var/lib/lnmp-deploy/src/p.tar.gz -C /a/p-1.lnmp-unpack --strip-components=1 --no-same-owner',
      "printf '%s\\n' abc > /a/p-1.lnmp-unpack/.lnmp-deploy-artifact",
      'chown -R www:www /a/p-1.lnmp-unpack',
      'rm -rf /a/p-1',
      'mv /a/p-1.lnmp-unpack /a/p-1',
    ])
    expect(vhostValidateCommand('/n/sbin/nginx', '/n/conf').split('{}')).toHaveLength(2)
  })
})
