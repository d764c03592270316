/**
 * String literals for the languages the steps write besides sh (src/ssh/shell.ts quotes for sh): one escaper
 * per target language, so a password or a host name is escaped the same way wherever it lands.
 */

/**
 * A PHP single-quoted string literal: inside one only `\\` and `\'` are escapes, everything else (`$`, a newline,
 * a NUL, `\n` as two characters) is taken as it is.
 */
export function phpString(value: string): string {
  return `'${value.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`
}

/**
 * A MariaDB string literal: the default sql_mode (no NO_BACKSLASH_ESCAPES) treats backslash as an escape, so
 * both it and the quote are escaped. Other characters are taken as they are; the `mysql` client refuses a
 * NUL byte on its input unless it runs with --binary-mode.
 */
export function sqlString(value: string): string {
  return `'${value.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`
}

/**
 * A value in a MySQL/MariaDB option file (`/root/.my.cnf`): double-quoted, with backslash escapes. An option file
 * is read line by line: a value holding a newline does not survive it.
 */
export function optionFileString(value: string): string {
  return `"${value.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`
}
