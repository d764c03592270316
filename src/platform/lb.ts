import {isIP} from 'node:net'
import {cmd, quote} from '../ssh/shell.js'
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

/**
 * A backend that fails a connection or answers 502-504 twice within 5 s rests for 5 s; the request that met
 * the failure is retried on the next backend (GET and HEAD only: nginx never retries a POST that was sent).
 */
export const BACKEND_PARAMS = 'max_fails=2 fail_timeout=5s'

function backendAddress(address: string, port: number): string {
  return `${isIP(address) === 6 ? `[${address}]` : address}:${port}`
}

export function renderLbUpstream(lb: LbUpstream): string {
  if (lb.backends.length === 0) throw new Error('the load balancer needs at least one web host')
  const port = lb.port ?? 80
  const servers = lb.backends.map((a) => `    server ${backendAddress(a, port)} ${BACKEND_PARAMS};`).join('\n')
  return renderTemplate('lb/lnmp-upstream.conf', {serverName: lb.serverName, servers})
}

/** Exit code of the rotation commands when the backend is not in the balancer's file (nothing to take out). */
export const NOT_IN_ROTATION = 3
/** Exit code of taking a backend out when no other one of the balancer's file would be left in rotation. */
export const LAST_IN_ROTATION = 4
/** the balancer's file as it was before the last rotation change, put back when nginx refuses the change */
const ROTATION_SAVED = '/var/lib/lnmp-deploy/backups/lb-rotation.conf'

/**
 * Takes a backend out of the balancer's rotation (`down` on its server line) or puts it back, checks the whole
 * configuration, reloads nginx, then waits (at most 15 s) until every worker of the old configuration has exited,
 * having finished the requests it was serving: after it, no request is on its way to that backend. A file whose line is
 * already as wanted changes nothing and reloads nothing.
 */
function serverLinePattern(backend: string, port: number): string {
  return `^[[:space:]]*server[[:space:]]+${backendAddress(backend, port).replaceAll(/[.[\]]/g, (c) => `\\${c}`)}[[:space:];]`
}

/** Exit 0 when the balancer's file marks the backend `down` (out of rotation), 1 otherwise. */
export function outOfRotationCommand(backend: string, port = 80, confPath = LB_CONF_PATH): string {
  return `grep -qE ${quote(`${serverLinePattern(backend, port)}.*[[:space:]]down[;[:space:]]`)} ${quote(confPath)}`
}

/** The sha256 of the balancer's file without rotation marks (as withoutRotationMarks), nothing when it is missing. */
export function confSumWithoutRotationCommand(confPath = LB_CONF_PATH): string {
  return `[ -e ${quote(confPath)} ] && sed -E ${quote('s/^([[:space:]]*server[[:space:]]+[^[:space:]]+.*)[[:space:]]+down;/\\1;/')} ${quote(confPath)} | sha256sum`
}

/** The balancer's file as lb-upstream renders it: rotation marks are the rotation's, not a change of the file. */
export function withoutRotationMarks(content: string): string {
  return content.replaceAll(/^(\s*server\s+\S+.*?)\s+down;/gm, '$1;')
}

export function rotationCommand(backend: string, inRotation: boolean, service: string, port = 80, confPath = LB_CONF_PATH): string {
  const line = serverLinePattern(backend, port)
  const down = `${line}.*[[:space:]]down[;[:space:]]`
  const f = quote(confPath)
  const saved = quote(`${ROTATION_SAVED}`)
  return [
    'set -e',
    `grep -qE ${quote(line)} ${f} 2>/dev/null || exit ${NOT_IN_ROTATION}`,
    // already as wanted: nothing to reload
    `if grep -qE ${quote(down)} ${f}; then ${inRotation ? ':' : 'exit 0'}; else ${inRotation ? 'exit 0' : ':'}; fi`,
    // the last backend in rotation never leaves it: better a slow restart than no site
    ...(inRotation
      ? []
      : [
          `others=$(grep -E '^[[:space:]]*server[[:space:]]+[^[:space:]{]' ${f} | grep -vE ${quote(line)} | grep -vcE '[[:space:]]down[;[:space:]]' || true)`,
          `[ "$others" -gt 0 ] || exit ${LAST_IN_ROTATION}`,
        ]),
    `${cmd('install', '-d', '-m', '0700', ROTATION_SAVED.slice(0, ROTATION_SAVED.lastIndexOf('/')))} && cp -p ${f} ${saved}`,
    inRotation
      ? `sed -i -E ${quote(`/${line}/s/[[:space:]]+down([;[:space:]])/\\1/`)} ${f}`
      : `sed -i -E ${quote(`/${line}/s/;/ down;/`)} ${f}`,
    `if ! nginx -t -q; then cp -p ${saved} ${f}; exit 1; fi`,
    // the workers of the configuration in force now ([s]: not this script's own command line)
    `old=$(pgrep -f 'nginx: worker proces[s]' | tr '\\n' ' ')`,
    cmd('systemctl', 'reload', service),
    // systemctl returns once nginx has the signal: the old workers go on proxying by the old configuration until
    // they have taken the new one in and finished what they serve. Only once they are gone is the change in force.
    'for i in $(seq 150); do alive=0; for p in $old; do if kill -0 "$p" 2>/dev/null; then alive=1; fi; done; [ $alive = 1 ] || exit 0; sleep 0.1; done',
  ].join('\n')
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
  return cmd(
    'timeout',
    5,
    'bash',
    '-c',
    HTTP_GET_SCRIPT,
    'http-get',
    request.address,
    request.port ?? 80,
    request.path ?? '/',
    request.hostHeader ?? '',
  )
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

/** Probe: the address of each server line of the balancer's upstream, one per line (nothing when the file is missing). */
export function upstreamServersCommand(confPath = LB_CONF_PATH): string {
  // `server {` opens the server block: an address never starts with a brace
  return `sed -n 's/^[[:space:]]*server[[:space:]][[:space:]]*\\([^[:space:];{][^[:space:];]*\\).*/\\1/p' ${quote(confPath)} 2>/dev/null || true`
}

/** The backends of upstreamServersCommand's output, without their port ([v6]:80 -> v6). */
export function parseUpstreamServers(stdout: string): string[] {
  return stdout
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .map((server) => {
      const v6 = /^\[(.+)\]:\d+$/.exec(server)
      if (v6?.[1]) return v6[1]
      return server.replace(/:\d+$/, '')
    })
}

/**
 * A web host joins the balancer only once it answers its own site, asked from the balancer as users' requests
 * will be (Host header and all): a status below 500, within `seconds`.
 */
export function backendAnswersCommand(backend: string, serverName: string, seconds = 30): string {
  const get = httpGetCommand({address: backend, hostHeader: serverName})
  return [
    `for i in $(seq ${seconds}); do`,
    `  if ${get} 2>/dev/null | head -n 1 | grep -qE '^HTTP/1\\.[01] [234]'; then exit 0; fi`,
    '  sleep 1',
    'done',
    `echo ${quote(`${backend} did not answer GET / (Host: ${serverName}) with a status below 500 in ${seconds} s`)} >&2`,
    'exit 1',
  ].join('\n')
}
