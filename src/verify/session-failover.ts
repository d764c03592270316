import {randomBytes} from 'node:crypto'

import {hostsWithRole} from '../config/hosts.js'
import type {ClusterHost} from '../engine/step.js'
import {serviceName} from '../platform/services.js'
import {cmd} from '../ssh/shell.js'
import {listeningCommand} from '../steps/support/checks.js'
import {CookieJar, HttpClient, header} from './http.js'
import {HTTP_PORT, lbHosts, webBackends} from './lb-targets.js'
import {type Backend, parseProbeBody, servedBy} from './session-judge.js'
import {placeProbe, probeLeftRows, probeName, removeProbe} from './session-proof.js'
import type {CheckEnv, ClusterCheck, VerifyResult} from './types.js'

/**
 * `verify --check session-failover` (issue 10): the session proof with each session store stopped in turn.
 * A value is written into one session through lb01; then, per store, memcached is stopped there, the value
 * must still be read through every web host, memcached is started again (empty), and the value must still be
 * read. It changes the cluster for seconds, says so before it does, and is never part of a plain verify.
 */
export const sessionFailoverCheck: ClusterCheck = {
  id: 'session-failover',
  title: 'Each session store stopped, then started empty, in turn: a session written before is read through every web host',
  onlyWhenAsked: true,
  targets: lbHosts,
  async run(env, lb): Promise<VerifyResult[]> {
    const stores = hostsWithRole(env.cluster, 'cache')
    if (stores.length < 2) {
      return [
        {
          name: 'session-failover',
          ok: false,
          detail: `one session store (${stores.map((s) => s.name).join('') || 'none'}): stopping it logs every user out`,
          hint: 'give a second host the cache role (a dedicated cache host, or a web host): sessions are then written to both',
        },
      ]
    }
    const webs = hostsWithRole(env.cluster, 'web')
    const name = probeName()
    const placed = await placeProbe(env, webs, name)
    if (placed.length > 0) {
      await removeProbe(env, webs, name)
      return [
        {
          name: 'session-failover',
          ok: false,
          detail: `cannot place the probe: ${placed.join('; ')}`,
          hint: 'run the app step on the web hosts',
        },
      ]
    }
    const client = new SessionClient(env, lb.address, `/lnmp-deploy/${name}`, webBackends(env))
    const results: VerifyResult[] = []
    let left: string[]
    try {
      const token = `lnmp-failover-${randomBytes(8).toString('hex')}`
      const wrote = await client.request(token)
      if (wrote.value === token) {
        for (const store of stores) results.push(await failOver(env, client, store, token))
      } else {
        results.push({
          name: 'session-failover',
          ok: false,
          detail: `the value written through lb01 did not stick (${wrote.problem ?? 'read back other'})`,
          hint: 'run `lnmp-deploy verify --check session-proof` first',
        })
      }
    } finally {
      client.close()
      left = await removeProbe(env, webs, name)
    }
    return [...results, ...probeLeftRows(left, name)]
  },
}

async function failOver(env: CheckEnv, client: SessionClient, store: ClusterHost, token: string): Promise<VerifyResult> {
  const remote = await env.remoteOf(store.name)
  const unit = serviceName('memcached', (await env.contextFor(store)).facts)
  env.notice?.(`session-failover: stopping memcached on ${store.name} for a few seconds, then starting it again (empty)`)
  let whileDown: ReadOutcome
  const stop = await remote.exec(cmd('systemctl', 'stop', unit), {sudo: true})
  try {
    whileDown =
      stop.code === 0 ? await client.readEverywhere(token) : {ok: false, detail: `systemctl stop ${unit} failed: ${stop.stderr.trim()}`}
  } finally {
    await remote.exec(cmd('systemctl', 'start', unit), {sudo: true})
    await remote.exec(
      `for i in $(seq 50); do ${listeningCommand(env.config.memcached.port)} | grep -q . && exit 0; sleep 0.1; done; exit 1`,
      {sudo: true},
    )
  }
  const afterRestart = await client.readEverywhere(token)
  const ok = whileDown.ok && afterRestart.ok
  return {
    name: `session-failover-${store.name}`,
    ok,
    detail: `memcached on ${store.name} stopped: ${whileDown.detail}; started again empty: ${afterRestart.detail}`,
    command: `systemctl stop ${unit} on ${store.name}; GET through ${client.address}; systemctl start ${unit}; GET again`,
    ...(ok
      ? {}
      : {
          hint: `is ${store.name} in every web host's session.save_path with memcache.session_redundancy = stores + 1? (lnmp-deploy run --step php-session)`,
        }),
  }
}

interface ReadOutcome {
  ok: boolean
  detail: string
}

/** One browser with one cookie jar, asking the probe through lb01. */
class SessionClient {
  private readonly http = new HttpClient()
  private readonly jar = new CookieJar()

  constructor(
    private readonly env: CheckEnv,
    readonly address: string,
    private readonly route: string,
    private readonly backends: readonly Backend[],
  ) {}

  async request(write?: string): Promise<{value?: string | null; backend?: string; problem?: string}> {
    const path = write ? `${this.route}?write=${encodeURIComponent(write)}` : this.route
    try {
      const res = await this.http.get({
        address: this.address,
        port: HTTP_PORT,
        path,
        host: this.env.config.app.serverName,
        cookies: this.jar,
      })
      const body = res.status === 200 ? parseProbeBody(res.body) : undefined
      if (!body) return {problem: `HTTP ${res.status}`}
      const upstream = header(res, 'x-upstream')
      const backend = servedBy({status: res.status, body, ...(upstream ? {upstream} : {})}, this.backends)
      return {value: body.value ?? null, ...(backend ? {backend} : {})}
    } catch (error) {
      return {problem: (error as Error).message}
    }
  }

  /** Reads until every web host has answered (at most 2n+2 requests); every answer must carry the value. */
  async readEverywhere(token: string): Promise<ReadOutcome> {
    const served = new Set<string>()
    for (let i = 0; i < 2 * this.backends.length + 2 && served.size < this.backends.length; i++) {
      const r = await this.request()
      if (r.value !== token)
        return {
          ok: false,
          detail: `read ${i + 1} (${r.backend ?? 'no backend'}): ${r.problem ?? `value ${JSON.stringify(r.value)} is not the one written`}`,
        }
      if (r.backend) served.add(r.backend)
    }
    const names = [...served].sort().join(', ')
    return served.size < this.backends.length ? {ok: false, detail: `only ${names} answered`} : {ok: true, detail: `read through ${names}`}
  }

  close(): void {
    this.http.close()
  }
}
