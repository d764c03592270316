/**
 * Probes ask several read-only questions in one round trip: each question's output is framed by a marker
 * line so one exec answers them all. Exit codes of the questions do not matter (a missing file is a fact).
 */
const MARK = '@@lnmp-deploy@@'

export function batchCommand(questions: Readonly<Record<string, string>>): string {
  return Object.entries(questions)
    .map(([name, command]) => `echo '${MARK} ${name}'; { ${command}; } 2>/dev/null`)
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
    if (line.startsWith(`${MARK} `)) {
      flush()
      current = line.slice(MARK.length + 1)
      lines = []
    } else {
      lines.push(line)
    }
  }
  flush()
  return answers
}
