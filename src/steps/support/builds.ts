import {cmd, quote} from '../../ssh/shell.js'
import {MARKER_NAME} from './build.js'
import type {Component} from './rollback-pin.js'

/**
 * The builds of a component on a host: every `<prefix>/<name>-*` directory holding a complete build's marker,
 * with the time the build completed, and where `<prefix>/<name>` points. What `status` lists and what
 * `rollback` chooses from.
 */
export interface HostBuild {
  dir: string
  /** seconds since the epoch at which the build's marker was written */
  builtAt: number
  live: boolean
}

const LINK_MARK = '@@link@@'

export function buildsCommand(prefix: string, component: Component): string {
  const home = `${prefix}/${component}`
  return [
    `echo ${LINK_MARK} "$(readlink ${quote(home)})"`,
    `for m in ${quote(prefix)}/${component}-*/${MARKER_NAME}; do [ -f "$m" ] && ${cmd('stat', '-c', '%Y %n')} "$m"; done; true`,
  ].join('; ')
}

export function parseBuilds(output: string): HostBuild[] {
  const lines = output.split('\n').map((l) => l.trim())
  const link =
    lines
      .find((l) => l.startsWith(LINK_MARK))
      ?.slice(LINK_MARK.length)
      .trim() ?? ''
  const builds: HostBuild[] = []
  for (const line of lines) {
    const m = /^(\d+) (\/.+)\/[^/]+$/.exec(line)
    if (m?.[1] && m[2]) builds.push({dir: m[2], builtAt: Number(m[1]), live: m[2] === link})
  }
  // newest first; equal times by name, so the order never depends on the shell's glob
  return builds.sort((a, b) => b.builtAt - a.builtAt || b.dir.localeCompare(a.dir))
}

/** The build a rollback goes to: the newest one completed before the live one. */
export function previousBuild(builds: readonly HostBuild[]): HostBuild | undefined {
  const live = builds.find((b) => b.live)
  if (!live) return undefined
  return builds.find((b) => !b.live && (b.builtAt < live.builtAt || (b.builtAt === live.builtAt && b.dir < live.dir)))
}
