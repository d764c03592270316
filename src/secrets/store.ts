import {randomBytes} from 'node:crypto'
import {chmod, link, mkdir, readFile, rename, rm, stat, writeFile} from 'node:fs/promises'
import {join} from 'node:path'

import {ConfigError} from '../errors.js'

/**
 * Secrets lnmp-deploy makes up itself when the config does not give them, kept on the controller so every
 * run (and every host) sees the same value: a regenerated app password would lock the web hosts out of
 * MariaDB, and a blowfish_secret that differs between web01 and web02 makes a phpMyAdmin login made through
 * one unreadable on the other.
 */
export const GENERATED_KEYS = ['database.rootPassword', 'database.appPassword', 'app.blowfishSecret'] as const
export type GeneratedKey = (typeof GENERATED_KEYS)[number]

/** `<configDir>/.lnmp-deploy/secrets.json`, beside the run logs. */
export function secretsPath(configDir: string): string {
  return join(configDir, '.lnmp-deploy', 'secrets.json')
}

/**
 * 32 characters of base64url (192 random bits): safe inside SQL and PHP string literals and a shell word,
 * and exactly the 32 bytes phpMyAdmin's sodium cookie encryption wants from blowfish_secret.
 */
export function generateSecret(): string {
  return randomBytes(24).toString('base64url')
}

function parseStore(text: string, file: string): Record<string, string> {
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch (error) {
    throw new ConfigError(`${file} is not valid JSON`, {
      hint: 'restore it from a backup; deleting it makes new passwords that the hosts do not know',
      cause: error,
    })
  }
  if (
    data === null ||
    typeof data !== 'object' ||
    Array.isArray(data) ||
    Object.values(data).some((v) => typeof v !== 'string' || v === '')
  ) {
    throw new ConfigError(`${file} must be one JSON object of non-empty strings`, {hint: 'restore it from a backup'})
  }
  return data as Record<string, string>
}

async function readStore(file: string): Promise<Record<string, string> | undefined> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw new ConfigError(`cannot read ${file}: ${(error as Error).message}`, {cause: error})
  }
  // someone loosened it: passwords readable by other users of the controller are tightened, not refused
  if (((await stat(file)).mode & 0o077) !== 0) await chmod(file, 0o600)
  return parseStore(text, file)
}

async function writeTemp(file: string, data: Record<string, string>): Promise<string> {
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`
  // created 0600 from the first byte: there is no moment where the passwords are readable by others
  await writeFile(tmp, `${JSON.stringify(data, null, 2)}\n`, {mode: 0o600, flag: 'wx'})
  return tmp
}

/**
 * The generated values for `keys`, created once and stable afterwards. Two runs starting at once agree:
 * the first file is created with link() (fails if it exists), and the loser reads the winner's values.
 */
export async function loadOrCreateSecrets(configDir: string, keys: readonly GeneratedKey[]): Promise<Map<string, string>> {
  const file = secretsPath(configDir)
  const pick = (data: Record<string, string>) => new Map(keys.flatMap((k) => (data[k] === undefined ? [] : [[k, data[k]] as const])))
  for (let attempt = 0; attempt < 3; attempt++) {
    const current = await readStore(file)
    const missing = keys.filter((k) => current?.[k] === undefined)
    if (current && missing.length === 0) return pick(current)
    const next = {...current, ...Object.fromEntries(missing.map((k) => [k, generateSecret()]))}
    await mkdir(join(configDir, '.lnmp-deploy'), {recursive: true, mode: 0o700})
    const tmp = await writeTemp(file, next)
    try {
      if (current) {
        await rename(tmp, file)
        return pick(next)
      }
      await link(tmp, file)
      return pick(next)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
      // another run created it between our read and our link: take its values
    } finally {
      await rm(tmp, {force: true})
    }
  }
  throw new ConfigError(`could not create ${file}: it keeps changing under lnmp-deploy`)
}

/**
 * The config's own secrets plus generated ones for what it leaves out. A value given in the config always
 * wins; the generated one is only created when needed.
 */
export async function withGeneratedSecrets(configDir: string, given: ReadonlyMap<string, string>): Promise<Map<string, string>> {
  const missing = GENERATED_KEYS.filter((k) => !given.has(k))
  const generated = missing.length > 0 ? await loadOrCreateSecrets(configDir, missing) : new Map<string, string>()
  return new Map([...given, ...generated])
}
