import {randomBytes} from 'node:crypto'
import {readFileSync} from 'node:fs'

import {hostsWithRole} from '../config/hosts.js'
import type {ClusterHost} from '../engine/step.js'
import {sessionSavePath} from '../php/fpm.js'
import {PROBE_DIR} from '../steps/app.js'
import {cmd, quote} from '../ssh/shell.js'
import {templatePath} from '../templates.js'
import {CookieJar, header, HttpClient} from './http.js'
import {HTTP_PORT, lbHosts, webBackends} from './lb-targets.js'
import {type Backend, judgeSessionProof, parseProbeBody, type ProofExchange, type ProofExpectation, servedBy} from './session-judge.js'
import type {CheckEnv, ClusterCheck, VerifyResult} from './types.js'

/**
 * The cluster proof, the seed's last check: through lb01 with ONE cookie jar, every web host serves the
 * same session and a value written through one is read through another.
 *
 * The requests go from this machine to lb01's address on port 80 with the app's Host header, as a browser
 * would: the path under test is the user's (lb01's public listener, its upstream, each backend), no tool is
 * needed on lb01, and the answers (status, lb01's X-Upstream header, Set-Cookie, the probe's JSON) are read
 * here, where the judgement is a pure function. It needs this machine to reach lb01:80, as a user does.
 *
 * The probe (templates/probes/session-probe.php: host, session id, value, and the handler and save_path in
 * effect, which is how a failure says WHY) is placed for this run only, under a random name, in the folder
 * the app vhost routes /lnmp-deploy/NAME.php to, outside every web root; it is removed from every web host
 * afterwards whatever happened.
 */
export const PROBE_PREFIX = 'lnmp-verify-'

export function probeName(): string {
  return `${PROBE_PREFIX}${randomBytes(8).toString('hex')}.php`
}

const PROBE_SCRIPT = () => readFileSync(templatePath('probes/session-probe.php'), 'utf8')
const HAS_KEY_SCRIPT = () => readFileSync(templatePath('probes/memcache-has-key.php'), 'utf8')

export function proofExpectation(env: Pick<CheckEnv, 'cluster' | 'config'>, lb: string): ProofExpectation {
  const stores = hostsWithRole(env.cluster, 'cache').map((h) => ({address: h.privateAddress, port: env.config.memcached.port}))
  const handler = env.config.session.handler
  return {
    lb,
    backends: webBackends(env),
    handler,
    savePath: stores.length > 0 ? sessionSavePath(handler, stores) : '(no cache host)',
  }
}

export const sessionProofCheck: ClusterCheck = {
  id: 'session-proof',
  title: 'One session through lb01: every web host serves it, a value written through one is read through another',
  targets: lbHosts,
  async run(env, lb): Promise<VerifyResult[]> {
    const want = proofExpectation(env, lb.name)
    const name = probeName()
    const route = `/lnmp-deploy/${name}`
    const command = `GET http://${lb.address}${route} Host: ${env.config.app.serverName}, one cookie jar`
    const webs = hostsWithRole(env.cluster, 'web')
    let exchanges: ProofExchange[]
    let left: string[] = []
    try {
      const placed = await placeProbe(env, webs, name)
      if (placed.length > 0) {
        return [
          {
            name: 'session-proof',
            ok: false,
            detail: `cannot place the probe in ${PROBE_DIR}: ${placed.join('; ')}`,
            command,
            hint: 'run the app step on the web hosts (it creates the probe folder its vhost routes /lnmp-deploy/ to)',
          },
        ]
      }
      exchanges = await sessionExchanges(env, lb.address, route, want.backends)
    } finally {
      left = await removeProbe(env, webs, name)
    }
    const verdict = judgeSessionProof(exchanges, want)
    const proof: VerifyResult = {
      name: 'session-proof',
      ok: verdict.ok,
      detail: verdict.detail,
      command,
      ...(verdict.hint ? {hint: verdict.hint} : {}),
      ...(verdict.ok ? {} : {output: exchanges.map(describeExchange).join('\n')}),
    }
    const sessionId = exchanges.find((ex) => ex.body?.session_id)?.body?.session_id
    if (!verdict.ok || want.handler !== 'memcache' || !sessionId || webs[0] === undefined) return [proof, ...probeLeftRows(left, name)]
    return [proof, ...probeLeftRows(left, name), ...(await sessionOnEveryStore(env, webs[0], sessionId))]
  },
}

/**
 * The session the proof wrote, asked of each store directly from a web host (the stores let only web hosts
 * in): with two or more, every store holds it (session_redundancy), so any one of them can go.
 */
async function sessionOnEveryStore(env: CheckEnv, web: ClusterHost, sessionId: string): Promise<VerifyResult[]> {
  const remote = await env.remoteOf(web.name)
  const php = `${env.config.prefix}/php/bin/php`
  return Promise.all(
    hostsWithRole(env.cluster, 'cache').map(async (store): Promise<VerifyResult> => {
      const r = await remote.exec(cmd(php, '--', store.privateAddress, env.config.memcached.port, sessionId), {stdin: HAS_KEY_SCRIPT()})
      const answer = parseProbeBody(r.stdout) as {found?: boolean; error?: string} | undefined
      const found = answer?.found === true
      return {
        name: `session-on-${store.name}`,
        ok: found,
        detail: found
          ? `${store.name} holds the proof's session`
          : `${store.name} does not hold the proof's session${answer?.error ? ` (${answer.error})` : ''}`,
        command: `${php} -- ${store.privateAddress} ${env.config.memcached.port} SESSION_ID < memcache-has-key.php (on ${web.name})`,
        ...(found
          ? {}
          : {
              hint: `every store must be in session.save_path with memcache.session_redundancy = stores + 1 (lnmp-deploy run --step php-session)`,
            }),
      }
    }),
  )
}

/**
 * One write, then reads until every backend has served a read (at most 2n+2 requests: a backend that never
 * answers is the judgement's business, not a loop's).
 */
async function sessionExchanges(env: CheckEnv, address: string, route: string, backends: readonly Backend[]): Promise<ProofExchange[]> {
  const backendCount = backends.length
  const http = new HttpClient()
  const jar = new CookieJar()
  const token = `lnmp-verify-${randomBytes(8).toString('hex')}`
  const exchanges: ProofExchange[] = []
  const readers = new Set<string>()
  try {
    for (let i = 0; i < 2 * backendCount + 2; i++) {
      const wrote = i === 0 ? token : undefined
      const path = wrote ? `${route}?write=${encodeURIComponent(wrote)}` : route
      let ex: ProofExchange
      try {
        const res = await http.get({address, port: HTTP_PORT, path, host: env.config.app.serverName, cookies: jar})
        const upstream = header(res, 'x-upstream')
        const body = res.status === 200 ? parseProbeBody(res.body) : undefined
        ex = {status: res.status, ...(wrote ? {wrote} : {}), ...(upstream ? {upstream} : {}), ...(body ? {body} : {})}
      } catch (error) {
        ex = {status: 0, ...(wrote ? {wrote} : {}), error: (error as Error).message}
      }
      exchanges.push(ex)
      // lb01 itself not answering will not change within this check: one timeout is enough
      if (ex.status === 0) break
      const by = ex.body ? servedBy(ex, backends) : undefined
      if (i > 0 && by !== undefined) readers.add(by)
      if (i > 0 && readers.size >= backendCount && i >= backendCount) break
    }
  } finally {
    http.close()
  }
  return exchanges
}

/** The probe on every web host, in one exec each (stdin, no SFTP round trips); what failed, per host. */
export async function placeProbe(env: CheckEnv, webs: readonly ClusterHost[], name: string): Promise<string[]> {
  const script = PROBE_SCRIPT()
  const results = await Promise.all(
    webs.map(async (web) => {
      const remote = await env.remoteOf(web.name)
      const r = await remote.exec(`umask 022 && ${cmd('test', '-d', PROBE_DIR)} && cat > ${quote(`${PROBE_DIR}/${name}`)}`, {
        sudo: true,
        stdin: script,
      })
      return r.code === 0 ? undefined : `${web.name}: ${r.stderr.trim() || `no folder ${PROBE_DIR}`}`
    }),
  )
  return results.filter((r): r is string => r !== undefined)
}

/**
 * Nothing stays behind: removed from every web host, also after a failure, asked twice; the hosts where it
 * could not be removed are returned, so the check says so instead of leaving it to the next verify.
 */
export async function removeProbe(env: CheckEnv, webs: readonly ClusterHost[], name: string): Promise<string[]> {
  const left = await Promise.all(
    webs.map(async (web) => {
      for (let attempt = 0; attempt < 2; attempt++) {
        try {
          const remote = await env.remoteOf(web.name)
          if ((await remote.exec(cmd('rm', '-f', `${PROBE_DIR}/${name}`), {sudo: true})).code === 0) return undefined
        } catch {
          // dropped or refused: asked once more below
        }
        await new Promise((res) => setTimeout(res, 500))
      }
      return web.name
    }),
  )
  return left.filter((h): h is string => h !== undefined)
}

/** A row for the hosts a probe could not be removed from, when there are any. */
export function probeLeftRows(left: readonly string[], name: string): VerifyResult[] {
  if (left.length === 0) return []
  return [
    {
      name: 'session-probe-removed',
      ok: false,
      detail: `the probe ${PROBE_DIR}/${name} could not be removed from ${left.join(', ')}`,
      hint: `remove it by hand: rm ${PROBE_DIR}/${name} on ${left.join(', ')}`,
    },
  ]
}

/** One line per request for a failure's output: what was asked, who answered, what came back. */
export function describeExchange(ex: ProofExchange, i: number): string {
  const what = ex.wrote ? `write ${ex.wrote}` : 'read'
  if (ex.status === 0) return `#${i + 1} ${what}: no answer (${ex.error ?? ''})`
  const b = ex.body
  const body = b
    ? ` host=${b.host ?? '?'} handler=${b.handler ?? '?'} save_path=${b.save_path ?? '?'} id=${(b.session_id ?? '').slice(0, 8)} value=${b.value ?? 'null'}`
    : ' (no probe output)'
  return `#${i + 1} ${what}: HTTP ${ex.status} upstream=${ex.upstream ?? '-'}${body}`
}
