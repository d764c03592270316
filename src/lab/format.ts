import type {LabStatus, LabUpResult} from './lab.js'
import type {LabState} from './state.js'

/** The words the lab commands print, in one place. */

/** How the lab's web hosts keep their compiler cache, as `up` and `status` say it. */
export function ccacheWords(state: Pick<LabState, 'sharedCcache'>): string {
  return state.sharedCcache ? 'one ccache shared by the web hosts (--shared-ccache)' : 'each host its own ccache'
}

function table(rows: string[][]): string[] {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? []
  return rows.map((r) =>
    r
      .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd(),
  )
}

export function formatStatus(s: LabStatus): string {
  const lines = [
    `lab dir    ${s.dir}`,
    `hosts      ${s.state ? `Debian ${s.state.release}, config logs in as ${s.state.login}, ${s.state.webs} web host(s), ${s.state.caches} session store(s)` : 'none made'}`,
    ...(s.state ? [`ccache     ${ccacheWords(s.state)}`] : []),
    `bridge     ${s.bridge ?? 'absent'}`,
    `guard      ${s.guardRules} iptables rule(s)`,
    `apt proxy  ${s.aptProxyPid === undefined ? 'stopped' : `apt-cacher-ng pid ${s.aptProxyPid}`}`,
    '',
    ...table([
      ['HOST', 'ADDRESS', 'ROLES', 'LXC', 'SSH', 'SYSTEMD'],
      ...s.hosts.map((h) => [h.name, h.address, h.roles.join(','), h.lxc, h.ssh, h.systemd]),
    ]),
    '',
    s.healthy ? `healthy; config: ${s.config}` : 'not healthy (run `lnmp-deploy lab up`)',
  ]
  return lines.join('\n')
}

export function formatUp(r: LabUpResult, verb = 'up'): string {
  return [
    ...table(r.hosts.map((h) => [h.name, h.address, `systemd ${h.systemd}`])),
    `lab ${verb} in ${r.seconds.toFixed(1)} s (Debian ${r.state.release}, logging in as ${r.state.login}, ${ccacheWords(r.state)})`,
    `config:      ${r.paths.config}`,
    `known_hosts: ${r.paths.knownHosts}`,
    `ssh:         ssh -F ${r.paths.sshConfig} web01`,
  ].join('\n')
}
