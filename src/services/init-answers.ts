import type {z} from 'zod'
import {ConfigError} from '../errors.js'
import {messages} from '../messages.js'
import {DEFAULT_CONFIG_FILE} from '../config/load.js'
import {isPresetName, PRESET_NAMES, presetHosts, type PresetHost, type PresetName} from '../config/presets.js'
import {envNameFor} from '../config/secrets.js'
import {offeredPhpVersions, phpVersionLabel} from '../php/eol.js'
import type {HostFacts} from '../platform/facts.js'
import {
  addressSchema,
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
  sessionHandler: SessionHandler
  app: AppKind
  /** names of the environment variables that will hold the database passwords */
  secretEnv: {rootPassword: string; appPassword: string}
}

/** The flags of `lnmp-deploy init`, as oclif parses them. */
export interface InitFlags {
  preset?: string
  host?: string[]
  'private-address'?: string[]
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
    host.address = check('--host', `${name}=${address}`, addressSchema, address)
    // the preset's private address belongs to the preset's network, not to the one just given
    delete host.privateAddress
  }
  for (const [name, address] of pairs(flags['private-address'] ?? [], messages.init.privateFlagSyntax)) {
    const host = presetHost(hosts, '--private-address', name, preset)
    host.privateAddress = check('--private-address', `${name}=${address}`, addressSchema, address)
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

/** The config the answers describe, validated: anything the schema refuses is a ConfigError. */
export function buildConfig(answers: InitAnswers): Config {
  const input: ConfigInput = {
    version: 1,
    ssh: {
      user: answers.ssh.user,
      port: answers.ssh.port,
      ...(answers.ssh.identityFile ? {identityFile: answers.ssh.identityFile} : {}),
    },
    hosts: answers.hosts.map((h) => ({
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

function presetHost(hosts: PresetHost[], flag: string, name: string, preset: PresetName): PresetHost {
  const host = hosts.find((h) => h.name === name)
  if (!host) {
    // a name that is not a host name at all gets the schema's reason; others are just not in the preset
    const valid = hostNameSchema.safeParse(name)
    if (!valid.success) throw new ConfigError(messages.init.badFlagValue(flag, name, valid.error.issues[0]?.message ?? 'invalid'))
    throw new ConfigError(
      messages.init.hostNotInPreset(
        flag,
        name,
        preset,
        hosts.map((h) => h.name),
      ),
    )
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
