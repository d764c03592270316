import {readFile} from 'node:fs/promises'
import path from 'node:path'
import {isMap, LineCounter, parseDocument, type Document} from 'yaml'
import type {z} from 'zod'
import {ConfigError} from '../errors.js'
import {messages} from '../messages.js'
import {configSchema, type Config} from './schema.js'

/** The file every command reads unless given --config. */
export const DEFAULT_CONFIG_FILE = 'lnmp-deploy.yml'

export type KeyPath = ReadonlyArray<string | number>

export interface LoadedConfig {
  config: Config
  /** absolute path of the file read */
  path: string
  /** its directory: relative paths in the config (known_hosts, ${file:...}, identity files) start here */
  dir: string
  /** `file:line:col` of the value at a key path (or of its nearest existing parent), for later errors */
  locate(keyPath: KeyPath): string
}

/** `hosts[1].name`: how a key path reads in a message. */
export function formatKeyPath(keyPath: KeyPath): string {
  let out = ''
  for (const key of keyPath) {
    out += typeof key === 'number' ? `[${key}]` : out === '' ? key : `.${key}`
  }
  return out === '' ? '(top level)' : out
}

export async function loadConfig(file: string = DEFAULT_CONFIG_FILE): Promise<LoadedConfig> {
  const absolute = path.resolve(file)
  let text: string
  try {
    text = await readFile(absolute, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new ConfigError(messages.config.missingFile(file), {hint: messages.config.missingFileHint, cause: error})
    }
    throw new ConfigError(messages.config.unreadableFile(file, (error as Error).message), {cause: error})
  }
  return parseConfig(text, absolute)
}

/**
 * Parse and validate the text of a config file. Every problem (YAML syntax, unknown keys, wrong types, bad
 * values, duplicate hosts) is reported at once, each as `file:line:col: key.path: message`, so one edit
 * round fixes them all.
 */
export function parseConfig(text: string, file: string): LoadedConfig {
  const lineCounter = new LineCounter()
  const doc = parseDocument(text, {lineCounter, prettyErrors: false, uniqueKeys: true})
  const at = (offset: number): string => {
    const {line, col} = lineCounter.linePos(offset)
    return `${file}:${line}:${col}`
  }

  if (doc.errors.length > 0) {
    const problems = doc.errors.map((e) => `${at(e.pos[0])}: ${firstLine(e.message)}`)
    throw new ConfigError(messages.config.invalid(file, problems))
  }

  const locate = (keyPath: KeyPath): string => at(offsetOf(doc, keyPath))
  const result = configSchema.safeParse(doc.toJS())
  if (!result.success) {
    // in file order, the way a person fixes them
    const problems = result.error.issues
      .flatMap((issue) => describeIssue(issue, doc))
      .sort((a, b) => a.offset - b.offset)
      .map((p) => `${at(p.offset)}: ${p.text}`)
    throw new ConfigError(messages.config.invalid(file, problems))
  }
  return {config: result.data, path: file, dir: path.dirname(file), locate}
}

function describeIssue(issue: z.core.$ZodIssue, doc: Document): Array<{offset: number; text: string}> {
  const keyPath = issue.path.filter((k): k is string | number => typeof k !== 'symbol')
  if (issue.code === 'unrecognized_keys') {
    // point at each unknown key itself, not at the map that holds it
    return issue.keys.map((key) => ({
      offset: keyOffset(doc, keyPath, key) ?? offsetOf(doc, keyPath),
      text: `${formatKeyPath([...keyPath, key])}: ${messages.config.unknownKey}`,
    }))
  }
  const missing = issue.code === 'invalid_type' && doc.getIn(keyPath, true) === undefined
  const message = missing ? messages.config.missingKey(issue.expected) : issue.message.replace(/^Invalid (input|option): /, '')
  return [{offset: offsetOf(doc, keyPath), text: `${formatKeyPath(keyPath)}: ${message}`}]
}

/** Offset of the node at a key path, or of its nearest existing ancestor when the key is missing. */
function offsetOf(doc: Document, keyPath: KeyPath): number {
  for (let depth = keyPath.length; depth >= 0; depth--) {
    const node = doc.getIn(keyPath.slice(0, depth), true) as {range?: [number, number, number]} | undefined
    if (node?.range) return node.range[0]
  }
  return doc.contents?.range?.[0] ?? 0
}

function keyOffset(doc: Document, mapPath: KeyPath, key: string): number | undefined {
  const map = mapPath.length === 0 ? doc.contents : doc.getIn(mapPath, true)
  if (!isMap(map)) return undefined
  for (const pair of map.items) {
    const k = pair.key as {value?: unknown; range?: [number, number, number]} | null
    if (k?.value === key && k.range) return k.range[0]
  }
  return undefined
}

function firstLine(message: string): string {
  return message.split('\n')[0]?.trim() ?? message
}
