import {isIP} from 'node:net'
import {renderTemplate} from '../templates.js'

/** nginx's fastcgi_pass for PHP-FPM's listen: `127.0.0.1:9000` as is, a socket path as `unix:/path`. */
export function fastcgiPass(fpmListen: string): string {
  return fpmListen.startsWith('/') ? `unix:${fpmListen}` : fpmListen
}

export type SessionHandler = 'memcache' | 'memcached' | 'files'

/**
 * How long the memcache extension waits for a store, in seconds. Its default, 1 s, is exactly Linux's first
 * SYN retransmission timeout: one lost SYN to memcached failed the session read, PHP started that request with
 * an empty session, and a logged-in user saw one logged-out page (measured on the lab with 10% of SYNs to
 * memcached dropped: 23 drops, 23 logouts in 237 requests; with 3 s: 21 drops, 0 logouts in 254, but a later run
 * 14 drops, 1 logout in 163: the second retransmission leaves at 3 s, on the edge of a 3 s wait). 4 s rides out two
 * lost SYNs in a row (sent at 0, 1 and 3 s); the price is that a store gone without a reset costs a request 4 s.
 */
export const MEMCACHE_TIMEOUT_SECONDS = 4

/** One store of save_path, in the extension's syntax: `tcp://host:port?timeout=4` for memcache, `host:port` for memcached. */
function storePath(handler: SessionHandler, host: string, port: number): string {
  const h = isIP(host) === 6 ? `[${host}]` : host
  return handler === 'memcache' ? `tcp://${h}:${port}?timeout=${MEMCACHE_TIMEOUT_SECONDS}` : `${h}:${port}`
}

/** save_path naming every store, comma-separated as both extensions read it; files keeps PHP's /tmp. */
export function sessionSavePath(handler: SessionHandler, stores: ReadonlyArray<{address: string; port: number}>): string {
  if (handler === 'files') return '/tmp'
  return stores.map((s) => storePath(handler, s.address, s.port)).join(handler === 'memcache' ? ', ' : ',')
}

/**
 * The php.ini block for sessions, appended after php.ini-production's own session lines. With two or more
 * memcache stores: every session written to each (the extension counts the copies one short:
 * session_redundancy = stores + 1), keys placed by consistent hashing, and a read that fails on one store
 * asked of the next.
 */
export function renderSessionIni(handler: SessionHandler, stores: ReadonlyArray<{address: string; port: number}>): string {
  const base = renderTemplate('php/session.ini', {handler, savePath: sessionSavePath(handler, stores)})
  if (handler !== 'memcache' || stores.length < 2) return base
  return base + renderTemplate('php/session-redundancy.ini', {redundancy: stores.length + 1})
}

/** php-fpm.conf of one build: its pid, log and pools in its own directory. */
export function renderFpmConfig(phpDir: string): string {
  return renderTemplate('php/php-fpm.conf', {phpDir})
}

export function renderFpmPool(listen: string, maxChildren = 5): string {
  return renderTemplate('php/www.conf', {listen, maxChildren})
}
