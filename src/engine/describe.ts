import {basename} from 'node:path'

import type {Action, Readiness} from './step.js'
import {redact} from '../redact.js'

const MAX_COMMAND = 100

/** One line per action, for `plan` and the logs. Secrets are replaced by ***; file contents never appear. */
export function describeAction(action: Action, secretValues: Iterable<string> = []): string {
  const hidden = [...secretValues, ...(action.kind === 'run' ? (action.secretValues ?? []) : [])]
  switch (action.kind) {
    case 'run': {
      const job = action.job ? ` [detached job ${action.job}]` : ''
      return redact(`run: ${action.description}${job}: ${oneLine(action.command)}`, hidden)
    }
    case 'write-file': {
      const details = [`mode ${mode(action.mode)}`]
      if (action.owner || action.group) details.push(`owner ${action.owner ?? ''}:${action.group ?? ''}`)
      if (action.validate) details.push(`validated by ${oneLine(action.validate)}`)
      if (action.sensitive) details.push('content hidden')
      return redact(`write ${action.path} (${details.join(', ')})`, hidden)
    }
    case 'upload':
      return `upload ${basename(action.localPath)} to ${action.path} (sha256 ${action.sha256.slice(0, 12)}…${
        action.mode === undefined ? '' : `, mode ${mode(action.mode)}`
      })`
    case 'keep-package':
      return `keep ${action.path} in the package cache as ${action.key}`
    case 'upload-package':
      return `upload package ${action.key} from the package cache to ${action.path} (sha256 checked)`
    case 'switch-link':
      return `switch ${action.link} to ${action.target}`
    case 'service': {
      const verb = {restart: 'restart', reload: 'reload', 'enable-now': 'enable and start'}[action.op]
      const rotation = action.behindBalancer ? " out of the balancer's rotation" : ''
      return `${verb} ${action.service}${rotation}${action.ready ? `, then wait for ${describeReadiness(action.ready)}` : ''}`
    }
  }
}

export function describeReadiness(ready: Readiness): string {
  return 'tcp' in ready ? `tcp ${ready.tcp.host}:${ready.tcp.port}` : `\`${oneLine(ready.command)}\``
}

function mode(m: number): string {
  return `0${m.toString(8).padStart(3, '0')}`
}

function oneLine(command: string): string {
  const flat = command.replaceAll(/\s*\n\s*/g, '; ').trim()
  return flat.length > MAX_COMMAND ? `${flat.slice(0, MAX_COMMAND - 1)}…` : flat
}
