import {ask} from '../engine/probe-query.js'
import {batchCommand, parseBatch} from '../platform/batch-probe.js'
import type {ProbeQuery, Step, StepPlan} from '../engine/step.js'
import {StepFailedError} from '../errors.js'
import {messages} from '../messages.js'
import {cmd} from '../ssh/shell.js'
import {check} from './support/checks.js'

/**
 * The procedure's third milestone: "create the group and user that nginx's and PHP-FPM's worker processes run
 * as": `groupadd -g 666 www && useradd -u666 -g666 www`. Both nginx (`user www`) and php-fpm
 * (`--with-fpm-user=www`) refuse to start until it exists, so every web host needs it before anything else.
 */
export interface WwwUserInputs {
  /** the host it runs on, for naming it when the plan refuses */
  host: string
  user: string
  group: string
  uid: number
  gid: number
  shell: string
}

export interface Account {
  name: string
  id: number
  gid?: number
  shell?: string
}

export interface WwwUserFacts {
  groupByName?: Account
  groupById?: Account
  userByName?: Account
  userById?: Account
}

const ACCOUNT = {user: 'www', group: 'www', uid: 666, gid: 666, shell: '/usr/sbin/nologin'}

export function parseGetent(kind: 'group' | 'passwd', line: string): Account | undefined {
  const fields = line.trim().split(':')
  if (fields.length < 3 || !fields[0]) return undefined
  const id = Number(fields[2])
  if (kind === 'group') return {name: fields[0], id}
  return {name: fields[0], id, gid: Number(fields[3]), shell: fields[6]}
}

const LOOKUPS = {
  groupByName: ['group', (want: WwwUserInputs) => want.group],
  groupById: ['group', (want: WwwUserInputs) => want.gid],
  userByName: ['passwd', (want: WwwUserInputs) => want.user],
  userById: ['passwd', (want: WwwUserInputs) => want.uid],
} as const

/**
 * Four lookups in one round trip, so a name or an id already taken by another account shows apart from ours;
 * getent exits 2 for "not found": that is a fact, not a failure.
 */
export const wwwUserQueries = {
  accounts: {
    command: (want) =>
      batchCommand(Object.fromEntries(Object.entries(LOOKUPS).map(([name, [kind, key]]) => [name, cmd('getent', kind, key(want))]))),
    sudo: false,
    parse: (stdout): WwwUserFacts => {
      const a = parseBatch(stdout)
      const found = (name: keyof typeof LOOKUPS) => parseGetent(LOOKUPS[name][0], a.get(name) ?? '')
      return {
        groupByName: found('groupByName'),
        groupById: found('groupById'),
        userByName: found('userByName'),
        userById: found('userById'),
      }
    },
  },
} satisfies Record<string, ProbeQuery<WwwUserInputs, unknown>>

export function planWwwUser(facts: WwwUserFacts, want: WwwUserInputs): StepPlan {
  const actions: StepPlan['actions'] = []
  const conflicts: string[] = []

  if (!facts.groupByName) {
    if (facts.groupById) conflicts.push(`gid ${want.gid} already belongs to group ${facts.groupById.name}`)
    else
      actions.push({
        kind: 'run',
        description: `create group ${want.group} (gid ${want.gid})`,
        command: cmd('groupadd', '-g', want.gid, want.group),
      })
  } else if (facts.groupByName.id !== want.gid) {
    conflicts.push(`group ${want.group} exists with gid ${facts.groupByName.id}, not ${want.gid}`)
  }

  const user = facts.userByName
  if (!user) {
    if (facts.userById) conflicts.push(`uid ${want.uid} already belongs to user ${facts.userById.name}`)
    else
      actions.push({
        kind: 'run',
        description: `create user ${want.user} (uid ${want.uid}, no login shell)`,
        command: cmd('useradd', '-u', want.uid, '-g', want.gid, '-M', '-d', '/nonexistent', '-s', want.shell, want.user),
      })
  } else {
    if (user.id !== want.uid) conflicts.push(`user ${want.user} exists with uid ${user.id}, not ${want.uid}`)
    if (user.gid !== want.gid) conflicts.push(`user ${want.user} has primary gid ${user.gid}, not ${want.gid}`)
    if (user.shell !== want.shell && user.id === want.uid && user.gid === want.gid) {
      actions.push({
        kind: 'run',
        description: `set ${want.user}'s shell to ${want.shell}`,
        command: cmd('usermod', '-s', want.shell, want.user),
      })
    }
  }

  // renumbering an existing account would orphan the files it owns: refuse and let a person decide
  if (conflicts.length > 0) {
    throw new StepFailedError(
      want.host,
      'www-user',
      `cannot create ${want.user}:${want.group} ${want.uid}:${want.gid}: ${conflicts.join('; ')}`,
      {
        hint: `nginx and PHP-FPM run as ${want.user} (${want.uid}:${want.gid}); lnmp-deploy does not renumber existing accounts: free or fix them on ${want.host} by hand (usermod/groupmod, then chown what they own), then run again`,
      },
    )
  }
  return actions.length > 0 ? {actions} : {actions, reason: `user ${want.user} (${want.uid}) and group ${want.group} (${want.gid}) exist`}
}

export const wwwUser: Step<WwwUserInputs, WwwUserFacts> = {
  id: 'www-user',
  title: 'Create the www group and user (666) that nginx and PHP-FPM run as',
  roles: ['web'],

  inputs: (ctx) => ({host: ctx.host.name, ...ACCOUNT}),

  probeQueries: wwwUserQueries,

  probe: (remote, ctx, want) => ask(remote, wwwUserQueries.accounts, want, ctx.facts),

  plan: (facts, inputs) => planWwwUser(facts, inputs),

  async verify({remote}, ctx, want) {
    const {userByName: user, groupByName: group} = await ask(remote, wwwUserQueries.accounts, want, ctx.facts)
    const ok = user?.id === want.uid && user.gid === want.gid && group?.id === want.gid && user.shell === want.shell
    const found = user ? `${user.name} uid=${user.id} gid=${user.gid} shell=${user.shell}` : `no user ${want.user}`
    return [
      check('www-user', ok, found, {command: cmd('getent', 'passwd', want.user), hint: messages.rerun.hint('www-user', ctx.host.name)}),
    ]
  },
}
