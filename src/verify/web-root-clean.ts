import {hostsWithRole} from '../config/hosts.js'
import {PROBE_DIR} from '../steps/app.js'
import {cmd, quote} from '../ssh/shell.js'
import {PROBE_PREFIX} from './session-proof.js'
import type {ClusterCheck, VerifyResult} from './types.js'

/**
 * The procedure leaves two pages behind: info.php (phpinfo(), the seventh milestone) and test_memcache.php
 * (the eighth). Both tell strangers the server's internals. No such page may stay in any web root nginx
 * serves. Roots come from the running configuration (`nginx -T`), so a vhost added by hand is covered too.
 * Two levels deep: leftovers sit at the top, and phpMyAdmin's own phpinfo() lives deeper, behind its login.
 * The probe folder counts as a web root too: the app vhost serves any /lnmp-deploy/NAME.php from it, so
 * only verify's own probes may be there, and only while a verify runs (a stale one is a leftover).
 * `find -H`: a root is usually a symlink to a versioned directory (the app step switches it on upgrade).
 */
export const LEFTOVER_NAMES = ['info.php', 'phpinfo.php', 'test_memcache.php', 'test.php', 'i.php'] as const
/**
 * Backups and dumps are served as plain text: a config.inc.php backup shows its blowfish_secret, a .sql dump
 * its data. lnmp-deploy keeps its own backups in /var/lib/lnmp-deploy/backups; these are anybody's leftovers.
 */
export const LEFTOVER_PATTERNS = ['*.lnmp-bak*', '*.sql', '*.sql.gz', '*~', '*.bak', '*.orig', '*.swp'] as const
export const SEARCH_DEPTH = 2

/** a verify's own probe older than this was left behind by one that died */
export const STALE_PROBE_MINUTES = 10

const MARK = '@@roots@@'

/** nginx -T, then the leftovers under every root it names: one round trip. */
export function leftoverCommand(nginx: string, probeDir: string): string {
  const names = LEFTOVER_NAMES.flatMap((n, i) => [...(i > 0 ? ['-o'] : []), '-name', n])
  const patterns = LEFTOVER_PATTERNS.flatMap((n, i) => [...(i > 0 ? ['-o'] : []), '-name', n])
  // backups and dumps at the top of a root only: an app's own folders may ship .sql files (phpMyAdmin's sql/)
  const find = `{ find -H "$r" -maxdepth ${SEARCH_DEPTH} -type f \\( ${cmd(...names)} \\) -print; find -H "$r" -maxdepth 1 -type f \\( ${cmd(...patterns)} \\) -print; }`
  const grep = `find -H "$r" -maxdepth ${SEARCH_DEPTH} -type f -name '*.php' -exec grep -lE 'phpinfo[[:space:]]*\\(' {} +`
  return [
    `roots=$(${cmd(nginx, '-T')} 2>/dev/null | sed -nE 's/^[[:space:]]*root[[:space:]]+"?([^";]+)"?;.*/\\1/p' | sort -u)`,
    `echo ${MARK}; printf '%s\\n' "$roots"; echo ${MARK}`,
    `{ for r in $roots; do case $r in /*) ;; *) r=$(dirname "$(dirname ${cmd(nginx)})")/$r;; esac; [ -d "$r" ] || continue; { ${find}; ${grep}; } 2>/dev/null; done; ` +
      `find ${quote(probeDir)} -maxdepth 1 -type f -name '*.php' ! \\( -name '${PROBE_PREFIX}*' -mmin -${STALE_PROBE_MINUTES} \\) -print 2>/dev/null; } | sort -u`,
  ].join('; ')
}

export function parseLeftovers(output: string): {roots: string[]; files: string[]} {
  const parts = output.split(`${MARK}\n`)
  const lines = (s: string | undefined) =>
    (s ?? '')
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean)
  return {roots: lines(parts[1]), files: lines(parts[2])}
}

export function judgeLeftovers(
  host: string,
  found: {roots: string[]; files: string[]},
  command: string,
  probeDir = PROBE_DIR,
): VerifyResult {
  const name = 'no-test-pages'
  if (found.roots.length === 0)
    return {
      name,
      ok: false,
      detail: 'nginx -T names no web root (is nginx configured?)',
      command,
      hint: `run the nginx-source and app steps on ${host}`,
    }
  if (found.files.length === 0) return {name, ok: true, detail: `none in ${found.roots.join(', ')}`, command}
  const routed = found.files.filter((f) => f.startsWith(`${probeDir}/`))
  return {
    name,
    ok: false,
    detail: `left in a web root: ${found.files.join(', ')}`,
    command,
    hint:
      `phpinfo and test pages show the server's internals to anyone, backups and dumps their secrets and data: remove them (on ${host}: rm ${found.files.map((f) => cmd(f)).join(' ')})` +
      (routed.length > 0
        ? `; ${probeDir} is served as /lnmp-deploy/NAME.php through the load balancer: keep only verify's short-lived probes there`
        : ''),
    output: found.files.join('\n'),
  }
}

export const webRootCleanCheck: ClusterCheck = {
  id: 'web-root-clean',
  title: 'No phpinfo or test page (info.php, test_memcache.php), backup or dump left in any web root',
  targets: (env) => hostsWithRole(env.cluster, 'web'),
  async run(env, web) {
    const nginx = `${env.config.prefix}/nginx/sbin/nginx`
    const command = leftoverCommand(nginx, PROBE_DIR)
    const remote = await env.remoteOf(web.name)
    const result = await remote.exec(command, {sudo: true})
    return [
      judgeLeftovers(
        web.name,
        parseLeftovers(result.stdout),
        `find the web roots of nginx -T for ${LEFTOVER_NAMES.join(', ')} and *.php calling phpinfo() (depth ${SEARCH_DEPTH}), ${LEFTOVER_PATTERNS.join(', ')} at their top; any *.php in ${PROBE_DIR} but a running verify's probe`,
      ),
    ]
  },
}
