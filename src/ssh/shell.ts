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

/*
 * Combinators over command strings (already quoted, e.g. by `cmd`), for the shapes the steps repeat. They add
 * no quoting of their own beyond the path of `ifMissing`.
 */

/** Each command only when the one before succeeded: `a && b && c`. Not braced: it is the top of a command line. */
export function and(...commands: string[]): string {
  return commands.join(' && ')
}

/**
 * `b` only when `a` failed: `{ a || b; }`. Braced, because sh's && and || bind equally, left to right: in
 * `x && a || b && y` a failed `x` runs `b`, and `y` after it.
 */
export function or(...commands: string[]): string {
  return `{ ${commands.join(' || ')}; }`
}

/** `command` only when nothing exists at `path`: `if [ ! -e path ]; then command; fi`, which exits 0 when it exists. */
export function ifMissing(path: string, command: string): string {
  return `if [ ! -e ${quote(path)} ]; then ${command}; fi`
}

/**
 * `command`, then `cleanup` whatever its exit, and the shell exits with `command`'s code:
 * `command; rc=$?; cleanup; exit $rc`. It ends the shell, so it comes last.
 */
export function withCleanup(command: string, cleanup: string): string {
  return `${command}; rc=$?; ${cleanup}; exit $rc`
}
