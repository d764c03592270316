import chalk from 'chalk'

import type {Problem, RunSummary, StepFailure, StepResult} from '../engine/events.js'
import {briefOf, problemKey} from '../engine/problems.js'
import type {BuildRow, StepStatusRow} from '../services/status.js'
import type {VerifyReport} from '../services/verify.js'

/** Plain-text renderings of what the services return. Pure: the commands print them. */

export function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => stripAnsi(r[i] ?? '').length)))
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c + ' '.repeat(Math.max(0, (widths[i] ?? 0) - stripAnsi(c).length)))
      .join('  ')
      .trimEnd()
  return [line(header), ...rows.map(line)]
}

function stripAnsi(s: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matches ANSI colour escapes (ESC [ ... m)
  return s.replace(/\u001B\[[0-9;]*m/g, '')
}

export function formatRunSummary(summary: RunSummary): string[] {
  const c = summary.counts
  const lines = [
    summary.mode === 'run'
      ? `${c.changed} changed, ${c.unchanged} unchanged, ${c.failed} failed, ${c.skipped} skipped in ${(summary.durationMs / 1000).toFixed(1)} s`
      : `${c['will run']} will run, ${c['up to date']} up to date, ${c.unknown} unknown, ${c.failed} failed`,
  ]
  for (const problem of summary.problems) {
    lines.push(
      '',
      ...formatProblem(
        problem,
        summary.failures.filter((f) => (f.problem ?? problemKey(f)) === problem.id),
      ),
    )
  }
  if (summary.logDir) lines.push(`logs: ${summary.logDir}`)
  return lines
}

/** A problem said once: a step's own failure with its output, or one cause with every step it stops. */
function formatProblem(problem: Problem, failures: StepFailure[]): string[] {
  const [only] = failures
  if (failures.length === 1 && only) {
    return [
      chalk.red(`✖ ${only.host} ${only.step}: ${only.message}`),
      ...(only.outputTail ? ['--- last output ---', only.outputTail.trimEnd(), '---'] : []),
      ...(only.logPath ? [`log: ${only.logPath}`] : []),
      ...(only.hint ? [`hint: ${only.hint}`] : []),
    ]
  }
  const byHost = new Map<string, string[]>()
  for (const {host, step} of problem.steps) byHost.set(host, [...(byHost.get(host) ?? []), step])
  return [
    chalk.red(`✖ ${problem.message}`),
    ...[...byHost].map(([host, steps]) => `stops ${host}: ${steps.join(', ')}`),
    // each step's output is in its log: the cause is the same, the output around it is not worth the screen
    ...failures.flatMap((f) => (f.logPath ? [`log: ${f.logPath}`] : [])),
    ...(problem.hint ? [`hint: ${problem.hint}`] : []),
  ]
}

export function formatPlan(summary: RunSummary): string[] {
  const lines: string[] = []
  for (const r of summary.results) {
    lines.push(`${r.host}  ${r.step}: ${planStatus(r)}`)
    for (const a of r.actions) {
      lines.push(`    - ${a.description}`)
      if (a.diff)
        lines.push(
          ...a.diff
            .trimEnd()
            .split('\n')
            .map((l) => `      ${colourDiff(l)}`),
        )
    }
  }
  return [...lines, '', ...formatRunSummary(summary)]
}

function planStatus(r: StepResult): string {
  const reason = r.reason ? ` (${r.reason})` : ''
  if (r.status === 'will run') return chalk.yellow('will run')
  if (r.status === 'up to date') return chalk.green('up to date') + reason
  // the whole problem is said once, below
  if (r.status === 'failed') return chalk.red(`failed: ${briefOf(r.error?.message ?? '')}`)
  return `${r.status}${reason}`
}

function colourDiff(line: string): string {
  if (line.startsWith('+') && !line.startsWith('+++')) return chalk.green(line)
  if (line.startsWith('-') && !line.startsWith('---')) return chalk.red(line)
  return line
}

export function formatVerify(report: VerifyReport): string[] {
  const result = {pass: chalk.green('pass'), fail: chalk.red('FAIL'), skipped: chalk.yellow('skipped')}
  const lines: string[] = []
  // one table per host, in the report's host order (cluster checks sit with the host they speak for)
  const hosts = [...new Set([...report.hosts, ...report.checks.map((c) => c.host)])]
  for (const host of hosts) {
    const mine = report.checks.filter((c) => c.host === host)
    if (mine.length === 0) continue
    if (lines.length > 0) lines.push('')
    lines.push(chalk.bold(host))
    lines.push(
      ...table(
        ['CHECK', 'NAME', 'RESULT', 'TIME', 'DETAIL'],
        mine.map((c) => [c.check, c.name, result[c.status], `${c.durationMs} ms`, c.detail ?? '']),
      ).map((l) => `  ${l}`),
    )
  }
  for (const c of report.checks.filter((x) => x.status === 'fail')) {
    lines.push('', chalk.red(`✖ ${c.host} ${c.check} ${c.name}: ${c.detail ?? 'failed'}`))
    if (c.command) lines.push(`  command: ${c.command}`)
    if (c.output)
      lines.push(
        ...c.output
          .trimEnd()
          .split('\n')
          .slice(-10)
          .map((l) => `  | ${l}`),
      )
    if (c.hint) lines.push(`  hint: ${c.hint}`)
  }
  for (const u of report.unreachable) lines.push('', chalk.red(`✖ ${u.message}`), ...(u.hint ? [`  hint: ${u.hint}`] : []))
  const c = report.counts
  lines.push(
    '',
    `${c.passed} passed, ${c.failed} failed, ${c.skipped} skipped` +
      (report.unreachable.length > 0 ? `, ${report.unreachable.length} host(s) unreachable` : '') +
      ` in ${(report.durationMs / 1000).toFixed(1)} s`,
  )
  return lines
}

export function formatStatus(rows: StepStatusRow[]): string[] {
  return table(
    ['HOST', 'STEP', 'STATE', 'WHEN', 'CONFIG'],
    rows.map((r) => [
      r.host,
      r.step,
      r.state === 'done' ? chalk.green(r.state) : r.state === 'failed' || r.state === 'unreachable' ? chalk.red(r.state) : r.state,
      r.at ?? '',
      r.fingerprintMatches === undefined ? '' : r.fingerprintMatches ? 'matches' : chalk.yellow('changed since'),
    ]),
  )
}

/** Per web host and component: each build, newest first, the live one marked. */
export function formatBuilds(rows: BuildRow[]): string[] {
  if (rows.length === 0) return []
  return [
    '',
    ...table(
      ['HOST', 'COMPONENT', 'BUILD', 'BUILT', 'LIVE'],
      rows.map((r) => [r.host, r.component, r.dir, r.builtAt, r.live ? chalk.green('live') : '']),
    ),
  ]
}
