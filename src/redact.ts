/**
 * Replace every secret value by ***, longest first so a secret containing another is hidden whole. The one
 * function that stands between a password and a log line, a JSON event, an error message or a diff.
 */
export function redact(text: string, secrets: Iterable<string> | undefined): string {
  if (!secrets) return text
  const values = [...new Set(secrets)].filter((s) => s.length > 0).sort((a, b) => b.length - a.length)
  let out = text
  for (const s of values) out = out.replaceAll(s, '***')
  return out
}
