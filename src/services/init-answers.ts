import type {z} from 'zod'
import {ConfigError} from '../errors.js'
import {messages} from '../messages.js'
import {DEFAULT_CONFIG_FILE} from '../config/load.js'
import {CACHE_HOST_NAME, isPresetName, PRESET_NAMES, PRESETS, presetHosts, type PresetHost, type PresetName} from '../config/presets.js'
import {envNameFor} from '../config/secrets.js'
import {offeredPhpVersions, phpVersionLabel} from '../php/eol.js'
import type {HostFacts} from '../platform/facts.js'
import {
  hostAddressSchema,
  appSchema,
  configSchema,
  hostNameSchema,
  nginxSchema,
  phpSchema,
  portSchema,
  sessionSchema,
  userNameSchema,
  versionSchema,
  type Config,
  type ConfigInput,
} from '../config/schema.js'
import {quote} from '../ssh/shell.js'

export type SessionHandler = z.infer<typeof sessionSchema>['handler']
export type AppKind = z.infer<typeof appSchema>['kind']
export const SESSION_HANDLERS: readonly SessionHandler[] = sessionSchema.shape.handler.unwrap().options
export const APP_KINDS: readonly AppKind[] = appSchema.shape.kind.unwrap().options

/** Everything `init` asks, whether from the wizard or from flags. */
export interface InitAnswers {
  preset: PresetName
  hosts: PresetHost[]
  ssh: {user: string; port: number; identityFile?: string}
  nginxVersion: string
  phpVersion: string
  /** session stores beyond the preset's cache host (db01) */
  cache: CacheAnswers
  sessionHandler: SessionHandler
  app: AppKind
  /** names of the environment variables that will hold the database passwords */
  secretEnv: {rootPassword: string; appPassword: string}
}

/**
 * PHP sessions go to every host with the cache role (src/php/session-stores.ts); with two or more, each
 * session is written to every store and reads fail over, so one memcached down logs nobody out. These are
 * the stores added to the preset's one, kept apart from `hosts` so the equivalent command says them with
 * the flags that give them.
 */
export interface CacheAnswers {
  /** new machines with the cache role only (--cache-host NAME=ADDRESS) */
  added: PresetHost[]
  /** web hosts of the preset that store sessions as well (--cache-on NAME) */
  on: string[]
}

/** The flags of `lnmp-deploy init`, as oclif parses them. */
export interface InitFlags {
  preset?: string
  host?: string[]
  'private-address'?: string[]
  'cache-host'?: string[]
  'cache-on'?: string[]
  user?: string
  port?: number
  'identity-file'?: string
  'nginx-version'?: string
  'php-version'?: string
  'session-handler'?: string
  app?: string
  'db-root-password-env'?: string
  'db-app-password-env'?: string
}

export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/

const SSH_DEFAULTS = {user: 'root', port: 22}

/**
 * Answers from flags alone (for --yes), or the defaults the wizard starts from. Each flag value is checked
 * with the same schema piece the config uses, and a bad one is a ConfigError naming the flag.
 */
export function answersFromFlags(flags: InitFlags): InitAnswers {
  const preset = flags.preset ?? 'tutorial'
  if (!isPresetName(preset)) {
    throw new ConfigError(messages.init.badFlagValue('--preset', preset, `must be one of ${PRESET_NAMES.join(', ')}`))
  }
  const hosts = presetHosts(preset)
  for (const [name, address] of pairs(flags.host ?? [], messages.init.hostFlagSyntax)) {
    const host = presetHost(hosts, '--host', name, preset)
    host.address = check('--host', `${name}=${address}`, hostAddressSchema, address)
    // the preset's private address belongs to the preset's network, not to the one just given
    delete host.privateAddress
  }
  const cache = cacheFromFlags(hosts, preset, flags['cache-host'] ?? [], flags['cache-on'] ?? [])
  for (const [name, address] of pairs(flags['private-address'] ?? [], messages.init.privateFlagSyntax)) {
    // a cache host's private address is given like a preset host's
    const added = cache.added.find((h) => h.name === name)
    const host = added ?? presetHost(hosts, '--private-address', name, preset, cache.added)
    host.privateAddress = check('--private-address', `${name}=${address}`, hostAddressSchema, address)
  }
  const identityFile = flags['identity-file']
  return {
    preset,
    hosts,
    ssh: {
      user: check('--user', flags.user ?? SSH_DEFAULTS.user, userNameSchema),
      port: check('--port', String(flags.port ?? SSH_DEFAULTS.port), portSchema, flags.port ?? SSH_DEFAULTS.port),
      ...(identityFile ? {identityFile} : {}),
    },
    nginxVersion: check('--nginx-version', flags['nginx-version'] ?? nginxSchema.parse({}).version, versionSchema),
    phpVersion: check('--php-version', flags['php-version'] ?? phpSchema.parse({}).version, versionSchema),
    cache,
    sessionHandler: oneOf('--session-handler', flags['session-handler'] ?? 'memcache', SESSION_HANDLERS),
    app: oneOf('--app', flags.app ?? 'session-demo', APP_KINDS),
    secretEnv: {
      rootPassword: envName('--db-root-password-env', flags['db-root-password-env'] ?? envNameFor('database.rootPassword')),
      appPassword: envName('--db-app-password-env', flags['db-app-password-env'] ?? envNameFor('database.appPassword')),
    },
  }
}

export interface VersionChoice {
  value: string
  name: string
}

/**
 * The PHP versions the wizard offers: the table's verified ones that build on every host whose facts are
 * known (none known: all of them), newest first, each with its end-of-life note; the flags' version
 * first when the table does not offer it, so enter still gives what `--yes` would.
 */
export function phpVersionChoices(defaultVersion: string, today: Date, facts: readonly HostFacts[] = []): VersionChoice[] {
  const offered = offeredPhpVersions(today, facts).map((o) => ({value: o.version, name: o.label}))
  if (offered.some((c) => c.value === defaultVersion)) return offered
  return [{value: defaultVersion, name: phpVersionLabel(defaultVersion, today)}, ...offered]
}

/**
 * --cache-host and --cache-on checked against the preset's hosts: a cache host is a new name, each name is
 * given once, and --cache-on takes a web host that is not a store already.
 */
export function cacheFromFlags(
  hosts: readonly PresetHost[],
  preset: PresetName,
  cacheHosts: readonly string[],
  cacheOn: readonly string[],
): CacheAnswers {
  const added: PresetHost[] = []
  for (const [name, address] of pairs(cacheHosts, messages.init.cacheHostFlagSyntax)) {
    check('--cache-host', name, hostNameSchema)
    const clash = hosts.find((h) => h.name === name)
    if (clash) throw new ConfigError(messages.init.cacheHostClash(name, preset, clash.roles.includes('cache')))
    if (added.some((h) => h.name === name)) throw new ConfigError(messages.init.givenTwice('--cache-host', name))
    added.push({name, address: check('--cache-host', `${name}=${address}`, hostAddressSchema, address), roles: ['cache']})
  }
  const on: string[] = []
  for (const name of cacheOn) {
    if (added.some((h) => h.name === name)) throw new ConfigError(messages.init.cacheOnAlreadyStore(name))
    const host = presetHost([...hosts], '--cache-on', name, preset)
    if (on.includes(name)) throw new ConfigError(messages.init.givenTwice('--cache-on', name))
    if (host.roles.includes('cache')) throw new ConfigError(messages.init.cacheOnAlreadyStore(name))
    if (!host.roles.includes('web')) {
      const web = hosts.filter((h) => h.roles.includes('web')).map((h) => h.name)
      throw new ConfigError(messages.init.cacheOnNotWeb(name, host.roles, web))
    }
    on.push(name)
  }
  return {added, on}
}

/** Every host the answers give, in config order: the preset's (a --cache-on one with the cache role added), then the new cache hosts. */
export function answerHosts(answers: Pick<InitAnswers, 'hosts' | 'cache'>): PresetHost[] {
  const known = answers.hosts.map((h) => h.name)
  const unknown = answers.cache.on.filter((name) => !known.includes(name))
  if (unknown[0] !== undefined) throw new ConfigError(messages.config.unknownHost(unknown[0], known))
  const hosts = answers.hosts.map((h) =>
    answers.cache.on.includes(h.name) && !h.roles.includes('cache') ? {...h, roles: [...h.roles, 'cache' as const]} : h,
  )
  return [...hosts, ...answers.cache.added]
}

/** The hosts PHP keeps sessions on, in config order (src/php/session-stores.ts takes the same ones). */
export function sessionStoreNames(answers: Pick<InitAnswers, 'hosts' | 'cache'>): string[] {
  return answerHosts(answers)
    .filter((h) => h.roles.includes('cache'))
    .map((h) => h.name)
}

export type SessionLayout = 'single' | 'dedicated' | 'web' | 'flags'

export interface LayoutChoice {
  value: SessionLayout
  name: string
  description: string
}

/** Which of the wizard's layouts the stores are; 'flags' when none of them (several added, or both kinds). */
export function sessionLayoutOf(cache: CacheAnswers): SessionLayout {
  if (cache.added.length === 0 && cache.on.length === 0) return 'single'
  if (cache.added.length === 1 && cache.on.length === 0) return 'dedicated'
  if (cache.added.length === 0 && cache.on.length === 1) return 'web'
  return 'flags'
}

/**
 * The wizard's answers to "where do sessions live?": the preset's store alone, or with a dedicated cache
 * host, or with one of the web hosts; the flags' layout first when it is none of these, so enter keeps it.
 */
export function sessionLayoutChoices(answers: Pick<InitAnswers, 'hosts' | 'cache'>): LayoutChoice[] {
  const base = answers.hosts.filter((h) => h.roles.includes('cache')).map((h) => h.name)
  const stores = base.join(' and ')
  const choices: LayoutChoice[] = [
    {value: 'single', name: messages.init.storesSingle(stores), description: messages.init.storesSingleMeaning},
    {value: 'dedicated', name: messages.init.storesDedicated(stores, CACHE_HOST_NAME), description: messages.init.storesRedundantMeaning},
  ]
  // with no web host left to be a store, the choice would lead nowhere
  if (answers.hosts.some((h) => h.roles.includes('web') && !h.roles.includes('cache'))) {
    choices.push({value: 'web', name: messages.init.storesOnWeb(stores), description: messages.init.storesRedundantMeaning})
  }
  if (sessionLayoutOf(answers.cache) !== 'flags') return choices
  return [
    {value: 'flags', name: messages.init.storesFromFlags(sessionStoreNames(answers)), description: messages.init.storesRedundantMeaning},
    ...choices,
  ]
}

/** Where a dedicated cache host starts in the wizard: the flags' one, else the preset's suggestion, else cache01 with no address yet. */
export function cacheHostStart(preset: PresetName, answers: Pick<InitAnswers, 'hosts' | 'cache'>): PresetHost {
  const flagged = answers.cache.added[0]
  if (flagged) return {...flagged, roles: ['cache']}
  const suggested = PRESETS[preset].cacheHost
  if (suggested) return {...suggested, roles: ['cache']}
  // a preset with a private network asks for the new host's private address too (empty: the same)
  const privateNetwork = answers.hosts.some((h) => h.privateAddress !== undefined)
  return {name: CACHE_HOST_NAME, address: '', ...(privateNetwork ? {privateAddress: ''} : {}), roles: ['cache']}
}

/** The config the answers describe, validated: anything the schema refuses is a ConfigError. */
export function buildConfig(answers: InitAnswers): Config {
  const input: ConfigInput = {
    version: 1,
    ssh: {
      user: answers.ssh.user,
      port: answers.ssh.port,
      ...(answers.ssh.identityFile ? {identityFile: answers.ssh.identityFile} : {}),
    },
    hosts: answerHosts(answers).map((h) => ({
      name: h.name,
      address: h.address,
      ...(h.privateAddress && h.privateAddress !== h.address ? {privateAddress: h.privateAddress} : {}),
      roles: [...h.roles],
    })),
    nginx: {version: answers.nginxVersion},
    php: {version: answers.phpVersion},
    app: {kind: answers.app},
    database: {
      rootPassword: `\${env:${answers.secretEnv.rootPassword}}`,
      appPassword: `\${env:${answers.secretEnv.appPassword}}`,
    },
    session: {handler: answers.sessionHandler},
  }
  const result = configSchema.safeParse(input)
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`)
    throw new ConfigError(messages.config.invalid('the answers', problems))
  }
  return result.data
}

export interface CommandOptions {
  bin: string
  output: string
  connect: boolean
  acceptNewHostKeys: boolean
}

/** The `init --yes` command line that gives the same file without a question: for CI and for the README. */
export function equivalentCommand(answers: InitAnswers, options: CommandOptions): string {
  const argv: string[] = [options.bin, 'init', '--yes', '--preset', answers.preset]
  for (const host of answers.hosts) {
    argv.push('--host', `${host.name}=${host.address}`)
    // --host drops the preset's private address, so a wanted one is always said again
    if (host.privateAddress && host.privateAddress !== host.address) {
      argv.push('--private-address', `${host.name}=${host.privateAddress}`)
    }
  }
  for (const host of answers.cache.added) {
    argv.push('--cache-host', `${host.name}=${host.address}`)
    if (host.privateAddress && host.privateAddress !== host.address) {
      argv.push('--private-address', `${host.name}=${host.privateAddress}`)
    }
  }
  for (const name of answers.cache.on) argv.push('--cache-on', name)
  argv.push('--user', answers.ssh.user, '--port', String(answers.ssh.port))
  if (answers.ssh.identityFile) argv.push('--identity-file', answers.ssh.identityFile)
  argv.push('--nginx-version', answers.nginxVersion, '--php-version', answers.phpVersion)
  argv.push('--session-handler', answers.sessionHandler, '--app', answers.app)
  argv.push('--db-root-password-env', answers.secretEnv.rootPassword, '--db-app-password-env', answers.secretEnv.appPassword)
  if (options.output !== DEFAULT_CONFIG_FILE) argv.push('--output', options.output)
  if (!options.connect) argv.push('--no-connect')
  if (options.connect && options.acceptNewHostKeys) argv.push('--accept-new-host-keys')
  return argv.map((a) => quote(a)).join(' ')
}

function pairs(values: readonly string[], syntax: (value: string) => string): Array<[string, string]> {
  return values.map((value) => {
    const eq = value.indexOf('=')
    if (eq <= 0 || eq === value.length - 1) throw new ConfigError(syntax(value))
    return [value.slice(0, eq), value.slice(eq + 1)]
  })
}

function presetHost(hosts: PresetHost[], flag: string, name: string, preset: PresetName, added: readonly PresetHost[] = []): PresetHost {
  const host = hosts.find((h) => h.name === name)
  if (!host) {
    // a name that is not a host name at all gets the schema's reason; others are just not in the preset
    const valid = hostNameSchema.safeParse(name)
    if (!valid.success) throw new ConfigError(messages.init.badFlagValue(flag, name, valid.error.issues[0]?.message ?? 'invalid'))
    const known = hosts.map((h) => h.name)
    if (added.length > 0) throw new ConfigError(messages.init.hostNotKnown(flag, name, preset, [...known, ...added.map((h) => h.name)]))
    throw new ConfigError(messages.init.hostNotInPreset(flag, name, preset, known))
  }
  return host
}

function check<T>(flag: string, shown: string, schema: z.ZodType<T>, value: unknown = shown): T {
  const result = schema.safeParse(value)
  if (!result.success) {
    throw new ConfigError(messages.init.badFlagValue(flag, shown, result.error.issues[0]?.message ?? 'invalid'))
  }
  return result.data
}

function oneOf<T extends string>(flag: string, value: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value)) {
    throw new ConfigError(messages.init.badFlagValue(flag, value, `must be one of ${allowed.join(', ')}`))
  }
  return value as T
}

function envName(flag: string, value: string): string {
  if (!ENV_NAME.test(value)) throw new ConfigError(messages.init.badFlagValue(flag, value, messages.init.invalidEnvName))
  return value
}
