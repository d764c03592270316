import {request} from 'node:http'

import {CookieJar} from '../../src/verify/http.js'

/**
 * A browser's worth of phpMyAdmin: the seed's last check is a person logging in through the balancer and
 * clicking around until both web hosts have served a page. GET and form POST with one cookie jar, the Host
 * header of the app, and which backend answered (the web vhost's X-Backend header).
 */
export interface PageAnswer {
  status: number
  backend: string | undefined
  location: string | undefined
  body: string
}

export class Browser {
  readonly cookies = new CookieJar()
  /**
   * Requests sent again because the balancer closed a kept-alive connection just as they went out on it (nginx
   * closes idle connections when a reload retires its old workers). A browser resends an idempotent request then
   * (RFC 9112 9.3.1); Node does not, so this does, for GETs only, and counts it: no server ever answered an error.
   */
  retriedOnClosedConnection = 0

  constructor(
    private readonly address: string,
    private readonly host: string,
  ) {}

  async get(path: string): Promise<PageAnswer> {
    try {
      return await this.send('GET', path)
    } catch (error) {
      if (!(error as {closedKeptAlive?: boolean}).closedKeptAlive) throw error
      this.retriedOnClosedConnection++
      return this.send('GET', path)
    }
  }

  post(path: string, form: Record<string, string>): Promise<PageAnswer> {
    return this.send('POST', path, new URLSearchParams(form).toString())
  }

  private send(method: 'GET' | 'POST', path: string, body?: string): Promise<PageAnswer> {
    return new Promise((resolve, reject) => {
      const headers: Record<string, string> = {host: this.host}
      const cookie = this.cookies.header()
      if (cookie) headers.cookie = cookie
      if (body !== undefined) {
        headers['content-type'] = 'application/x-www-form-urlencoded'
        headers['content-length'] = String(Buffer.byteLength(body))
      }
      const r = request({host: this.address, port: 80, path, method, headers, timeout: 15_000}, (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => {
          this.cookies.store(res.headers['set-cookie'])
          const backend = res.headers['x-backend']
          resolve({
            status: res.statusCode ?? 0,
            backend: Array.isArray(backend) ? backend[0] : backend,
            location: res.headers.location,
            body: Buffer.concat(chunks).toString('utf8'),
          })
        })
        res.on('error', reject)
      })
      r.on('timeout', () => r.destroy(new Error(`${method} ${path}: no answer within 15 s`)))
      r.on('error', (error: NodeJS.ErrnoException) => {
        // closed by the server before any answer, on a connection kept from an earlier request
        const closed = r.reusedSocket && (error.code === 'ECONNRESET' || error.message === 'socket hang up')
        reject(closed ? Object.assign(error, {closedKeptAlive: true}) : error)
      })
      r.end(body)
    })
  }
}

/** The hidden form fields phpMyAdmin's login page carries (token, set_session, ...). */
export function hiddenInputs(html: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const m of html.matchAll(/<input[^>]*type="hidden"[^>]*>/g)) {
    const name = /name="([^"]+)"/.exec(m[0])?.[1]
    const value = /value="([^"]*)"/.exec(m[0])?.[1]
    if (name !== undefined && value !== undefined) out[name] = value.replaceAll('&amp;', '&')
  }
  return out
}

export const isLoginPage = (html: string): boolean => html.includes('id="login_form"')
export const isLoggedIn = (html: string): boolean => /route=\/logout|class="logout"|id="logout"/.test(html) && !isLoginPage(html)
