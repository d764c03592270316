import {randomBytes} from 'node:crypto'
import {basename, dirname} from 'node:path'

import {rm} from 'node:fs/promises'

import {ArtifactError, StepFailedError} from '../errors.js'
import {findPackage, incomingPath, keepPackage, packageBlobPath} from '../packages/cache.js'
import {cmd, quote} from '../ssh/shell.js'
import type {Remote} from '../ssh/remote.js'
import type {HostJournal, OwedService} from './journal.js'
import {describeReadiness} from './describe.js'
import {sha256Of} from '../hash.js'
import {STATE_DIR} from './paths.js'
import type {Slots} from '../slots.js'
import type {Action, Readiness} from './step.js'

export interface ActionEnv {
  remote: Remote
  journal: HostJournal
  stepId: string
  /** how long a restarted service may take to answer */
  readyTimeoutMs?: number
  readyPollMs?: number
  /** for backup names; injectable so tests can pin it */
  now?: () => Date
  onOutput?: (chunk: string) => void
  /** how a service is restarted or reloaded: systemd unless the platform says otherwise */
  serviceCommand?: ServiceCommand
  /** the cluster's build slots; builds run unthrottled without them */
  buildSlots?: Slots
  /** where replaced files are kept (never beside them: a web root would serve them); BACKUP_DIR by default */
  backupDir?: string
}

export type ServiceCommand = (service: string, op: 'restart' | 'reload' | 'enable-now') => string

export interface ActionOutcome {
  /** false when the host already was as the action wants it */
  changed: boolean
  /** how to put the host back as it was before this action, when a restart after it fails */
  undo?: Undo
}

/** What a changed file or link was before: enough to put it back. */
export type Undo =
  | {kind: 'restore-file'; path: string; backup: string}
  | {kind: 'remove-file'; path: string}
  | {kind: 'relink'; link: string; target: string | undefined}

export async function executeAction(action: Action, env: ActionEnv): Promise<ActionOutcome> {
  switch (action.kind) {
    case 'run':
      return runCommand(action, env)
    case 'write-file':
      return writeFileAction(action, env)
    case 'upload':
      return uploadAction(action, env)
    case 'keep-package':
      return keepPackageAction(action, env)
    case 'upload-package':
      return uploadPackageAction(action, env)
    case 'switch-link':
      return switchLinkAction(action, env)
    case 'service':
      return serviceAction(action, env)
  }
}

type RunAction = Extract<Action, {kind: 'run'}>
type WriteAction = Extract<Action, {kind: 'write-file'}>
type UploadAction = Extract<Action, {kind: 'upload'}>
type SwitchLinkAction = Extract<Action, {kind: 'switch-link'}>
type ServiceAction = Extract<Action, {kind: 'service'}>

async function runCommand(action: RunAction, env: ActionEnv): Promise<ActionOutcome> {
  const {remote} = env
  if (action.job) {
    const job = action.job
    const start = () => remote.runJob(action.command, {id: job, sudo: true, onOutput: env.onOutput})
    const result = action.build && env.buildSlots ? await env.buildSlots.use(start) : await start()
    if (result.code !== 0) {
      throw new StepFailedError(
        remote.name,
        env.stepId,
        `${action.description}: job ${action.job} exited with ${result.code} (log on the host: ${result.logPath})`,
        {
          outputTail: result.outputTail,
        },
      )
    }
    return {changed: true}
  }
  await remote.run(action.command, {sudo: true, secretValues: action.secretValues, onOutput: env.onOutput})
  return {changed: true}
}

/** `644 root root <sha256>` of the current file, or undefined when there is none. */
export interface FileState {
  mode: number
  owner: string
  group: string
  sha256: string
}

export function fileStateCommand(path: string): string {
  const p = quote(path)
  return `if [ -e ${p} ]; then stat -c '%a %U %G' ${p} && sha256sum < ${p}; fi`
}

export function parseFileState(stdout: string): FileState | undefined {
  const [statLine, sumLine] = stdout.trim().split('\n')
  if (!statLine || !sumLine) return undefined
  const [mode, owner, group] = statLine.trim().split(/\s+/)
  const sha256 = sumLine.trim().split(/\s+/)[0]
  if (!mode || !owner || !group || !sha256) return undefined
  return {mode: Number.parseInt(mode, 8), owner, group, sha256}
}

async function fileState(remote: Remote, path: string): Promise<FileState | undefined> {
  return parseFileState((await remote.run(fileStateCommand(path), {sudo: true})).stdout)
}

/** Replaced files are kept here: root only, outside every web root, a few per file. */
export const BACKUP_DIR = `${STATE_DIR}/backups`
/** backups kept per file; older ones are removed when a new one is made */
export const BACKUPS_KEPT = 5

/**
 * `<dir>/etc%nginx%conf.d%lb.conf.20250131T120000Z`: the file's path in one name, then a sortable time. Never
 * beside the file: a backup of config.inc.php in the web root would be served, old secret and all.
 */
export function backupPath(path: string, now: Date, dir: string = BACKUP_DIR): string {
  return `${dir}/${path.replace(/^\/+/, '').replaceAll('/', '%')}.${now
    .toISOString()
    .replaceAll(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z')}`
}

/** Copy the current file into the backup folder (0700), then keep only the newest BACKUPS_KEPT of it. */
export function backupCommand(path: string, backup: string, kept: number = BACKUPS_KEPT): string {
  const dir = dirname(backup)
  const prefix = basename(backup).replace(/\.[0-9TZ]+$/, '.')
  return [
    `${cmd('install', '-d', '-m', '0700', dir)}`,
    cmd('cp', '-p', path, backup),
    `ls -1 ${quote(dir)} | awk -v p=${quote(prefix)} 'index($0, p) == 1' | grep -E '\\.[0-9]{8}T[0-9]{6}Z$' | sort -r | tail -n +${kept + 1} | while read -r f; do rm -f -- ${quote(`${dir}/`)}"$f"; done`,
  ].join(' && ')
}

function ownership(action: {owner?: string; group?: string}): string | undefined {
  if (!action.owner && !action.group) return undefined
  return `${action.owner ?? ''}:${action.group ?? ''}`
}

async function writeFileAction(action: WriteAction, env: ActionEnv): Promise<ActionOutcome> {
  const {remote} = env
  const current = await fileState(remote, action.path)
  const sameContent = current?.sha256 === sha256Of(action.content)
  const sameOwner = (!action.owner || current?.owner === action.owner) && (!action.group || current?.group === action.group)
  if (current && sameContent) {
    if (current.mode === action.mode && sameOwner) return {changed: false}
    // only the metadata drifted: fix it in place, there is nothing to validate or back up
    const owner = ownership(action)
    if (owner) await remote.run(cmd('chown', owner, action.path), {sudo: true})
    await remote.run(cmd('chmod', action.mode.toString(8).padStart(4, '0'), action.path), {sudo: true})
    return {changed: true}
  }

  const tmp = `${dirname(action.path)}/.${basename(action.path)}.lnmp-new.${randomBytes(4).toString('hex')}`
  try {
    await remote.run(cmd('mkdir', '-p', dirname(action.path)), {sudo: true})
    await remote.writeFile(tmp, action.content, {sudo: true, mode: action.mode})
    const owner = ownership(action)
    if (owner) await remote.run(cmd('chown', owner, tmp), {sudo: true})
    await remote.run(cmd('chmod', action.mode.toString(8).padStart(4, '0'), tmp), {sudo: true})
    if (action.validate) {
      const check = action.validate.replaceAll('{}', quote(tmp))
      const result = await remote.exec(check, {sudo: true})
      if (result.code !== 0) {
        throw new StepFailedError(
          remote.name,
          env.stepId,
          `the new ${action.path} does not pass \`${action.validate}\` (exit ${result.code}); the old file is untouched`,
          {
            outputTail: (result.stderr || result.stdout).trim().split('\n').slice(-20).join('\n'),
          },
        )
      }
    }
    const backup = current ? backupPath(action.path, (env.now ?? (() => new Date()))(), env.backupDir) : undefined
    if (backup) await remote.run(backupCommand(action.path, backup), {sudo: true})
    // rename within one directory: readers see the old file or the new one, never half of either
    await remote.run(cmd('mv', '-f', tmp, action.path), {sudo: true})
    return {changed: true, undo: backup ? {kind: 'restore-file', path: action.path, backup} : {kind: 'remove-file', path: action.path}}
  } finally {
    await remote.exec(cmd('rm', '-f', tmp), {sudo: true}).catch(() => undefined)
  }
}

/**
 * Point a link at another target in one rename (`ln -sfn` to a temp name, `mv -T` over the link): readers see
 * the old target or the new one, never no link. The old target stays on the host for a rollback.
 */
export function switchLinkCommand(link: string, target: string): string {
  const tmp = `${dirname(link)}/.${basename(link)}.lnmp-new`
  return `${cmd('ln', '-sfn', target, tmp)} && ${cmd('mv', '-T', tmp, link)}`
}

async function switchLinkAction(action: SwitchLinkAction, env: ActionEnv): Promise<ActionOutcome> {
  const {remote} = env
  const before = (await remote.exec(cmd('readlink', action.link), {sudo: true})).stdout.trim() || undefined
  if (before === action.target) return {changed: false}
  await remote.run(switchLinkCommand(action.link, action.target), {sudo: true})
  return {changed: true, undo: {kind: 'relink', link: action.link, target: before}}
}

/** The command that puts back what `undo` describes. */
export function undoCommand(undo: Undo): string {
  switch (undo.kind) {
    case 'restore-file': {
      // copied beside the file, then renamed over it: the backup stays for the next time
      const tmp = `${dirname(undo.path)}/.${basename(undo.path)}.lnmp-restore`
      return `${cmd('cp', '-p', undo.backup, tmp)} && ${cmd('mv', '-f', tmp, undo.path)}`
    }
    case 'remove-file':
      return cmd('rm', '-f', undo.path)
    case 'relink':
      return undo.target === undefined ? cmd('rm', '-f', undo.link) : switchLinkCommand(undo.link, undo.target)
  }
}

export function describeUndo(undo: Undo): string {
  switch (undo.kind) {
    case 'restore-file':
      return `${undo.path} put back from ${undo.backup}`
    case 'remove-file':
      return `${undo.path} removed (it did not exist before)`
    case 'relink':
      return undo.target === undefined ? `${undo.link} removed` : `${undo.link} points at ${undo.target} again`
  }
}

async function uploadAction(action: UploadAction, env: ActionEnv): Promise<ActionOutcome> {
  const {remote} = env
  const current = await fileState(remote, action.path)
  if (current?.sha256 === action.sha256 && (action.mode === undefined || current.mode === action.mode)) return {changed: false}
  const tmp = `${dirname(action.path)}/.${basename(action.path)}.lnmp-upload.${randomBytes(4).toString('hex')}`
  try {
    await remote.run(cmd('mkdir', '-p', dirname(action.path)), {sudo: true})
    await remote.upload(action.localPath, tmp, {sudo: true, mode: action.mode})
    const uploaded = await fileState(remote, tmp)
    if (uploaded?.sha256 !== action.sha256) {
      throw new ArtifactError(
        `${remote.name}: ${basename(action.localPath)} uploaded to ${action.path} has sha256 ${uploaded?.sha256 ?? '(missing)'}, expected ${action.sha256}`,
        {host: remote.name, hint: `check ${action.localPath} on this machine against the sha256 in the config`},
      )
    }
    if (action.mode !== undefined) await remote.run(cmd('chmod', action.mode.toString(8).padStart(4, '0'), tmp), {sudo: true})
    await remote.run(cmd('mv', '-f', tmp, action.path), {sudo: true})
  } finally {
    await remote.exec(cmd('rm', '-f', tmp), {sudo: true}).catch(() => undefined)
  }
  return {changed: true}
}

/** The build left its package on the host: it comes back to the controller, kept by its bytes' sha256. */
async function keepPackageAction(action: Extract<Action, {kind: 'keep-package'}>, env: ActionEnv): Promise<ActionOutcome> {
  const incoming = await incomingPath(action.cacheDir)
  try {
    await env.remote.download(action.path, incoming)
  } catch (error) {
    await rm(incoming, {force: true})
    throw error
  }
  const kept = await keepPackage(action.cacheDir, action.key, incoming, env.remote.name)
  env.onOutput?.(`kept ${action.key}: ${kept.size} bytes, sha256 ${kept.sha256}\n`)
  return {changed: true}
}

async function uploadPackageAction(action: Extract<Action, {kind: 'upload-package'}>, env: ActionEnv): Promise<ActionOutcome> {
  const kept = findPackage(action.cacheDir, action.key)
  if (!kept) {
    throw new StepFailedError(
      env.remote.name,
      env.stepId,
      `no package ${action.key} in ${action.cacheDir}: the host that builds it has not kept one`,
      {
        hint: 'run the whole web tier (without --host), so its builder compiles first, or remove build.builder from the config',
      },
    )
  }
  return uploadAction(
    {kind: 'upload', path: action.path, localPath: packageBlobPath(action.cacheDir, kept.sha256), sha256: kept.sha256, mode: 0o644},
    env,
  )
}

export function serviceCommand(service: string, op: ServiceAction['op']): string {
  return op === 'enable-now' ? cmd('systemctl', 'enable', '--now', service) : cmd('systemctl', op, service)
}

/** Checked from the host itself: "does it answer" where it matters, not from the controller. */
export function readinessCommand(ready: Readiness): string {
  return 'tcp' in ready ? cmd('timeout', 1, 'bash', '-c', `</dev/tcp/${ready.tcp.host}/${ready.tcp.port}`) : ready.command
}

async function serviceAction(action: ServiceAction, env: ActionEnv): Promise<ActionOutcome> {
  const owed: OwedService = {
    stepId: env.stepId,
    service: action.service,
    op: action.op,
    ...(action.ready ? {ready: action.ready} : {}),
    ...(action.behindBalancer ? {behindBalancer: true} : {}),
    since: (env.now ?? (() => new Date()))().toISOString(),
  }
  // recorded before it is done: if this run dies between here and readiness, the next run still owes it
  await env.journal.addOwed(owed)
  await payOwed(owed, env)
  return {changed: true}
}

/** Restart/reload a service, wait until it answers, then strike it from the journal. */
export async function payOwed(owed: OwedService, env: ActionEnv): Promise<void> {
  const {remote} = env
  await remote.run((env.serviceCommand ?? serviceCommand)(owed.service, owed.op), {sudo: true})
  if (owed.ready) await waitReady(remote, env, owed.service, owed.ready)
  await env.journal.clearOwed(owed)
}

async function waitReady(remote: Remote, env: ActionEnv, service: string, ready: Readiness): Promise<void> {
  const timeoutMs = env.readyTimeoutMs ?? 30_000
  const pollMs = env.readyPollMs ?? 500
  const deadline = Date.now() + timeoutMs
  const check = readinessCommand(ready)
  let last = ''
  for (;;) {
    const result = await remote.exec(check, {sudo: true})
    if (result.code === 0) return
    last = (result.stderr || result.stdout).trim()
    if (Date.now() >= deadline) break
    await new Promise((r) => setTimeout(r, pollMs))
  }
  const status = await remote
    .exec(`${cmd('systemctl', 'status', '--no-pager', '--lines=20', service)} 2>&1`, {sudo: true})
    .catch(() => undefined)
  throw new StepFailedError(
    remote.name,
    env.stepId,
    `${service} did not become ready within ${Math.round(timeoutMs / 1000)} s (${describeReadiness(ready)})`,
    {
      outputTail: [last, status?.stdout.trim()].filter(Boolean).join('\n'),
      hint: `see \`systemctl status ${service}\` and \`journalctl -u ${service}\` on ${remote.name}`,
    },
  )
}
