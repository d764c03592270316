import {messages} from '../messages.js'

/**
 * The seed's last milestone, judged: log in through lb01 and stay logged in whichever web host answers.
 * Pure: recorded exchanges in, a verdict out, so every way it fails is pinned by a unit test. Exit codes
 * and session ids alone prove nothing (a write to a dead memcached is only a PHP warning, and with the
 * files handler the id stays the same on both backends): the verdict rests on a value crossing backends.
 */

/** A web host as the load balancer knows it. */
export interface Backend {
  name: string
  /** the address lb01's upstream uses (its privateAddress) */
  address: string
}

/** What the session probe prints (templates/probes/session-probe.php). */
export interface ProbeBody {
  host?: string
  session_id?: string
  value?: string | null
  handler?: string
  save_path?: string
  started?: boolean
}

/** One request through the load balancer and its answer. */
export interface ProofExchange {
  /** the value this request stored in the session, when it wrote */
  wrote?: string
  /** HTTP status; 0 when nothing answered */
  status: number
  error?: string
  /** lb01's X-Upstream header: the backends tried, last one answered ("a:80, b:80" after a failover) */
  upstream?: string
  body?: ProbeBody
}

export interface ProofExpectation {
  lb: string
  backends: readonly Backend[]
  handler: string
  savePath: string
}

export type ProofCause =
  | 'lb-unreachable'
  | 'probe-missing'
  | 'backend-error'
  | 'one-backend'
  | 'handler'
  | 'id-changed'
  | 'store-unreachable'
  | 'not-shared'

export interface ProofVerdict {
  ok: boolean
  detail: string
  hint?: string
  cause?: ProofCause
  /** backends that served the probe, in order of first appearance */
  served: string[]
}

/** Parse the probe's JSON line; anything else (an HTML page, an error page) is no probe answer. */
export function parseProbeBody(text: string): ProbeBody | undefined {
  try {
    const data: unknown = JSON.parse(text.trim())
    if (data === null || typeof data !== 'object' || Array.isArray(data)) return undefined
    return data as ProbeBody
  } catch {
    return undefined
  }
}

/** nginx's $upstream_addr: attempts separated by ', ' (and ' : ' across upstream groups); the last one answered. */
export function upstreamAttempts(header: string | undefined): string[] {
  if (!header) return []
  return header
    .split(/\s*[,:]\s+/)
    .map((s) => s.trim())
    .filter(Boolean)
}

function backendByAddress(backends: readonly Backend[], hostPort: string): Backend | undefined {
  const host = hostPort.replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1')
  return backends.find((b) => b.address === host)
}

/** Which backend answered an exchange: lb01's header first, else the host name the probe printed. */
export function servedBy(ex: ProofExchange, backends: readonly Backend[]): string | undefined {
  const last = upstreamAttempts(ex.upstream).at(-1)
  const byHeader = last === undefined ? undefined : backendByAddress(backends, last)
  if (byHeader) return byHeader.name
  const host = ex.body?.host
  if (host === undefined) return last
  return backends.find((b) => b.name === host || host.startsWith(`${b.name}.`))?.name ?? host
}

const short = (id: string | undefined) => (id ? `${id.slice(0, 8)}…` : '(none)')

function list(names: readonly string[]): string {
  if (names.length <= 1) return names.join('')
  return `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`
}

export function judgeSessionProof(exchanges: readonly ProofExchange[], want: ProofExpectation): ProofVerdict {
  const lbWord = want.lb
  const served: string[] = []
  for (const ex of exchanges) {
    const name = ex.status === 200 && ex.body ? servedBy(ex, want.backends) : undefined
    if (name !== undefined && !served.includes(name)) served.push(name)
  }
  const verdict = (ok: boolean, cause: ProofCause | undefined, detail: string, hint?: string): ProofVerdict => ({
    ok,
    detail,
    served,
    ...(cause ? {cause} : {}),
    ...(hint ? {hint} : {}),
  })

  // 1. the load balancer itself
  if (exchanges.length === 0 || exchanges.every((e) => e.status === 0)) {
    const error = exchanges.find((e) => e.error)?.error ?? 'no request made'
    return verdict(
      false,
      'lb-unreachable',
      `${lbWord} did not answer: ${error}`,
      `is nginx running on ${lbWord}, and can this machine reach its port 80?`,
    )
  }

  // 2. a backend that answers with an error (php-fpm down behind a running nginx answers 502)
  const failing = exchanges.filter((e) => e.status >= 500)
  if (failing.length > 0) {
    const names = [...new Set(failing.map((e) => servedBy(e, want.backends) ?? `${lbWord} itself`))]
    const statuses = [...new Set(failing.map((e) => e.status))].join('/')
    const viaBackend = failing.some((e) => upstreamAttempts(e.upstream).length > 0)
    return verdict(
      false,
      'backend-error',
      `${list(names)} answered ${statuses} through ${lbWord} (${failing.length} of ${exchanges.length} requests)`,
      viaBackend
        ? `a web host's nginx answers 502 when its PHP-FPM is not running: check \`systemctl status php-fpm\` on ${list(names)}`
        : `${lbWord} found no web host to answer: is nginx running on the web hosts?`,
    )
  }

  // 3. the probe route itself
  const answered = exchanges.filter((e) => e.status === 200 && e.body)
  if (answered.length === 0) {
    const statuses = [...new Set(exchanges.map((e) => e.status))].join('/')
    return verdict(
      false,
      'probe-missing',
      `the session probe did not answer (HTTP ${statuses}, no probe output)`,
      'is the app deployed on the web hosts with its /lnmp-deploy/ probe route?',
    )
  }

  // 4. every backend must serve: one missing is down or out of the upstream
  const missing = want.backends.map((b) => b.name).filter((n) => !served.includes(n))
  if (missing.length > 0) {
    const skipped = new Set<string>()
    for (const e of exchanges) {
      for (const attempt of upstreamAttempts(e.upstream).slice(0, -1))
        skipped.add(backendByAddress(want.backends, attempt)?.name ?? attempt)
    }
    const failover = skipped.size > 0 ? `; ${lbWord} tried ${list([...skipped])} and moved on` : ''
    return verdict(
      false,
      'one-backend',
      `only ${list(served)} served ${exchanges.length} requests; ${list(missing)} never answered through ${lbWord}${failover}`,
      failover
        ? // the balancer retries a request a backend fails (502 from a stopped PHP-FPM, a refused connection)
          `${lbWord} reached ${list([...skipped])} but got an error or no connection: is \`systemctl start php-fpm\` on ${list([...skipped])} needed (and nginx running there)?`
        : // the balancer also stops trying a backend that failed twice within 5 s: a stopped PHP-FPM looks the same then
          `is nginx running on ${list(missing)}, with PHP-FPM (\`systemctl status nginx php-fpm\` on ${list(missing)}), and is it in ${lbWord}'s upstream?`,
    )
  }

  // 5. a backend with another session handler or store: its sessions live elsewhere
  const wrong = new Map<string, string>()
  for (const e of answered) {
    const name = servedBy(e, want.backends) ?? '?'
    const b = e.body as ProbeBody
    if (b.handler !== want.handler) wrong.set(name, `session.save_handler=${b.handler ?? '(unset)'}`)
    else if (b.save_path !== want.savePath) wrong.set(name, `session.save_path=${b.save_path ?? '(unset)'}`)
  }
  if (wrong.size > 0) {
    const found = [...wrong].map(([n, w]) => `${n} uses ${w}`).join('; ')
    return verdict(
      false,
      'handler',
      `${found} (expected session.save_handler=${want.handler}, save_path=${want.savePath})`,
      `run the php-session step on ${list([...wrong.keys()])} (${messages.rerun.command('php-session')}) and check that no later php.ini line overrides it`,
    )
  }

  // 6. a store that cannot be reached: session_start() itself fails on some handlers (only a warning in PHP)
  const unstarted = [...new Set(answered.filter((e) => e.body?.started === false).map((e) => servedBy(e, want.backends) ?? '?'))]
  if (unstarted.length > 0) {
    return verdict(
      false,
      'store-unreachable',
      `session_start() failed on ${list(unstarted)}: the session store did not answer`,
      `is memcached running on the store (${want.savePath}) and reachable from the web hosts?`,
    )
  }

  // 7. one cookie jar, one session
  const write = answered.find((e) => e.wrote !== undefined)
  const firstId = (write ?? answered[0])?.body?.session_id
  const changed = answered.find((e) => e.body?.session_id !== firstId)
  if (changed) {
    const on = servedBy(changed, want.backends) ?? '?'
    return verdict(
      false,
      'id-changed',
      `the session id changed from ${short(firstId)} to ${short(changed.body?.session_id)} on ${on}`,
      `${on} did not find the session in the store and started a new one, or the cookie did not come back: check ${on}'s session settings and that it reaches the store`,
    )
  }

  // 8. the value written through one backend, read through the others
  if (!write || write.body?.value !== write.wrote) {
    return verdict(
      false,
      'probe-missing',
      'the probe did not store the value it was given',
      'is the probe route the one lnmp-deploy deploys?',
    )
  }
  const writer = servedBy(write, want.backends) ?? '?'
  const reads = answered.filter((e) => e !== write && exchanges.indexOf(e) > exchanges.indexOf(write))
  const seen = (e: ProofExchange) => e.body?.value === write.wrote
  const readers = (ok: boolean) => [...new Set(reads.filter((e) => seen(e) === ok).map((e) => servedBy(e, want.backends) ?? '?'))]
  const lost = readers(false)
  if (reads.length > 0 && lost.length > 0) {
    if (reads.every((e) => !seen(e)) && lost.includes(writer)) {
      return verdict(
        false,
        'store-unreachable',
        `the value written through ${writer} is missing on every later request, also through ${writer}: the session store did not keep it`,
        `PHP only warns when a session write fails: is memcached running on the store (${want.savePath}) and reachable from the web hosts?`,
      )
    }
    return verdict(
      false,
      'not-shared',
      `a value written through ${writer} was not read through ${list(lost)}`,
      want.handler === 'files'
        ? "session.handler is files: each web host keeps its sessions on its own disk, the procedure's original problem; set session.handler: memcache and run the php-session step"
        : `${writer} and ${list(lost)} must use the same store: compare session.save_handler and save_path on them`,
    )
  }
  const crossed = readers(true).filter((n) => n !== writer)
  const others = want.backends.map((b) => b.name).filter((n) => n !== writer)
  const notCrossed = others.filter((n) => !crossed.includes(n))
  if (notCrossed.length > 0) {
    return verdict(
      false,
      'one-backend',
      `no read went through ${list(notCrossed)} after the write through ${writer}`,
      `is ${list(notCrossed)} in ${lbWord}'s upstream with the same weight?`,
    )
  }
  const crossedWords = crossed.length > 0 ? `, read through ${list(crossed)}` : ' (one web host: read back through it)'
  // in config order, so the same healthy cluster reads the same whichever backend the balancer picked first
  const servedInOrder = want.backends.map((b) => b.name).filter((n) => served.includes(n))
  return verdict(
    true,
    undefined,
    `${exchanges.length} requests: ${list(servedInOrder)} served one session ${short(firstId)}; a value written through ${writer}${crossedWords}`,
  )
}
