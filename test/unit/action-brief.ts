import type {Action} from '../../src/engine/step.js'

/** One short word per action, for tests that pin the order of a plan rather than each command. */
export function brief(actions: readonly Action[]): string[] {
  return actions.map((a) => {
    switch (a.kind) {
      case 'run':
        return `run:${a.description}`
      case 'service':
        return `service:${a.op}${a.behindBalancer ? ':rotation' : ''}`
      case 'write-file':
        return `write:${a.path}`
      case 'upload':
        return `upload:${a.path}`
      case 'keep-package':
        return `keep:${a.key}`
      case 'upload-package':
        return `upload-package:${a.key}`
      case 'switch-link':
        return `switch:${a.link}->${a.target}`
      default:
        throw new Error(`unknown action ${JSON.stringify(a satisfies never)}`)
    }
  })
}
