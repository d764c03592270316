import {isIP} from 'node:net'
import {renderTemplate} from '../templates.js'

/** nginx's fastcgi_pass for PHP-FPM's listen: `127.0.0.1:9000` as is, a socket path as `unix:/path`. */
export function fastcgiPass(fpmListen: string): string {
  return fpmListen.startsWith('/') ? `unix:${fpmListen}` : fpmListen
}

export type SessionHandler = 'memcache' | 'memcached' | 'files'

/** save_path syntax differs: `tcp://host:port` for the memcache extension, `host:port` for memcached. */
export function sessionSavePath(handler: SessionHandler, host: string, port: number): string {
  const h = isIP(host) === 6 ? `[${host}]` : host
  if (handler === 'memcache') return `tcp://${h}:${port}`
  if (handler === 'memcached') return `${h}:${port}`
  return '/tmp'
}

/** The php.ini block for sessions, appended after php.ini-production's own session lines. */
export function renderSessionIni(handler: SessionHandler, host: string, port: number): string {
  return renderTemplate('php/session.ini', {handler, savePath: sessionSavePath(handler, host, port)})
}

/** php-fpm.conf of one build: its pid, log and pools in its own directory. */
export function renderFpmConfig(phpDir: string): string {
  return renderTemplate('php/php-fpm.conf', {phpDir})
}

export function renderFpmPool(listen: string, maxChildren = 5): string {
  return renderTemplate('php/www.conf', {listen, maxChildren})
}
