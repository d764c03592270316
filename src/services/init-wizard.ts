import {input, select} from '@inquirer/prompts'
import {messages} from '../messages.js'
import {PRESETS, PRESET_NAMES, presetHosts, type PresetHost, type PresetName} from '../config/presets.js'
import {hostAddressSchema, hostNameSchema, portSchema, userNameSchema, versionSchema} from '../config/schema.js'
import type {HostFacts} from '../platform/facts.js'
import {
  APP_KINDS,
  type CacheAnswers,
  cacheHostStart,
  ENV_NAME,
  phpVersionChoices,
  SESSION_HANDLERS,
  sessionLayoutChoices,
  sessionLayoutOf,
  type InitAnswers,
} from './init-answers.js'

export interface WizardOptions {
  /** for the end-of-life notes of the PHP versions */
  today: Date
  /** facts of hosts already detected: PHP versions that cannot build on one of them are not offered */
  facts?: readonly HostFacts[]
}

/**
 * The questions of `lnmp-deploy init`, each defaulting to what the flags (or the preset) already say, so
 * pressing enter all the way gives the same file as `--yes` with the same flags.
 */
export async function askAnswers(defaults: InitAnswers, options: WizardOptions): Promise<InitAnswers> {
  const preset = await select({
    message: messages.init.presetQuestion,
    choices: PRESET_NAMES.map((name) => ({value: name, name, description: PRESETS[name].description})),
    default: defaults.preset,
  })
  // a preset other than the flags' one starts from its own addresses
  const startHosts = preset === defaults.preset ? defaults.hosts : presetHosts(preset)
  const hosts: PresetHost[] = []
  for (const host of startHosts) hosts.push(await askHost(host))
  // the flags' stores name the flags' preset's hosts and network
  const cache = await askSessionStores(preset, hosts, preset === defaults.preset ? defaults.cache : {added: [], on: []})

  const user = await input({message: messages.init.sshUserQuestion, default: defaults.ssh.user, validate: schemaCheck(userNameSchema)})
  const port = await input({
    message: messages.init.sshPortQuestion,
    default: String(defaults.ssh.port),
    validate: (v) => (/^\d+$/.test(v) && portSchema.safeParse(Number(v)).success) || messages.init.invalidPort,
  })
  const identityFile = (await input({message: messages.init.identityFileQuestion, default: defaults.ssh.identityFile ?? ''})).trim()
  const nginxVersion = await input({
    message: messages.init.nginxVersionQuestion,
    default: defaults.nginxVersion,
    validate: schemaCheck(versionSchema),
  })
  const phpVersion = await askPhpVersion(defaults.phpVersion, options)
  const sessionHandler = await select({
    message: messages.init.sessionHandlerQuestion,
    choices: SESSION_HANDLERS.map((value) => ({value})),
    default: defaults.sessionHandler,
  })
  const app = await select({message: messages.init.appQuestion, choices: APP_KINDS.map((value) => ({value})), default: defaults.app})
  const rootPassword = await askEnvName('database.rootPassword', defaults.secretEnv.rootPassword)
  const appPassword = await askEnvName('database.appPassword', defaults.secretEnv.appPassword)

  return {
    preset,
    hosts,
    ssh: {user, port: Number(port), ...(identityFile ? {identityFile} : {})},
    nginxVersion,
    phpVersion,
    cache,
    sessionHandler,
    app,
    secretEnv: {rootPassword, appPassword},
  }
}

/** A choice of the table's versions with their end-of-life notes, or another one typed in. */
async function askPhpVersion(fallback: string, options: WizardOptions): Promise<string> {
  const OTHER = ''
  const picked = await select({
    message: messages.init.phpVersionQuestion,
    choices: [...phpVersionChoices(fallback, options.today, options.facts), {value: OTHER, name: messages.init.otherVersion}],
    default: fallback,
  })
  if (picked !== OTHER) return picked
  return input({message: messages.init.otherPhpVersionQuestion, validate: schemaCheck(versionSchema)})
}

/**
 * Where PHP sessions live: the preset's store alone (the procedure's layout), or with a second one that
 * holds every session too (a new cache host, or one of the web hosts), so one memcached down logs nobody out.
 */
async function askSessionStores(preset: PresetName, hosts: PresetHost[], start: CacheAnswers): Promise<CacheAnswers> {
  const answers = {hosts, cache: start}
  const layout = await select({
    message: messages.init.sessionStoresQuestion,
    choices: sessionLayoutChoices(answers),
    default: sessionLayoutOf(start),
  })
  if (layout === 'flags') return start
  if (layout === 'single') return {added: [], on: []}
  if (layout === 'web') {
    const web = hosts.filter((h) => h.roles.includes('web') && !h.roles.includes('cache'))
    const on = await select({
      message: messages.init.cacheOnQuestion,
      choices: web.map((h) => ({value: h.name, name: `${h.name} (${h.address})`})),
      default: start.on[0],
    })
    return {added: [], on: [on]}
  }
  const begin = cacheHostStart(preset, answers)
  const taken = hosts.map((h) => h.name)
  const name = await input({
    message: messages.init.cacheHostNameQuestion,
    default: begin.name,
    validate: (v) => {
      const valid = schemaCheck(hostNameSchema)(v)
      if (valid !== true) return valid
      return !taken.includes(v) || messages.init.cacheHostNameTaken(v)
    },
  })
  return {added: [await askHost({...begin, name})], on: []}
}

async function askHost(host: PresetHost): Promise<PresetHost> {
  const address = await input({
    message: messages.init.addressQuestion(host.name, host.roles.join(' + ')),
    default: host.address,
    validate: schemaCheck(hostAddressSchema),
  })
  // only presets with a separate private network ask for it
  if (host.privateAddress === undefined) return {...host, address}
  const privateAddress = (
    await input({
      message: messages.init.privateAddressQuestion(host.name),
      // the preset's private address makes sense only with the preset's public one
      default: address === host.address ? host.privateAddress : '',
      validate: (v) => v.trim() === '' || schemaCheck(hostAddressSchema)(v.trim()),
    })
  ).trim()
  const {privateAddress: _dropped, ...rest} = host
  return privateAddress === '' || privateAddress === address ? {...rest, address} : {...rest, address, privateAddress}
}

async function askEnvName(keyPath: string, fallback: string): Promise<string> {
  return input({
    message: messages.init.secretQuestion(keyPath),
    default: fallback,
    validate: (v) => ENV_NAME.test(v) || messages.init.invalidEnvName,
  })
}

function schemaCheck(schema: {safeParse(v: unknown): {success: boolean; error?: {issues: Array<{message: string}>}}}) {
  return (value: string): true | string => {
    const result = schema.safeParse(value)
    return result.success || (result.error?.issues[0]?.message ?? 'invalid')
  }
}
