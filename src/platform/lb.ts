import {isIP} from 'node:net'
import {cmd} from '../ssh/shell.js'
import {renderTemplate} from '../templates.js'

/** conf.d/ is included by the packaged nginx.conf on Debian, Ubuntu and the RHEL family alike. */
export const LB_CONF_PATH = '/etc/nginx/conf.d/lnmp-upstream.conf'

/** Debian's default site claims default_server on :80; the lb step removes this link so lb01 answers any Host. */
export const DEBIAN_DEFAULT_SITE = '/etc/nginx/sites-enabled/default'

export interface LbUpstream {
  serverName: string
  /** the web hosts' private addresses */
  backends: readonly string[]
  port?: number
}

export function renderLbUpstream(lb: LbUpstream): string {
  if (lb.backends.length === 0) throw new Error('the load balancer needs at least one web host')
  const port = lb.port ?? 80
  const servers = lb.backends.map((a) => `    server ${isIP(a) === 6 ? `[${a}]` : a}:${port};`).join('\n')
  return renderTemplate('lb/lnmp-upstream.conf', {serverName: lb.serverName, servers})
}

/**
 * One HTTP/1.0 request from a host to an address on itself or its network, in bash alone (minimal hosts
 * have no curl): the lb and app steps check what nginx answers with it. An empty hostHeader sends none,
 * which is how a client that only knows the address arrives.
 */
const HTTP_GET_SCRIPT = [
  'exec 3<>"/dev/tcp/$1/$2" || exit 7',
  `if [ -n "$4" ]; then printf 'GET %s HTTP/1.0\\r\\nHost: %s\\r\\n\\r\\n' "$3" "$4"; else printf 'GET %s HTTP/1.0\\r\\n\\r\\n' "$3"; fi >&3`,
  'cat <&3',
].join('\n')

export function httpGetCommand(request: {address: string; port?: number; path?: string; hostHeader?: string}): string {
  return cmd('timeout', 5, 'bash', '-c', HTTP_GET_SCRIPT, 'http-get', request.address, request.port ?? 80, request.path ?? '/', request.hostHeader ?? '')
}

export interface HttpResponse {
  status: number
  /** lower-cased names; the last value of a repeated header */
  headers: Map<string, string>
  body: string
}

export function parseHttpResponse(raw: string): HttpResponse | undefined {
  const split = raw.indexOf('\r\n\r\n')
  const head = split === -1 ? raw : raw.slice(0, split)
  const [statusLine, ...lines] = head.split('\r\n')
  const m = /^HTTP\/\d\.\d (\d{3})/.exec(statusLine ?? '')
  if (!m) return undefined
  const headers = new Map<string, string>()
  for (const line of lines) {
    const colon = line.indexOf(':')
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim())
  }
  return {status: Number(m[1]), headers, body: split === -1 ? '' : raw.slice(split + 4)}
}
