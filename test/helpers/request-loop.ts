import {Browser, hiddenInputs, isLoggedIn, isLoginPage} from './phpmyadmin.js'

/**
 * A user logged into phpMyAdmin through lb01, asking for a page every `intervalMs` while a change runs: the
 * measure of "zero failed requests and zero lost logins". Bounded in count and time, it stops by itself; only
 * lab addresses (10.77.0.0/24) are accepted as a target.
 */
export interface LoopReport {
  requests: number
  /** answers other than 200, and requests that got no answer */
  failed: number
  /** 200 answers that were phpMyAdmin's login page: the session was lost */
  loggedOut: number
  byBackend: Record<string, number>
  /** GETs resent after the balancer closed a kept-alive connection as they went out (as a browser does) */
  resent: number
  /** the first few problems, for the assertion message */
  problems: string[]
  durationMs: number
}

export interface LoopOptions {
  intervalMs?: number
  maxRequests?: number
  maxMs?: number
}

const LAB_NET = /^10\.77\.0\.\d{1,3}$/

export async function logIn(lb: string, serverName: string, user: string, password: string): Promise<Browser> {
  if (!LAB_NET.test(lb)) throw new Error(`request loops target lab hosts only, not ${lb}`)
  const browser = new Browser(lb, serverName)
  const page = await browser.get('/index.php')
  if (!isLoginPage(page.body)) throw new Error(`no login page through ${lb} (${page.status})`)
  await browser.post('/index.php?route=/', {...hiddenInputs(page.body), pma_username: user, pma_password: password, server: '1'})
  const after = await browser.get('/index.php?route=/')
  if (after.status !== 200 || !isLoggedIn(after.body)) throw new Error(`logging in through ${lb} failed (${after.status})`)
  return browser
}

export class RequestLoop {
  private stopped = false
  private readonly done: Promise<LoopReport>

  private constructor(browser: Browser, options: Required<LoopOptions>) {
    this.done = this.loop(browser, options)
  }

  static start(browser: Browser, options: LoopOptions = {}): RequestLoop {
    return new RequestLoop(browser, {intervalMs: 200, maxRequests: 6000, maxMs: 20 * 60_000, ...options})
  }

  /** Ends the loop (it also ends by itself at its bounds) and tells what it saw. */
  async stop(): Promise<LoopReport> {
    this.stopped = true
    return this.done
  }

  private async loop(browser: Browser, o: Required<LoopOptions>): Promise<LoopReport> {
    const started = Date.now()
    const report: LoopReport = {requests: 0, failed: 0, loggedOut: 0, byBackend: {}, resent: 0, problems: [], durationMs: 0}
    const problem = (text: string) => {
      if (report.problems.length < 10) report.problems.push(`${new Date().toISOString()} ${text}`)
    }
    while (!this.stopped && report.requests < o.maxRequests && Date.now() - started < o.maxMs) {
      const t0 = Date.now()
      report.requests++
      try {
        const page = await browser.get('/index.php?route=/')
        const backend = page.backend ?? '?'
        report.byBackend[backend] = (report.byBackend[backend] ?? 0) + 1
        if (page.status !== 200) {
          report.failed++
          problem(`${page.status} from ${backend}`)
        } else if (!isLoggedIn(page.body)) {
          report.loggedOut++
          problem(`logged out on ${backend}`)
        }
      } catch (error) {
        report.failed++
        problem(`no answer: ${(error as Error).message}`)
      }
      await new Promise((r) => setTimeout(r, Math.max(0, o.intervalMs - (Date.now() - t0))))
    }
    report.durationMs = Date.now() - started
    report.resent = browser.retriedOnClosedConnection
    return report
  }
}

export function describeLoop(what: string, r: LoopReport): string {
  const backends = Object.entries(r.byBackend)
    .map(([b, n]) => `${b} ${n}`)
    .join(', ')
  return `[loop] ${what}: ${r.requests} requests in ${Math.round(r.durationMs / 1000)} s (${backends}): ${r.failed} failed, ${r.loggedOut} logged out, ${r.resent} resent on a closed kept-alive connection`
}
