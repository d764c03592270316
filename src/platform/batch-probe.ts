/**
 * Probes ask several read-only questions in one round trip: each question's output is framed by a marker
 * line so one exec answers them all. Exit codes of the questions do not matter (a missing file is a fact).
 */
export const BATCH_MARK = '@@lnmp-deploy@@'

export function batchCommand(questions: Readonly<Record<string, string>>): string {
  return Object.entries(questions)
    .map(([name, command]) => `echo '${BATCH_MARK} ${name}'; { ${command}; } 2>/dev/null`)
    .join('; ')
}

export function parseBatch(output: string): Map<string, string> {
  const answers = new Map<string, string>()
  let current: string | undefined
  let lines: string[] = []
  const flush = () => {
    if (current !== undefined) answers.set(current, lines.join('\n'))
  }
  for (const line of output.split('\n')) {
    if (line.startsWith(`${BATCH_MARK} `)) {
      flush()
      current = line.slice(BATCH_MARK.length + 1)
      lines = []
    } else {
      lines.push(line)
    }
  }
  flush()
  return answers
}

/** An answer's first word (the checksum `sha256sum FILE` prints, an owner), or undefined when there was none (a missing file). */
export function firstWord(answer: string | undefined): string | undefined {
  return answer?.trim().split(/\s+/)[0] || undefined
}
