import {spawnSync} from 'node:child_process'
import {createHash} from 'node:crypto'
import {chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'

import {clusterHosts} from '../../src/config/hosts.js'
import {configSchema} from '../../src/config/schema.js'
import type {StepContext} from '../../src/engine/step.js'
import type {HostFacts} from '../../src/platform/facts.js'
import {quote} from '../../src/ssh/shell.js'
import {canonicalJson} from '../../src/engine/fingerprint.js'
import {type AppFacts, app, appInputs, planApp, renderPhpMyAdminConfig, unpackCommand, vhostValidateCommand} from '../../src/steps/app.js'
import {nginxReloadedReadiness} from '../../src/steps/support/nginx-reload.js'
import {describeStepFixtures, loadStepFixtures, stepFixtureFolder} from './step-fixtures.js'
import {FACTS} from './steps-support-fixtures.js'

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
    artifacts:
      kind === 'phpmyadmin'
        ? new Map([['phpmyadmin', {localPath: pma.file, sha256: pma.sha256, fileName: 'phpMyAdmin-5.2.1-debian-lab.tar.gz'}]])
        : new Map(),
  }
}

describe('app', () => {
  it('runs on web hosts after their nginx and the PHP switch, and after MariaDB on the db hosts', () => {
    expect(app.roles).toEqual(['web'])
    expect(app.after).toEqual(['nginx-source', 'php-switch', 'db:mariadb'])
  })

  it('the vhost names the links, never a build directory: it outlives a rebuild of either', () => {
    const want = appInputs(ctxFor(FACTS.debian12))
    expect(want.vhostPath).toBe('/application/nginx/conf/extra/app.conf')
    expect(want.nginx).toBe('/application/nginx/sbin/nginx')
    expect(want.php).toBe('/application/php/bin/php')
    expect(want.vhost).toContain('root /application/nginx/html/session-demo;')
    expect(want.vhost).toContain('fastcgi_pass 127.0.0.1:9000;')
    expect(want.vhost).toContain('server_name phpmyadmin.oldboy.com;')
  })

  it('phpMyAdmin from a local file: uploaded (sha256 checked) into a directory named by version and checksum', () => {
    const want = appInputs(ctxFor(FACTS.debian12, 'phpmyadmin'))
    expect(want.dir).toBe(`/application/nginx/html/phpmyadmin-5.2.1-${pma.sha256.slice(0, 8)}`)
    expect(want.tarball).toMatchObject({
      localPath: pma.file,
      sha256: pma.sha256,
      path: '/var/lib/lnmp-deploy/src/phpMyAdmin-5.2.1-debian-lab.tar.gz',
    })
    expect(want.files).toEqual([expect.objectContaining({path: `${want.dir}/config.inc.php`, sensitive: true})])
    // the blowfish_secret reaches the plan through the inputs, out of their JSON and fingerprint (secretsDigest stands for it)
    expect(want.files[0]?.content).toContain(SECRET)
    expect(JSON.stringify(want)).not.toContain(SECRET)
    expect(canonicalJson(want)).not.toContain(SECRET)
    // a spread copy of the file has lost its content: the plan says so instead of writing nothing
    const copied = {...want, files: want.files.map((f) => ({...f}))}
    expect(() => planApp({fileSha256: {}} as unknown as AppFacts, copied)).toThrow(/config\.inc\.php without its content/)
  })

  it('config.inc.php points at the db host and carries the one blowfish_secret of the cluster', () => {
    const [web01, web02] = [1, 2].map((i) => appInputs(ctxFor(FACTS.debian12, 'phpmyadmin', i)).files[0]?.content)
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
  })
})

describe('the vhost is checked with the whole configuration, at its real place', () => {
  const command = vhostValidateCommand('/application/nginx/sbin/nginx', '/application/nginx/conf', '/application/nginx/conf/extra/app.conf')

  it("copies the conf folder aside, puts the candidate at extra/app.conf in it, and tests the copy's nginx.conf", () => {
    expect(command).toBe(
      'd=$(mktemp -d) && cp -a /application/nginx/conf/. "$d"/ && cp {} "$d"/extra/app.conf && /application/nginx/sbin/nginx -t -q -c "$d"/nginx.conf; rc=$?; rm -rf "$d"; exit $rc',
    )
    // the engine substitutes every {} with the temp path: exactly one
    expect(command.split('{}')).toHaveLength(2)
  })

  it('run locally with a stand-in nginx: the copy holds the candidate, the live folder is untouched, the copy is removed', () => {
    const root = mkdtempSync(join(tmpdir(), 'lnmp-vhost-'))
    const conf = join(root, 'conf')
    mkdirSync(join(conf, 'extra'), {recursive: true})
    writeFileSync(join(conf, 'nginx.conf'), 'http { include mime.types; include extra/*.conf; }\n')
    writeFileSync(join(conf, 'mime.types'), 'types { }\n')
    writeFileSync(join(conf, 'extra', 'app.conf'), 'server { listen 80; } # old\n')
    writeFileSync(join(conf, 'extra', 'other.conf'), 'server { listen 8080; }\n')
    const candidate = join(conf, 'extra', '.app.conf.lnmp-new.0a1b2c3d')
    writeFileSync(candidate, 'server { listen 80; } # new\n')
    // stands in for `nginx -t -q -c FILE`: shows what the folder of FILE holds, fails when asked to
    const nginx = join(root, 'nginx')
    writeFileSync(
      nginx,
      '#!/bin/sh\nd=$(dirname "$4")\necho "$d" > "$STANDIN_SEEN"\ncat "$d/nginx.conf" "$d/mime.types" "$d/extra/app.conf" "$d/extra/other.conf"\nexit "${STANDIN_EXIT:-0}"\n',
    )
    chmodSync(nginx, 0o755)
    const seen = join(root, 'seen')
    const run = (exit: number) => {
      const r = spawnSync(
        'sh',
        ['-c', vhostValidateCommand(nginx, conf, join(conf, 'extra', 'app.conf')).replaceAll('{}', quote(candidate))],
        {
          encoding: 'utf8',
          env: {...process.env, STANDIN_SEEN: seen, STANDIN_EXIT: String(exit)},
        },
      )
      return {status: r.status, out: r.stdout}
    }
    expect(run(0)).toEqual({
      status: 0,
      out: 'http { include mime.types; include extra/*.conf; }\ntypes { }\nserver { listen 80; } # new\nserver { listen 8080; }\n',
    })
    expect(readFileSync(join(conf, 'extra', 'app.conf'), 'utf8')).toBe('server { listen 80; } # old\n')
    const copy = readFileSync(seen, 'utf8').trim()
    expect(copy.startsWith(conf)).toBe(false)
    expect(existsSync(copy)).toBe(false)
    // nginx refusing the candidate is the command's exit code, and the copy is gone all the same
    expect(run(1).status).toBe(1)
    expect(existsSync(readFileSync(seen, 'utf8').trim())).toBe(false)
  })
})

// the plan as data: test/unit/fixtures/app/*.json, run by test/unit/step-fixtures.ts
// a fixed test value: the runner fails a case where it shows outside a sensitive file's sha256
describeStepFixtures(app, stepFixtureFolder('app'), {secrets: {'app.blowfishSecret': 'test-blowfish-secret-0123456789abcdef'}})

describe('app plan cases: what every case keeps', () => {
  const cases = loadStepFixtures(stepFixtureFolder('app'))
  it('the session demo plans the same on Debian 12 and 13, Ubuntu 24.04, Rocky 9 and CentOS 7 (all compiled)', () => {
    const fresh = cases.filter((c) => c.file.startsWith('fresh-'))
    expect(fresh.map((c) => c.fixture.platform).sort()).toEqual(['centos7', 'debian12', 'debian13', 'rocky9', 'ubuntu2404'])
    for (const c of fresh) expect(c.fixture.expected).toEqual(fresh[0]?.fixture.expected)
  })
  it('a vhost write is checked whole in place and followed by one reload out of rotation, with no separate nginx -t run', () => {
    for (const {file, fixture} of cases) {
      const actions = fixture.expected.actions
      const at = actions.findIndex((a) => a.kind === 'write-file' && a.path === '/application/nginx/conf/extra/app.conf')
      if (at === -1) continue
      expect(actions[at]?.validate, file).toBe(
        vhostValidateCommand('/application/nginx/sbin/nginx', '/application/nginx/conf', '/application/nginx/conf/extra/app.conf'),
      )
      // ready once no old worker is left and the site answers without a server error (not merely port 80 open)
      expect(actions.slice(at + 1), file).toEqual([
        {kind: 'service', service: 'nginx', op: 'reload', ready: nginxReloadedReadiness('phpmyadmin.oldboy.com'), behindBalancer: true},
      ])
      expect(
        actions.some((a) => a.kind === 'run' && /nginx -t/.test(String(a.command))),
        file,
      ).toBe(false)
    }
  })
})
