import type {CheckResult} from '../../engine/step.js'
import {batchCommand, parseBatch} from '../../platform/batch-probe.js'
import type {Remote} from '../../ssh/remote.js'
import {cmd} from '../../ssh/shell.js'

/** One named check from a condition, with the hint only when it failed. */
export function check(
  name: string,
  ok: boolean,
  detail: string,
  extra: {command?: string; hint?: string; output?: string} = {},
): CheckResult {
  return {
    name,
    ok,
    detail,
    ...(extra.command ? {command: extra.command} : {}),
    ...(ok
      ? {}
      : {
          ...(extra.hint ? {hint: extra.hint} : {}),
          ...(extra.output ? {output: extra.output.trim().split('\n').slice(-20).join('\n')} : {}),
        }),
  }
}

/**
 * Several read-only questions in one round trip, each answered by its output followed by its exit code
 * on a line of its own: verify needs both ("`nginx -t` exits 0", "`php -m` lists ...").
 */
export async function askAll(remote: Remote, questions: Record<string, string>): Promise<Map<string, {code: number; out: string}>> {
  const framed = Object.fromEntries(Object.entries(questions).map(([k, c]) => [k, `{ ${c}; } 2>&1; echo "@rc=$?"`]))
  const {stdout} = await remote.exec(batchCommand(framed), {sudo: true})
  const answers = new Map<string, {code: number; out: string}>()
  for (const [name, text] of parseBatch(stdout)) {
    const m = /\n?@rc=(\d+)\n?$/.exec(text)
    answers.set(name, {code: m ? Number(m[1]) : 255, out: m ? text.slice(0, m.index) : text})
  }
  return answers
}

/** Service state questions for askAll. */
export function serviceQuestions(unit: string): Record<string, string> {
  return {active: cmd('systemctl', 'is-active', unit), enabled: cmd('systemctl', 'is-enabled', unit)}
}

/** Listening TCP sockets on a port, as `ss` prints them (local address column). */
export function listeningCommand(port: number): string {
  return cmd('ss', '-Hlnt', 'sport', '=', `:${port}`)
}

/**
 * The shared libraries of every binary and module under a build directory that the host cannot resolve (ldd's
 * "not found" lines, with the file each belongs to): a build installed from another host's package runs only
 * where its runtime is complete.
 */
export function unresolvedLibrariesCommand(dir: string): string {
  return `${cmd('find', dir, '-type', 'f', '(', '-perm', '-u+x', '-o', '-name', '*.so', ')')} -exec ldd {} + 2>/dev/null | awk '/:$/ {f=$0} /not found/ {print f, $1}' || true`
}

/** The check of unresolvedLibrariesCommand's answer. */
export function librariesCheck(name: string, dir: string, answer: {code: number; out: string} | undefined, hint: string): CheckResult {
  const missing = (answer?.out ?? '').trim()
  const ok = answer !== undefined && answer.code === 0 && missing === ''
  return check(
    name,
    ok,
    ok
      ? `every binary and module in ${dir} resolves its shared libraries`
      : `unresolved: ${missing.split('\n').slice(0, 5).join('; ') || 'ldd did not answer'}`,
    {
      command: `ldd on every binary and module in ${dir}`,
      hint,
      output: missing,
    },
  )
}
