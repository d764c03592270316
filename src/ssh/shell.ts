/**
 * Quoting for POSIX sh. Every value interpolated into a remote command goes through `quote`, even when
 * the config schema already restricted it: the schema is the first fence, this is the second.
 */
export function quote(value: string | number): string {
  const s = String(value)
  if (s !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(s)) return s
  return `'${s.replaceAll("'", `'"'"'`)}'`
}

/** Build a command line from argv, quoting each argument. */
export function cmd(...argv: Array<string | number>): string {
  return argv.map((a) => quote(a)).join(' ')
}
