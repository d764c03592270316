import {existsSync} from 'node:fs'
import {writeFile} from 'node:fs/promises'
import path from 'node:path'
import {confirm} from '@inquirer/prompts'
import {ConfigError, HostKeyError} from '../errors.js'
import {messages} from '../messages.js'
import {schemaRefFor} from '../config/json-schema.js'
import {renderConfig} from '../config/render.js'
import type {Config} from '../config/schema.js'
import {unbuildableReason} from '../php/buildable.js'
import {offeredPhpVersions, phpVersionWarnings} from '../php/eol.js'
import type {HostFacts} from '../platform/facts.js'
import {answersFromFlags, buildConfig, equivalentCommand, type InitAnswers, type InitFlags} from './init-answers.js'
import {askAnswers} from './init-wizard.js'
import {decideHostKeys, hostKeyTargets, type ConfirmKey, type HostKeyDeps} from './init-host-keys.js'

/** What init needs from the SSH layer, behind one seam so the wizard's logic is testable apart from it. */
export interface InitDeps extends HostKeyDeps {
  recordHostKey(
    knownHostsPath: string,
    key: {name: string; address: string; port: number; keyType: string; publicKey: string},
  ): Promise<void>
  /** log in (host keys already in knownHostsPath) and read os-release, arch and cores */
  detectHost(config: Config, configPath: string, hostName: string): Promise<HostFacts>
}

export interface InitRequest {
  flags: InitFlags
  /** ask nothing: every answer comes from flags and defaults */
  yes: boolean
  /** the config file to write, as the user named it */
  output: string
  force: boolean
  connect: boolean
  acceptNewHostKeys: boolean
  /** how the user calls the CLI, for the equivalent command */
  bin: string
  cwd?: string
  /** for the PHP end-of-life notes and warnings; now when left out */
  today?: Date
}

export interface InitResult {
  configPath: string
  /** set when init connected */
  knownHostsPath?: string
  /** host keys newly written to known_hosts */
  recordedKeys: number
  facts: Array<{host: string; facts: HostFacts}>
  /** the `init --yes` line giving the same file */
  command: string
  /** environment variables the config refers to, to export before plan/run */
  secretVariables: string[]
  /** the chosen PHP near or past its end of life: printed, never a refusal */
  warnings: string[]
}

export async function runInit(request: InitRequest, deps: InitDeps): Promise<InitResult> {
  const configPath = path.resolve(request.cwd ?? process.cwd(), request.output)
  // before any question: nobody should answer ten of them to learn the file is in the way
  if (existsSync(configPath) && !request.force) {
    throw new ConfigError(messages.init.outputExists(request.output), {hint: messages.init.outputExistsHint})
  }

  const today = request.today ?? new Date()
  const defaults = answersFromFlags(request.flags)
  // no host is detected before the questions (connecting needs their answers): the wizard offers by table only
  const answers: InitAnswers = request.yes ? defaults : await askAnswers(defaults, {today})
  const connect = request.yes ? request.connect : await confirm({message: messages.init.connectQuestion, default: request.connect})
  const config = buildConfig(answers)
  const command = equivalentCommand(answers, {
    bin: request.bin,
    output: request.output,
    connect,
    acceptNewHostKeys: request.acceptNewHostKeys,
  })

  const result: InitResult = {
    configPath,
    recordedKeys: 0,
    facts: [],
    command,
    secretVariables: [answers.secretEnv.rootPassword, answers.secretEnv.appPassword],
    warnings: phpVersionWarnings(config, today),
  }
  if (connect) {
    const knownHostsPath = path.resolve(path.dirname(configPath), config.ssh.knownHosts)
    const decisions = await decideHostKeys(
      hostKeyTargets(config),
      knownHostsPath,
      deps,
      confirmKeyFor(request),
      config.ssh.connectTimeoutSeconds * 1000,
    )
    for (const {host, key} of decisions.filter((d) => d.status === 'accepted')) {
      await deps.recordHostKey(knownHostsPath, {...host, keyType: key.keyType, publicKey: key.publicKey})
      result.recordedKeys++
    }
    result.knownHostsPath = knownHostsPath
    for (const host of config.hosts) {
      result.facts.push({host: host.name, facts: await deps.detectHost(config, configPath, host.name)})
    }
    result.warnings.push(...unbuildableOnDetected(config, result.facts, today))
  }

  const hostNotes = new Map(result.facts.map(({host, facts}) => [host, describeFacts(facts)]))
  const text = renderConfig(config, {schemaRef: schemaRefFor(path.dirname(configPath)), hostNotes})
  try {
    // 'wx' closes the gap between the check above and this write
    await writeFile(configPath, text, {flag: request.force ? 'w' : 'wx', mode: 0o644})
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new ConfigError(messages.init.outputExists(request.output), {hint: messages.init.outputExistsHint})
    }
    throw new ConfigError(`${configPath}: cannot write: ${(error as Error).message}`, {cause: error})
  }
  return result
}

/** The lines `init` prints when done. */
export function formatInitReport(result: InitResult): string[] {
  const lines = result.facts.map(({host, facts}) => messages.init.detected(host, describeOs(facts), facts.cores))
  lines.push(messages.init.wrote(result.configPath))
  if (result.knownHostsPath && result.recordedKeys > 0) {
    lines.push(messages.init.wroteKnownHosts(result.knownHostsPath, result.recordedKeys))
  }
  lines.push(messages.init.secretsReminder(result.secretVariables), messages.init.equivalent, `  ${result.command}`)
  return lines
}

function confirmKeyFor(request: InitRequest): ConfirmKey {
  return async (host, key) => {
    if (request.acceptNewHostKeys) return true
    if (request.yes) {
      throw new HostKeyError(host.name, messages.init.unconfirmedKey(key.fingerprint), {hint: messages.init.unconfirmedKeyHint})
    }
    return confirm({
      message: messages.init.fingerprintQuestion(host.name, host.address, host.port, key.keyType, key.fingerprint),
      // a stray enter must not trust a key
      default: false,
    })
  }
}

/**
 * The chosen PHP checked against the OS each web host turned out to run: the questions come before any host
 * is reached, so this is where init can say a version will not build there, and which verified ones will.
 */
export function unbuildableOnDetected(config: Config, detected: ReadonlyArray<{host: string; facts: HostFacts}>, today: Date): string[] {
  const webs = new Set(config.hosts.filter((h) => h.roles.includes('web')).map((h) => h.name))
  const webFacts = detected.filter((d) => webs.has(d.host))
  const refusing = webFacts.flatMap(({host, facts}) => {
    const reason = unbuildableReason('php', config.php.version, facts)
    return reason ? [`${host} (${describeOs(facts)}): ${reason}`] : []
  })
  if (refusing.length === 0) return []
  const builds = offeredPhpVersions(
    today,
    webFacts.map((d) => d.facts),
  ).map((o) => o.label)
  return [
    `PHP ${config.php.version} will not build on ${refusing.join('; ')}; ` +
      (builds.length > 0
        ? `set php.version to one that builds on every web host: ${builds.join(', ')}`
        : 'no verified PHP version builds on every web host'),
  ]
}

function describeOs(facts: HostFacts): string {
  return `${facts.osId} ${facts.osVersion}`.trim()
}

function describeFacts(facts: HostFacts): string {
  return `${describeOs(facts)}, ${facts.arch}, ${facts.cores} core${facts.cores === 1 ? '' : 's'} (detected by init)`
}
