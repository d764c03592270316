/**
 * Replace every secret value by ***, longest first so a secret containing another is hidden whole. The one
 * function that stands between a password and a log line, a JSON event, an error message or a diff.
 */
export function redact(text: string, secretValues: Iterable<string> | undefined): string {
  if (!secretValues) return text
  const values = [...new Set(secretValues)].filter((s) => s.length > 0).sort((a, b) => b.length - a.length)
  let out = text
  for (const s of values) out = out.replaceAll(s, '***')
  return out
}

/**
 * The key of the first secret that shows in text, whole or as a run of 6+ letters and digits of it (a secret
 * quoted for SQL, a shell or an option file is escaped, and its long plain runs survive that); undefined when none.
 */
export function secretShownIn(text: string, secrets: ReadonlyMap<string, string>): string | undefined {
  for (const [key, secret] of secrets) {
    const needles = [secret, ...(secret.match(/[A-Za-z0-9_-]{6,}/g) ?? [])].filter((n) => n.length > 0)
    if (needles.some((n) => text.includes(n))) return key
  }
  return undefined
}
