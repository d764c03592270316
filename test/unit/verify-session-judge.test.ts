import {describe, expect, it} from 'vitest'

import {judgeSessionProof, parseProbeBody, type ProofExchange, servedBy, upstreamAttempts} from '../../src/verify/session-judge.js'

/**
 * Recorded answers of the session probe through lb01 (status, X-Upstream, the probe's JSON), for each way the
 * cluster proof can end. The lab's addresses: web01 10.77.0.21, web02 10.77.0.22, the store db01 10.77.0.31.
 */
const want = {
  lb: 'lb01',
  backends: [
    {name: 'web01', address: '10.77.0.21'},
    {name: 'web02', address: '10.77.0.22'},
  ],
  handler: 'memcache',
  savePath: 'tcp://10.77.0.31:11211',
}
const SID = 'q1v7r0m3k8c2h5a9j4l6n0p2s1'
const TOKEN = 'lnmp-verify-0123456789abcdef'
const ADDR = {web01: '10.77.0.21:80', web02: '10.77.0.22:80'} as const

function ex(
  host: 'web01' | 'web02',
  value: string | null,
  more: Partial<ProofExchange> & {handler?: string; sid?: string; savePath?: string} = {},
): ProofExchange {
  const {handler = 'memcache', sid = SID, savePath = want.savePath, ...rest} = more
  return {status: 200, upstream: ADDR[host], body: {host, session_id: sid, value, handler, save_path: savePath, started: true}, ...rest}
}
const write = (host: 'web01' | 'web02', stored: string | null = TOKEN, more = {}) => ex(host, stored, {wrote: TOKEN, ...more})

describe('judgeSessionProof', () => {
  it('passes when both backends serve one session id and the value written through one is read through the other', () => {
    const v = judgeSessionProof([write('web01'), ex('web02', TOKEN), ex('web01', TOKEN)], want)
    expect(v).toEqual({
      ok: true,
      served: ['web01', 'web02'],
      detail: '3 requests: web01 and web02 served one session q1v7r0m3…; a value written through web01, read through web02',
    })
  })

  it('names the backends in config order whichever the balancer picked first', () => {
    const v = judgeSessionProof([write('web02'), ex('web01', TOKEN), ex('web02', TOKEN)], want)
    expect(v).toMatchObject({
      ok: true,
      served: ['web02', 'web01'],
      detail: '3 requests: web01 and web02 served one session q1v7r0m3…; a value written through web02, read through web01',
    })
  })

  it('fails when only one backend answers, naming the one lb01 skipped', () => {
    const failover = {upstream: `${ADDR.web02}, ${ADDR.web01}`}
    const v = judgeSessionProof([write('web01'), ex('web01', TOKEN, failover), ex('web01', TOKEN), ex('web01', TOKEN, failover)], want)
    expect(v).toMatchObject({ok: false, cause: 'one-backend', served: ['web01']})
    expect(v.detail).toBe('only web01 served 4 requests; web02 never answered through lb01; lb01 tried web02 and moved on')
    expect(v.hint).toBe(
      'lb01 reached web02 but got an error or no connection: is `systemctl start php-fpm` on web02 needed (and nginx running there)?',
    )
    // nobody even tried it: not in the upstream, or resting after failures
    const only = judgeSessionProof([write('web01'), ex('web01', TOKEN), ex('web01', TOKEN)], want)
    expect(only.hint).toBe(
      "is nginx running on web02, with PHP-FPM (`systemctl status nginx php-fpm` on web02), and is it in lb01's upstream?",
    )
  })

  it('fails with the backend that answers 502 (its PHP-FPM is down)', () => {
    const bad: ProofExchange = {status: 502, upstream: ADDR.web02}
    const v = judgeSessionProof([write('web01'), bad, ex('web01', TOKEN), bad], want)
    expect(v).toMatchObject({ok: false, cause: 'backend-error', detail: 'web02 answered 502 through lb01 (2 of 4 requests)'})
    expect(v.hint).toContain('systemctl status php-fpm` on web02')
  })

  it('fails when the session id changes between backends', () => {
    const v = judgeSessionProof([write('web01'), ex('web02', null, {sid: 'zzzzzzzzzzzzzzzz'}), ex('web01', TOKEN)], want)
    expect(v).toMatchObject({ok: false, cause: 'id-changed', detail: 'the session id changed from q1v7r0m3… to zzzzzzzz… on web02'})
  })

  it('fails when the value is missing everywhere after the write: the store did not keep it (memcached down, PHP only warns)', () => {
    const v = judgeSessionProof([write('web02'), ex('web01', null), ex('web02', null)], want)
    expect(v).toMatchObject({ok: false, cause: 'store-unreachable'})
    expect(v.detail).toBe(
      'the value written through web02 is missing on every later request, also through web02: the session store did not keep it',
    )
    expect(v.hint).toContain('tcp://10.77.0.31:11211')
  })

  it('fails with the store when session_start() itself failed, before judging ids that then change', () => {
    const down = (host: 'web01' | 'web02', sid: string) =>
      ex(host, null, {sid, body: {host, session_id: sid, value: null, handler: 'memcache', save_path: want.savePath, started: false}})
    const v = judgeSessionProof(
      [{...down('web01', 'aaaaaaaaaaaa'), wrote: TOKEN}, down('web02', 'bbbbbbbbbbbb'), down('web01', 'cccccccccccc')],
      want,
    )
    expect(v).toMatchObject({
      ok: false,
      cause: 'store-unreachable',
      detail: 'session_start() failed on web01 and web02: the session store did not answer',
    })
  })

  it('fails naming the backend that uses another handler (files): the id alone would have passed', () => {
    const v = judgeSessionProof(
      [
        write('web01', TOKEN, {handler: 'files', savePath: '/tmp'}),
        ex('web02', null),
        ex('web01', TOKEN, {handler: 'files', savePath: '/tmp'}),
      ],
      want,
    )
    expect(v).toMatchObject({ok: false, cause: 'handler'})
    expect(v.detail).toBe(
      'web01 uses session.save_handler=files (expected session.save_handler=memcache, save_path=tcp://10.77.0.31:11211)',
    )
    expect(v.hint).toContain('--step php-session')
  })

  it('fails when a backend points at another store', () => {
    const v = judgeSessionProof([write('web01'), ex('web02', null, {savePath: 'tcp://127.0.0.1:11211'})], want)
    expect(v).toMatchObject({
      ok: false,
      cause: 'handler',
      detail: expect.stringMatching(/^web02 uses session.save_path=tcp:\/\/127.0.0.1:11211/),
    })
  })

  it('fails when the value does not cross although each backend keeps its own', () => {
    const v = judgeSessionProof([write('web01'), ex('web02', null), ex('web01', TOKEN)], want)
    expect(v).toMatchObject({ok: false, cause: 'not-shared', detail: 'a value written through web01 was not read through web02'})
  })

  it("fails with the files handler configured on both (the procedure's original problem), saying so", () => {
    const files = {...want, handler: 'files', savePath: '/tmp'}
    const f = {handler: 'files', savePath: '/tmp'}
    const v = judgeSessionProof([write('web01', TOKEN, f), ex('web02', null, f), ex('web01', TOKEN, f)], files)
    expect(v).toMatchObject({ok: false, cause: 'not-shared', detail: 'a value written through web01 was not read through web02'})
    expect(v.hint).toContain('session.handler is files')
  })

  it('fails when lb01 does not answer at all', () => {
    const v = judgeSessionProof([{status: 0, wrote: TOKEN, error: 'connect ECONNREFUSED 10.77.0.11:80'}], want)
    expect(v).toMatchObject({ok: false, cause: 'lb-unreachable', detail: 'lb01 did not answer: connect ECONNREFUSED 10.77.0.11:80'})
  })

  it('fails when the probe route is not there', () => {
    const v = judgeSessionProof([{status: 404, wrote: TOKEN}, {status: 404}], want)
    expect(v).toMatchObject({ok: false, cause: 'probe-missing', detail: 'the session probe did not answer (HTTP 404, no probe output)'})
  })

  it('passes with a single web host when the value comes back through it', () => {
    const one = {...want, backends: [want.backends[0]!]}
    expect(judgeSessionProof([write('web01'), ex('web01', TOKEN)], one)).toMatchObject({
      ok: true,
      detail: expect.stringContaining('(one web host: read back through it)'),
    })
  })
})

describe('probe answers', () => {
  it('knows the backend from lb01 header, else from the host the probe names', () => {
    expect(upstreamAttempts('10.77.0.22:80, 10.77.0.21:80')).toEqual(['10.77.0.22:80', '10.77.0.21:80'])
    expect(servedBy({status: 200, upstream: '10.77.0.22:80, 10.77.0.21:80'}, want.backends)).toBe('web01')
    expect(servedBy({status: 200, body: {host: 'web02.lab'}}, want.backends)).toBe('web02')
  })

  it('takes only a JSON object as the probe output', () => {
    expect(parseProbeBody('{"host":"web01","value":null}\n')).toEqual({host: 'web01', value: null})
    expect(parseProbeBody('<html>502 Bad Gateway</html>')).toBeUndefined()
    expect(parseProbeBody('[1]')).toBeUndefined()
  })
})
