import type {Action} from '../../engine/step.js'
import {cmd} from '../../ssh/shell.js'

/**
 * `lnmp-deploy rollback` moves a component back to its previous build and leaves a pin on the host: "the
 * config asks for build `from`, keep `to` live". Without it the next `run` would switch straight forward again.
 * A config that asks for another build than `from` (the user moved on) ends the pin.
 */
export type Component = 'php' | 'nginx'

export const PIN_DIR = '/var/lib/lnmp-deploy/rollback'

export interface RollbackPin {
  /** the build the config asked for when the rollback was made */
  from: string
  /** the build made live instead */
  to: string
  /** ISO time of the rollback */
  at: string
}

export function pinPath(component: Component): string {
  return `${PIN_DIR}/${component}.json`
}

/** Probe: the pin's content (empty when there is none). */
export function pinCommand(component: Component): string {
  return cmd('cat', pinPath(component))
}

export function parsePin(text: string | undefined): RollbackPin | undefined {
  if (!text?.trim()) return undefined
  try {
    const p = JSON.parse(text) as Partial<RollbackPin>
    return typeof p.from === 'string' && typeof p.to === 'string' && typeof p.at === 'string'
      ? {from: p.from, to: p.to, at: p.at}
      : undefined
  } catch {
    return undefined
  }
}

export function renderPin(pin: RollbackPin): string {
  return `${JSON.stringify(pin)}\n`
}

/** The build that should be live: the pinned one while the config still asks for the build rolled back from. */
export function liveBuild(wanted: string, pin: RollbackPin | undefined): string {
  return pin && pin.from === wanted ? pin.to : wanted
}

/** A pin the config has moved past is removed as the new build goes live. */
export function endPinAction(component: Component, pin: RollbackPin | undefined, wanted: string): Action[] {
  if (!pin || pin.from === wanted) return []
  return [
    {
      kind: 'run',
      description: `end the rollback to ${pin.to}: the config now asks for ${wanted}`,
      command: cmd('rm', '-f', pinPath(component)),
    },
  ]
}
