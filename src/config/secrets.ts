import {readFile} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import {ConfigError} from '../errors.js'
import {messages} from '../messages.js'
import type {KeyPath, LoadedConfig} from './load.js'

/** What a `${...}` value in the config asks for. */
export type SecretRef = {kind: 'env'; name: string} | {kind: 'file'; path: string} | {kind: 'prompt'}

const REF = /^\$\{(?:env:([A-Za-z_][A-Za-z0-9_]*)|file:([^}]+)|(prompt))\}$/

export function parseSecretRef(value: string): SecretRef | undefined {
  const m = REF.exec(value)
  if (!m) return undefined
  if (m[1] !== undefined) return {kind: 'env', name: m[1]}
  if (m[2] !== undefined) return {kind: 'file', path: m[2]}
  return {kind: 'prompt'}
}

/** The environment variable suggested for a key path: `database.appPassword` -> `LNMP_DATABASE_APP_PASSWORD`. */
export function envNameFor(keyPath: string): string {
  return `LNMP_${keyPath
    .replaceAll(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replaceAll(/[^A-Za-z0-9]+/g, '_')
    .toUpperCase()}`
}

/** Every secret reference in a config, by dotted key path (`database.appPassword`, `ssh.sudoPassword`). */
export function findSecretRefs(config: unknown): Map<string, {keyPath: KeyPath; ref: SecretRef}> {
  const found = new Map<string, {keyPath: KeyPath; ref: SecretRef}>()
  const walk = (value: unknown, at: Array<string | number>): void => {
    if (typeof value === 'string') {
      const ref = parseSecretRef(value)
      if (ref) found.set(at.join('.'), {keyPath: at, ref})
    } else if (Array.isArray(value)) {
      value.forEach((v, i) => {
        walk(v, [...at, i])
      })
    } else if (value !== null && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) walk(v, [...at, k])
    }
  }
  walk(config, [])
  return found
}

export interface SecretSources {
  env?: Readonly<Record<string, string | undefined>>
  /** whether a person can answer a prompt; defaults to process.stdin.isTTY */
  interactive?: boolean
  /** asks for a hidden value; defaults to @inquirer/prompts' password */
  askPassword?: (message: string) => Promise<string>
}

/**
 * Resolve the config's secret references into their values, by key path. Nothing is cached on disk; a
 * reference that cannot be resolved is a ConfigError naming where it is and what to do.
 */
export async function resolveSecrets(loaded: LoadedConfig, sources: SecretSources = {}): Promise<Map<string, string>> {
  const env = sources.env ?? process.env
  const interactive = sources.interactive ?? process.stdin.isTTY === true
  const values = new Map<string, string>()
  for (const [key, {keyPath, ref}] of findSecretRefs(loaded.config)) {
    const where = loaded.locate(keyPath)
    if (ref.kind === 'env') {
      const value = env[ref.name]
      if (value === undefined || value === '') {
        throw new ConfigError(messages.secrets.envNotSet(where, key, ref.name), {hint: messages.secrets.envHint(ref.name)})
      }
      values.set(key, value)
    } else if (ref.kind === 'file') {
      values.set(key, await readSecretFile(where, key, resolveHome(ref.path, loaded.dir)))
    } else {
      if (!interactive) {
        throw new ConfigError(messages.secrets.promptNeedsTty(where, key), {hint: messages.secrets.promptHint(envNameFor(key))})
      }
      const ask = sources.askPassword ?? askWithInquirer
      values.set(key, await ask(messages.secrets.promptMessage(key)))
    }
  }
  return values
}

/** Replace every secret value in text by ***; longest first, so a secret containing another is hidden whole. */

async function readSecretFile(where: string, key: string, file: string): Promise<string> {
  let content: string
  try {
    content = await readFile(file, 'utf8')
  } catch (error) {
    throw new ConfigError(messages.secrets.fileUnreadable(where, key, file, (error as Error).message), {cause: error})
  }
  // files written by editors or `echo` end in a newline that is not part of the password
  const value = content.replace(/\r?\n$/, '')
  if (value === '') throw new ConfigError(messages.secrets.fileEmpty(where, key, file))
  return value
}

function resolveHome(file: string, base: string): string {
  if (file === '~' || file.startsWith('~/')) return path.join(os.homedir(), file.slice(1))
  return path.resolve(base, file)
}

async function askWithInquirer(message: string): Promise<string> {
  const {password} = await import('@inquirer/prompts')
  return password({message, mask: '*', validate: (v) => v.length > 0 || messages.secrets.promptEmpty})
}
