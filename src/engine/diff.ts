/**
 * Unified diffs of config files for `plan`. Files are small (configs, units), so a plain LCS table is
 * enough; past a size bound the diff falls back to "everything replaced" rather than burning memory.
 */
export interface DiffOptions {
  /** never show the content: passwords live in these files */
  sensitive?: boolean
  context?: number
}

const MAX_CELLS = 4_000_000

/** '' when nothing changes; `old` undefined means the file does not exist yet. */
export function fileDiff(path: string, old: string | undefined, next: string, options: DiffOptions = {}): string {
  if (old === next) return ''
  const header = [`--- ${old === undefined ? '/dev/null' : path}`, `+++ ${path}`]
  if (options.sensitive) return [...header, '(content hidden)'].join('\n')
  const a = splitLines(old ?? '')
  const b = splitLines(next)
  const ops = diffLines(a.lines, b.lines)
  // a missing final newline is a change of its own, marked the way diff(1) marks it
  if (a.lines.length > 0 && b.lines.length > 0 && a.finalNewline !== b.finalNewline) markLastLines(ops)
  const hunks = toHunks(ops, options.context ?? 3, a, b)
  return [...header, ...hunks].join('\n')
}

type Op = {kind: ' ' | '-' | '+'; text: string}

interface Lines {
  lines: string[]
  finalNewline: boolean
}

function splitLines(text: string): Lines {
  if (text === '') return {lines: [], finalNewline: true}
  const finalNewline = text.endsWith('\n')
  const lines = (finalNewline ? text.slice(0, -1) : text).split('\n')
  return {lines, finalNewline}
}

export function diffLines(a: string[], b: string[]): Op[] {
  let start = 0
  while (start < a.length && start < b.length && a[start] === b[start]) start++
  let endA = a.length
  let endB = b.length
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA--
    endB--
  }
  const head: Op[] = a.slice(0, start).map((text) => ({kind: ' ', text}))
  const tail: Op[] = a.slice(endA).map((text) => ({kind: ' ', text}))
  const midA = a.slice(start, endA)
  const midB = b.slice(start, endB)
  return [...head, ...lcsOps(midA, midB), ...tail]
}

function lcsOps(a: string[], b: string[]): Op[] {
  const n = a.length
  const m = b.length
  if (n * m > MAX_CELLS) {
    return [...a.map((text) => ({kind: '-' as const, text})), ...b.map((text) => ({kind: '+' as const, text}))]
  }
  // table[i][j] = LCS length of a[i:] and b[j:]
  const table: Uint32Array[] = Array.from({length: n + 1}, () => new Uint32Array(m + 1))
  for (let i = n - 1; i >= 0; i--) {
    const row = table[i] as Uint32Array
    const below = table[i + 1] as Uint32Array
    for (let j = m - 1; j >= 0; j--) {
      row[j] = a[i] === b[j] ? (below[j + 1] as number) + 1 : Math.max(below[j] as number, row[j + 1] as number)
    }
  }
  const ops: Op[] = []
  let i = 0
  let j = 0
  while (i < n && j < m) {
    if (a[i] === b[j]) {
      ops.push({kind: ' ', text: a[i] as string})
      i++
      j++
    } else if ((table[i + 1]?.[j] ?? 0) >= (table[i]?.[j + 1] ?? 0)) {
      ops.push({kind: '-', text: a[i++] as string})
    } else {
      ops.push({kind: '+', text: b[j++] as string})
    }
  }
  while (i < n) ops.push({kind: '-', text: a[i++] as string})
  while (j < m) ops.push({kind: '+', text: b[j++] as string})
  return ops
}

/** The last line of each side differs by its newline alone: show it removed and added. */
function markLastLines(ops: Op[]): void {
  const last = ops.at(-1)
  if (last?.kind === ' ') {
    ops.splice(ops.length - 1, 1, {kind: '-', text: last.text}, {kind: '+', text: last.text})
  }
}

function toHunks(ops: Op[], context: number, a: Lines, b: Lines): string[] {
  const changed = ops.map((op, k) => (op.kind === ' ' ? -1 : k)).filter((k) => k >= 0)
  if (changed.length === 0) return []
  // group changes whose context windows touch
  const groups: Array<[number, number]> = []
  for (const k of changed) {
    const lastGroup = groups.at(-1)
    if (lastGroup && k - lastGroup[1] <= 2 * context) lastGroup[1] = k
    else groups.push([k, k])
  }
  // line numbers before each op
  const oldLine: number[] = []
  const newLine: number[] = []
  let o = 1
  let p = 1
  for (const op of ops) {
    oldLine.push(o)
    newLine.push(p)
    if (op.kind !== '+') o++
    if (op.kind !== '-') p++
  }
  const lastOld = ops.reduce((idx, op, k) => (op.kind !== '+' ? k : idx), -1)
  const lastNew = ops.reduce((idx, op, k) => (op.kind !== '-' ? k : idx), -1)
  const out: string[] = []
  for (const [first, last] of groups) {
    const from = Math.max(0, first - context)
    const to = Math.min(ops.length - 1, last + context)
    const slice = ops.slice(from, to + 1)
    const oldCount = slice.filter((op) => op.kind !== '+').length
    const newCount = slice.filter((op) => op.kind !== '-').length
    const oldStart = oldCount === 0 ? (oldLine[from] as number) - 1 : (oldLine[from] as number)
    const newStart = newCount === 0 ? (newLine[from] as number) - 1 : (newLine[from] as number)
    out.push(`@@ -${range(oldStart, oldCount)} +${range(newStart, newCount)} @@`)
    for (let k = from; k <= to; k++) {
      const op = ops[k] as Op
      out.push(`${op.kind}${op.text}`)
      const endsOld = op.kind !== '+' && k === lastOld && !a.finalNewline
      const endsNew = op.kind !== '-' && k === lastNew && !b.finalNewline
      if (endsOld || endsNew) out.push('\\ No newline at end of file')
    }
  }
  return out
}

function range(start: number, count: number): string {
  return count === 1 ? String(start) : `${start},${count}`
}
