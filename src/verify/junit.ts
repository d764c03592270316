import type {CheckOutcome} from './types.js'

/**
 * JUnit XML, the report format CI systems show as tests: one testsuite per host, one testcase per check,
 * a failure with its message (the detail) and its text (command, output tail, hint). An unreachable host is
 * a testsuite with one errored testcase. A warning (PHP near its end of life) is a `warning` property of each
 * testsuite: not a failure. Written by hand: the format is small, and the escaping is the part that matters
 * (command output carries <, &, quotes and control characters).
 */
export interface JUnitInput {
  name: string
  durationMs: number
  checks: readonly CheckOutcome[]
  unreachable: ReadonlyArray<{host: string; message: string; hint?: string}>
  /** host order of the report */
  hosts: readonly string[]
  /** the report's warnings (not failures): a `warning` property of every testsuite */
  warnings?: readonly string[]
  timestamp?: Date
}

// XML 1.0 allows tab, LF, CR and everything from U+0020 except the surrogates and U+FFFE/U+FFFF
const INVALID_XML =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: it exists to find the control characters XML cannot carry
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g

/** Text and attribute values: the five entities, and characters XML cannot carry replaced by U+FFFD. */
export function xmlEscape(value: string): string {
  return value
    .replace(INVALID_XML, '\uFFFD')
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&apos;')
    .replaceAll('\r', '&#13;')
}

function attrs(values: Record<string, string | number>): string {
  // newlines and tabs in attributes are normalised to spaces by parsers: keep them as references
  return Object.entries(values)
    .map(([k, v]) => ` ${k}="${xmlEscape(String(v)).replaceAll('\n', '&#10;').replaceAll('\t', '&#9;')}"`)
    .join('')
}

const seconds = (ms: number) => (ms / 1000).toFixed(3)

function failureText(c: CheckOutcome): string {
  return [c.command ? `command: ${c.command}` : '', c.output ? `output:\n${c.output.trimEnd()}` : '', c.hint ? `hint: ${c.hint}` : '']
    .filter(Boolean)
    .join('\n')
}

function testcase(c: CheckOutcome): string {
  const head = `    <testcase${attrs({classname: `${c.host}.${c.check}`, name: c.name, time: seconds(c.durationMs)})}`
  if (c.status === 'pass') return `${head}/>`
  if (c.status === 'skipped') return `${head}>\n      <skipped${attrs({message: c.detail ?? 'skipped'})}/>\n    </testcase>`
  return `${head}>\n      <failure${attrs({message: c.detail ?? 'failed', type: c.check})}>${xmlEscape(failureText(c))}</failure>\n    </testcase>`
}

export function toJUnit(input: JUnitInput): string {
  const unreachable = new Map(input.unreachable.map((u) => [u.host, u]))
  const hosts = [...new Set([...input.hosts, ...input.checks.map((c) => c.host), ...unreachable.keys()])]
  const count = (cs: readonly CheckOutcome[], s: CheckOutcome['status']) => cs.filter((c) => c.status === s).length
  const suites = hosts.map((host) => {
    const cs = input.checks.filter((c) => c.host === host)
    const down = unreachable.get(host)
    const time = cs.reduce((t, c) => Math.max(t, c.durationMs), 0)
    const cases = cs.map(testcase)
    const properties = (input.warnings ?? []).map((w) => `      <property${attrs({name: 'warning', value: w})}/>`)
    if (down) {
      cases.unshift(
        `    <testcase${attrs({classname: `${host}.ssh`, name: 'reachable', time: '0.000'})}>\n      <error${attrs({message: down.message, type: 'unreachable'})}>${xmlEscape(down.hint ? `hint: ${down.hint}` : '')}</error>\n    </testcase>`,
      )
    }
    const head = `  <testsuite${attrs({name: host, tests: cases.length, failures: count(cs, 'fail'), errors: down ? 1 : 0, skipped: count(cs, 'skipped'), time: seconds(time), ...(input.timestamp ? {timestamp: input.timestamp.toISOString().slice(0, 19)} : {})})}`
    const body = [...(properties.length > 0 ? ['    <properties>', ...properties, '    </properties>'] : []), ...cases]
    return body.length === 0 ? `${head}/>` : `${head}>\n${body.join('\n')}\n  </testsuite>`
  })
  const all = input.checks
  const top = attrs({
    name: input.name,
    tests: all.length + unreachable.size,
    failures: count(all, 'fail'),
    errors: unreachable.size,
    skipped: count(all, 'skipped'),
    time: seconds(input.durationMs),
  })
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites${top}>\n${suites.join('\n')}\n</testsuites>\n`
}
