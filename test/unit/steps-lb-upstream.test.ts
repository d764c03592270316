import {spawnSync} from 'node:child_process'
import {mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'

import {sha256Of} from '../../src/hash.js'
import {
  BACKEND_PARAMS,
  LAST_IN_ROTATION,
  confSumWithoutRotationCommand,
  NOT_IN_ROTATION,
  httpGetCommand,
  parseHttpResponse,
  parseUpstreamServers,
  renderLbUpstream,
  rotationCommand,
  upstreamServersCommand,
  withoutRotationMarks,
} from '../../src/platform/lb.js'
import {LB_CONF_VALIDATE, judgeBackends, lbUpstream, lbUpstreamInputs} from '../../src/steps/lb-upstream.js'
import {describeStepFixtures, loadStepFixtures, stepFixtureFolder} from './step-fixtures.js'
import {FACTS, webCtx} from './steps-support-fixtures.js'

const TWO_WEB = {
  hosts: [
    {name: 'lb01', address: '10.0.0.5', privateAddress: '172.16.1.5', roles: ['lb' as const]},
    {name: 'web01', address: '10.0.0.7', privateAddress: '172.16.1.7', roles: ['web' as const]},
    {name: 'web02', address: '10.0.0.8', privateAddress: '172.16.1.8', roles: ['web' as const]},
    {name: 'db01', address: '10.0.0.51', privateAddress: '172.16.1.51', roles: ['db' as const, 'cache' as const]},
  ],
}
const lbCtx = (facts = FACTS.debian12) => {
  const ctx = webCtx(facts, TWO_WEB)
  return {...ctx, host: ctx.cluster[0]!}
}

describe('lb-upstream', () => {
  it('runs on lb hosts once the app is on every web host', () => {
    expect(lbUpstream.roles).toEqual(['lb'])
    expect(lbUpstream.after).toEqual(['web:app'])
  })

  it("renders the seed's proxy over the web hosts' private addresses, each resting 5 s after two failures", () => {
    const want = lbUpstreamInputs(lbCtx())
    expect(want.backends).toEqual(['172.16.1.7', '172.16.1.8'])
    expect(BACKEND_PARAMS).toBe('max_fails=2 fail_timeout=5s')
    expect(want.conf).toContain(
      'upstream lnmp_web {\n    server 172.16.1.7:80 max_fails=2 fail_timeout=5s;\n    server 172.16.1.8:80 max_fails=2 fail_timeout=5s;\n}',
    )
    expect(want.conf).toContain('proxy_set_header Host $host;')
    expect(want.conf).toContain('proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;')
    expect(want.conf).toContain(
      '\n        proxy_next_upstream error timeout http_502 http_503 http_504;\n        proxy_next_upstream_tries 3;\n        proxy_connect_timeout 2s;\n',
    )
  })

  it('Debian and Ubuntu have a default site to remove; the RHEL family has none; CentOS 7 needs EPEL', () => {
    expect(lbUpstreamInputs(lbCtx(FACTS.debian12)).defaultSite).toBe('/etc/nginx/sites-enabled/default')
    expect(lbUpstreamInputs(lbCtx(FACTS.ubuntu2404)).defaultSite).toBe('/etc/nginx/sites-enabled/default')
    expect(lbUpstreamInputs(lbCtx(FACTS.debian13)).defaultSite).toBe('/etc/nginx/sites-enabled/default')
    expect(lbUpstreamInputs(lbCtx(FACTS.rocky9)).defaultSite).toBeUndefined()
    expect(lbUpstreamInputs(lbCtx(FACTS.rocky9)).installCommand).toBe('dnf install -y nginx')
    expect(lbUpstreamInputs(lbCtx(FACTS.centos7)).installCommand).toBe(
      '{ rpm -q epel-release >/dev/null 2>&1 || yum install -y epel-release; } && yum install -y nginx',
    )
  })

  it('checks a new file with a staged copy of /etc/nginx: the candidate at its real place, absolute paths pointed at the copy', () => {
    expect(LB_CONF_VALIDATE).toBe(
      'd=$(mktemp -d) && cp -a /etc/nginx/. "$d"/ && cp {} "$d"/conf.d/lnmp-upstream.conf' +
        ' && grep -rlF /etc/nginx/ "$d" | while read -r f; do sed -i "s#/etc/nginx/#$d/#g" "$f"; done' +
        ' && nginx -t -q -c "$d"/nginx.conf; rc=$?; rm -rf "$d"; exit $rc',
    )
    // the engine substitutes every {} with the temp path: the command has exactly one
    expect(LB_CONF_VALIDATE.split('{}')).toHaveLength(2)
  })
})

// the plan as data: test/unit/fixtures/lb-upstream/*.json, run by test/unit/step-fixtures.ts
describeStepFixtures(lbUpstream, stepFixtureFolder('lb-upstream'))

describe('lb-upstream plan cases: what every case keeps', () => {
  it("a separate `nginx -t -q` runs only after an install or the default site's removal; a written file was checked whole before", () => {
    for (const {file, fixture} of loadStepFixtures(stepFixtureFolder('lb-upstream'))) {
      const actions = fixture.expected.actions
      const checks = actions.filter((a) => a.kind === 'run' && a.command === 'nginx -t -q')
      const needsOne = actions.some(
        (a) =>
          a.kind === 'run' && (String(a.description).startsWith('install ') || String(a.description).startsWith('remove the distribution')),
      )
      expect(checks, file).toHaveLength(needsOne ? 1 : 0)
      for (const w of actions.filter((a) => a.kind === 'write-file')) expect(w.validate, file).toBe(LB_CONF_VALIDATE)
      // the balancer itself is never taken out of a rotation
      for (const s of actions.filter((a) => a.kind === 'service')) expect(s.behindBalancer, file).toBeUndefined()
    }
  })
})

describe("the balancer's backends as its file lists them (grow and shrink the web tier)", () => {
  it('reads every server line of the rendered file, a `down` one and an IPv6 one included; nothing for a missing file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lnmp-lb-'))
    const conf = join(dir, 'lnmp-upstream.conf')
    const rendered = renderLbUpstream({serverName: 'a.example', backends: ['172.16.1.7', '172.16.1.8', 'fd00::9']})
    writeFileSync(conf, rendered.replace('172.16.1.8:80 max_fails', '172.16.1.8:80 down max_fails'))
    const out = spawnSync('bash', ['-c', upstreamServersCommand(conf)], {encoding: 'utf8'}).stdout
    expect(out).toBe('172.16.1.7:80\n172.16.1.8:80\n[fd00::9]:80\n')
    expect(parseUpstreamServers(out)).toEqual(['172.16.1.7', '172.16.1.8', 'fd00::9'])
    const missing = spawnSync('bash', ['-c', upstreamServersCommand(join(dir, 'none.conf'))], {encoding: 'utf8'})
    expect([missing.status, parseUpstreamServers(missing.stdout)]).toEqual([0, []])
  })
})

describe("the rotation: a web host marked `down` in the balancer's file around its restart", () => {
  it('taking 172.16.1.7 out: the exact script', () => {
    expect(rotationCommand('172.16.1.7', false, 'nginx')).toBe(
      [
        'set -e',
        "grep -qE '^[[:space:]]*server[[:space:]]+172\\.16\\.1\\.7:80[[:space:];]' /etc/nginx/conf.d/lnmp-upstream.conf 2>/dev/null || exit 3",
        "if grep -qE '^[[:space:]]*server[[:space:]]+172\\.16\\.1\\.7:80[[:space:];].*[[:space:]]down[;[:space:]]' /etc/nginx/conf.d/lnmp-upstream.conf; then exit 0; else :; fi",
        "others=$(grep -E '^[[:space:]]*server[[:space:]]+[^[:space:]{]' /etc/nginx/conf.d/lnmp-upstream.conf | grep -vE '^[[:space:]]*server[[:space:]]+172\\.16\\.1\\.7:80[[:space:];]' | grep -vcE '[[:space:]]down[;[:space:]]' || true)",
        '[ "$others" -gt 0 ] || exit 4',
        'install -d -m 0700 /var/lib/lnmp-deploy/backups && cp -p /etc/nginx/conf.d/lnmp-upstream.conf /var/lib/lnmp-deploy/backups/lb-rotation.conf',
        "sed -i -E '/^[[:space:]]*server[[:space:]]+172\\.16\\.1\\.7:80[[:space:];]/s/;/ down;/' /etc/nginx/conf.d/lnmp-upstream.conf",
        'if ! nginx -t -q; then cp -p /var/lib/lnmp-deploy/backups/lb-rotation.conf /etc/nginx/conf.d/lnmp-upstream.conf; exit 1; fi',
        "old=$(pgrep -f 'nginx: worker proces[s]' | tr '\\n' ' ')",
        'systemctl reload nginx',
        'for i in $(seq 150); do alive=0; for p in $old; do if kill -0 "$p" 2>/dev/null; then alive=1; fi; done; [ $alive = 1 ] || exit 0; sleep 0.1; done',
      ].join('\n'),
    )
    expect([NOT_IN_ROTATION, LAST_IN_ROTATION]).toEqual([3, 4])
  })

  it('putting it back: the exact script, without the last-host guard', () => {
    expect(rotationCommand('172.16.1.7', true, 'nginx')).toBe(
      [
        'set -e',
        "grep -qE '^[[:space:]]*server[[:space:]]+172\\.16\\.1\\.7:80[[:space:];]' /etc/nginx/conf.d/lnmp-upstream.conf 2>/dev/null || exit 3",
        "if grep -qE '^[[:space:]]*server[[:space:]]+172\\.16\\.1\\.7:80[[:space:];].*[[:space:]]down[;[:space:]]' /etc/nginx/conf.d/lnmp-upstream.conf; then :; else exit 0; fi",
        'install -d -m 0700 /var/lib/lnmp-deploy/backups && cp -p /etc/nginx/conf.d/lnmp-upstream.conf /var/lib/lnmp-deploy/backups/lb-rotation.conf',
        "sed -i -E '/^[[:space:]]*server[[:space:]]+172\\.16\\.1\\.7:80[[:space:];]/s/[[:space:]]+down([;[:space:]])/\\1/' /etc/nginx/conf.d/lnmp-upstream.conf",
        'if ! nginx -t -q; then cp -p /var/lib/lnmp-deploy/backups/lb-rotation.conf /etc/nginx/conf.d/lnmp-upstream.conf; exit 1; fi',
        "old=$(pgrep -f 'nginx: worker proces[s]' | tr '\\n' ' ')",
        'systemctl reload nginx',
        'for i in $(seq 150); do alive=0; for p in $old; do if kill -0 "$p" 2>/dev/null; then alive=1; fi; done; [ $alive = 1 ] || exit 0; sleep 0.1; done',
      ].join('\n'),
    )
    expect(rotationCommand('fd00::7', true, 'nginx', 8080, '/x.conf')).toContain(
      "'^[[:space:]]*server[[:space:]]+\\[fd00::7\\]:8080[[:space:];]'",
    )
  })

  /**
   * The script's grep and sed lines alone (no backup folder, nginx, systemctl or pgrep), run locally against a
   * rendered balancer file: what they decide and what they leave in the file.
   */
  const NOT_RUN = /^(install |if ! nginx |systemctl |for i in )/
  function rotate(file: string, backend: string, inRotation: boolean): {exit: number | null; changed: boolean} {
    const lines = rotationCommand(backend, inRotation, 'nginx', 80, file).split('\n')
    expect(lines.filter((l) => NOT_RUN.test(l))).toHaveLength(4)
    const before = readFileSync(file, 'utf8')
    const r = spawnSync('sh', ['-c', lines.filter((l) => !NOT_RUN.test(l)).join('\n')], {encoding: 'utf8'})
    return {exit: r.status, changed: readFileSync(file, 'utf8') !== before}
  }
  const rendered = renderLbUpstream({serverName: 'phpmyadmin.oldboy.com', backends: ['172.16.1.7', '172.16.1.70', '172.16.1.8']})
  const fresh = () => {
    const file = join(mkdtempSync(join(tmpdir(), 'lnmp-rotation-')), 'lnmp-upstream.conf')
    writeFileSync(file, rendered)
    return file
  }
  const serverLines = (file: string) =>
    readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => /^\s*server\s/.test(l))

  it('out: `down` goes on that server line once, before its `;`; 172.16.1.70 and every other line stay as they were', () => {
    const file = fresh()
    expect(rotate(file, '172.16.1.7', false)).toEqual({exit: 0, changed: true})
    expect(serverLines(file)).toEqual([
      '    server 172.16.1.7:80 max_fails=2 fail_timeout=5s down;',
      '    server 172.16.1.70:80 max_fails=2 fail_timeout=5s;',
      '    server 172.16.1.8:80 max_fails=2 fail_timeout=5s;',
      'server {',
    ])
    expect(readFileSync(file, 'utf8')).toBe(
      rendered.replace('server 172.16.1.7:80 max_fails=2 fail_timeout=5s;', 'server 172.16.1.7:80 max_fails=2 fail_timeout=5s down;'),
    )
    // taken out again: already out, nothing touched (the real script then reloads nothing)
    expect(rotate(file, '172.16.1.7', false)).toEqual({exit: 0, changed: false})
    expect(readFileSync(file, 'utf8').match(/down/g)).toHaveLength(2) // the template's comment and the one mark
  })

  it('back: the mark goes, and the file is byte for byte the rendered one again', () => {
    const file = fresh()
    rotate(file, '172.16.1.7', false)
    expect(rotate(file, '172.16.1.7', true)).toEqual({exit: 0, changed: true})
    expect(readFileSync(file, 'utf8')).toBe(rendered)
    // put back again: already in, nothing touched
    expect(rotate(file, '172.16.1.7', true)).toEqual({exit: 0, changed: false})
  })

  it('a backend the file does not list: exit 3, nothing touched', () => {
    const file = fresh()
    expect(rotate(file, '172.16.1.9', false)).toEqual({exit: NOT_IN_ROTATION, changed: false})
    expect(rotate(file, '172.16.1.9', true)).toEqual({exit: NOT_IN_ROTATION, changed: false})
  })

  it('a host out of rotation is no drift for lb-upstream: its probe sums the file without the marks, as the plan renders it', () => {
    const file = fresh()
    rotate(file, '172.16.1.7', false)
    const marked = readFileSync(file, 'utf8')
    expect(marked).not.toBe(rendered)
    expect(withoutRotationMarks(marked)).toBe(rendered)
    const probe = spawnSync('sh', ['-c', confSumWithoutRotationCommand(file)], {encoding: 'utf8'})
    expect(probe.stdout.split(/\s+/)[0]).toBe(sha256Of(rendered))
    // no file: no sum (a fresh balancer)
    expect(spawnSync('sh', ['-c', confSumWithoutRotationCommand(`${file}.missing`)], {encoding: 'utf8'}).stdout).toBe('')
  })

  // the file's own `server {` block opener is no backend: only upstream entries count as others in rotation
  it('the only backend never leaves the rotation: exit 4, nothing touched', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'lnmp-rotation-')), 'lnmp-upstream.conf')
    writeFileSync(file, renderLbUpstream({serverName: 'phpmyadmin.oldboy.com', backends: ['172.16.1.7']}))
    expect(rotate(file, '172.16.1.7', false)).toEqual({exit: LAST_IN_ROTATION, changed: false})
  })
  it('the last backend still in rotation among several never leaves it: exit 4, nothing touched', () => {
    const file = fresh()
    rotate(file, '172.16.1.70', false)
    expect(rotate(file, '172.16.1.8', false)).toEqual({exit: 0, changed: true})
    expect(rotate(file, '172.16.1.7', false)).toEqual({exit: LAST_IN_ROTATION, changed: false})
  })
})

describe('answers through the balancer', () => {
  const answer = (status: number, upstream?: string) =>
    `HTTP/1.1 ${status} X\r\nServer: nginx\r\n${upstream ? `X-Upstream: ${upstream}\r\n` : ''}\r\nbody`

  it('each backend must answer (the last address nginx tried is the one that did)', () => {
    const both = judgeBackends([answer(200, '172.16.1.7:80'), answer(200, '172.16.1.8:80')], ['172.16.1.7', '172.16.1.8'])
    expect(both.bad).toEqual([])
    const oneDown = judgeBackends([answer(200, '172.16.1.8:80, 172.16.1.7:80'), answer(200, '172.16.1.7:80')], ['172.16.1.7', '172.16.1.8'])
    expect(oneDown.bad).toEqual(['172.16.1.8 never answered'])
    expect(judgeBackends([answer(502, '172.16.1.7:80'), undefined], ['172.16.1.7']).bad).toEqual([
      '502 from 172.16.1.7:80',
      'no HTTP answer',
      '172.16.1.7 never answered',
    ])
  })

  it('parses a raw HTTP answer', () => {
    const r = parseHttpResponse('HTTP/1.1 200 OK\r\nX-Backend: web01\r\nContent-Type: text/html\r\n\r\n<p>hi</p>')
    expect(r?.status).toBe(200)
    expect(r?.headers.get('x-backend')).toBe('web01')
    expect(r?.body).toBe('<p>hi</p>')
    expect(parseHttpResponse('')).toBeUndefined()
  })

  it('asks with bash alone, the Host header only when given', () => {
    expect(httpGetCommand({address: '127.0.0.1', hostHeader: 'phpmyadmin.oldboy.com'})).toMatch(
      /^timeout 5 bash -c .* http-get 127\.0\.0\.1 80 \/ phpmyadmin\.oldboy\.com$/s,
    )
    expect(httpGetCommand({address: '127.0.0.1'})).toMatch(/ http-get 127\.0\.0\.1 80 \/ ''$/)
  })
})
