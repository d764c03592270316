import {Agent, request} from 'node:http'

/**
 * Requests from the controller to the load balancer, the way a browser makes them: to lb01's address on
 * port 80 with the app's Host header and one cookie jar. node:http rather than fetch: fetch treats Host as
 * a forbidden header, and the Host is what selects the app's server block on lb01.
 */
export interface HttpResponse {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: string
}

export interface HttpGet {
  address: string
  port: number
  path: string
  host: string
  cookies?: CookieJar
  timeoutMs?: number
}

/** One keep-alive pool per use: a dozen requests through lb01 do not open a dozen TCP connections. */
export class HttpClient {
  private readonly agent = new Agent({keepAlive: true, maxSockets: 2})

  get(req: HttpGet): Promise<HttpResponse> {
    return httpGet(req, this.agent)
  }

  /** Idle keep-alive sockets would hold the process open: always close. */
  close(): void {
    this.agent.destroy()
  }
}

function httpGet(req: HttpGet, agent: Agent): Promise<HttpResponse> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = {host: req.host, 'cache-control': 'no-cache'}
    const cookie = req.cookies?.header()
    if (cookie) headers.cookie = cookie
    const r = request(
      {host: req.address, port: req.port, path: req.path, method: 'GET', headers, agent, timeout: req.timeoutMs ?? 5000},
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => {
          req.cookies?.store(res.headers['set-cookie'])
          resolve({status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8')})
        })
        res.on('error', reject)
      },
    )
    r.on('timeout', () => r.destroy(new Error(`no answer from ${req.address}:${req.port} within ${req.timeoutMs ?? 5000} ms`)))
    r.on('error', reject)
    r.end()
  })
}

/** Enough of a cookie jar for one site: name=value pairs, replaced by later Set-Cookie headers, deleted ones dropped. */
export class CookieJar {
  private readonly cookies = new Map<string, string>()

  store(setCookie: readonly string[] | undefined): void {
    for (const line of setCookie ?? []) {
      const [pair = '', ...attrs] = line.split(';')
      const eq = pair.indexOf('=')
      if (eq <= 0) continue
      const name = pair.slice(0, eq).trim()
      const value = pair.slice(eq + 1).trim()
      const expired = attrs.some((a) => /^\s*max-age=\s*(0|-\d+)\s*$/i.test(a)) || value === 'deleted'
      if (expired) this.cookies.delete(name)
      else this.cookies.set(name, value)
    }
  }

  get(name: string): string | undefined {
    return this.cookies.get(name)
  }

  header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ')
  }
}

export function header(res: HttpResponse, name: string): string | undefined {
  const v = res.headers[name.toLowerCase()]
  return Array.isArray(v) ? v.join(', ') : v
}
