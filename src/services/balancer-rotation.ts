import {hostsWithRole} from '../config/hosts.js'
import type {Config} from '../config/schema.js'
import type {Rotation} from '../engine/rotation.js'
import type {ClusterHost} from '../engine/step.js'
import {DeployError, ExitCode, StepFailedError} from '../errors.js'
import type {HostFacts} from '../platform/facts.js'
import {
  LAST_IN_ROTATION,
  LB_CONF_PATH,
  NOT_IN_ROTATION,
  httpGetCommand,
  outOfRotationCommand,
  parseHttpResponse,
  rotationCommand,
} from '../platform/lb.js'
import {serviceName} from '../platform/services.js'
import type {Remote} from '../ssh/remote.js'

export interface BalancerRotationOptions {
  config: Config
  hosts: readonly ClusterHost[]
  remoteOf(hostName: string): Promise<Remote>
  factsOf(hostName: string): Promise<HostFacts>
  /** how long a host may take to answer its own health request before it rejoins */
  healthTimeoutMs?: number
  /** how long a host waits to leave while it is the last one in rotation (another may be about to rejoin) */
  lastHostWaitMs?: number
  healthPollMs?: number
}

/**
 * One web host at a time out of every balancer's rotation: its server line is marked `down`, nginx reloaded,
 * and the old workers' requests finish before the host's first restart. It stays out through the rest of its
 * steps, and goes back once it answers its own health request (the app's page, 2xx/3xx, asked on the host
 * itself); only then may the next host leave. A host that did not answer before (a first deploy) is not
 * serving users: it restarts without leaving. One that does not answer at the end stays out (no traffic is
 * better than errors), and no other host leaves after it: the last host in rotation never does.
 */
const BACK_BY_HAND = `a later run that reaches it puts it back once it answers (or remove its \`down\` in ${LB_CONF_PATH} and reload nginx)`

export class BalancerRotation implements Rotation {
  /** the host out of rotation now, and how to let the next one go */
  private out: {host: string; lbs: ClusterHost[]; release: () => void} | undefined
  private turn: Promise<void> = Promise.resolve()

  constructor(private readonly options: BalancerRotationOptions) {}

  async leave(hostName: string, note: (line: string) => void): Promise<void> {
    if (this.out?.host === hostName) return
    const host = this.options.hosts.find((h) => h.name === hostName)
    const remote = await this.options.remoteOf(hostName)
    if (!host || !(await this.answers(remote))) {
      note(`${hostName} does not serve the app yet: restarted without leaving the balancer's rotation`)
      return
    }
    // wait for the host out before this one to be back
    let release!: () => void
    const previous = this.turn
    this.turn = new Promise<void>((r) => (release = r))
    await previous
    const lbs: ClusterHost[] = []
    try {
      for (const lb of hostsWithRole(this.options.hosts, 'lb')) {
        if (await this.leaveWhenNotLast(lb, host, note)) {
          lbs.push(lb)
          note(`${hostName} out of the rotation of ${lb.name}`)
        }
      }
    } catch (error) {
      for (const lb of lbs) await this.setRotation(lb, host, true).catch(() => undefined)
      release()
      throw error
    }
    this.out = {host: hostName, lbs, release}
  }

  async rejoin(hostName: string, note: (line: string) => void): Promise<{ok: true} | {ok: false; message: string; hint: string}> {
    const out = this.out
    if (out?.host !== hostName) return this.healLeftOut(hostName, note)
    this.out = undefined
    try {
      if (!(await this.answersWithin(await this.options.remoteOf(hostName)))) {
        const lbs = out.lbs.map((l) => l.name).join(', ')
        return {
          ok: false,
          message: `${hostName} does not answer its health request after this run: left out of the rotation of ${lbs}`,
          hint: `see lnmp-deploy verify --host ${hostName}; a later run puts it back once it answers`,
        }
      }
      const host = this.options.hosts.find((h) => h.name === hostName) as ClusterHost
      for (const lb of out.lbs) {
        await this.setRotation(lb, host, true)
        note(`${hostName} back in the rotation of ${lb.name}`)
      }
      return {ok: true}
    } catch (error) {
      return {
        ok: false,
        message: (error as Error).message,
        hint: `the balancer's file on ${out.lbs.map((l) => l.name).join(', ')} marks ${hostName} down: ${BACK_BY_HAND}`,
      }
    } finally {
      out.release()
    }
  }

  /**
   * A host an earlier run left out of rotation (it did not answer then) goes back once it answers: a run that
   * finds it healthy heals the balancer without anybody editing its file.
   */
  private async healLeftOut(
    hostName: string,
    note: (line: string) => void,
  ): Promise<{ok: true} | {ok: false; message: string; hint: string}> {
    const host = this.options.hosts.find((h) => h.name === hostName)
    if (!host?.roles.includes('web')) return {ok: true}
    try {
      for (const lb of hostsWithRole(this.options.hosts, 'lb')) {
        const marked = await (await this.options.remoteOf(lb.name)).exec(outOfRotationCommand(host.privateAddress), {sudo: true})
        if (marked.code !== 0) continue
        if (!(await this.answers(await this.options.remoteOf(hostName)))) {
          return {
            ok: false,
            message: `${hostName} is out of the rotation of ${lb.name} and does not answer its health request`,
            hint: `see lnmp-deploy verify --host ${hostName}`,
          }
        }
        await this.setRotation(lb, host, true)
        note(`${hostName} answers again: back in the rotation of ${lb.name}, where an earlier run had left it out`)
      }
      return {ok: true}
    } catch (error) {
      return {ok: false, message: (error as Error).message, hint: BACK_BY_HAND}
    }
  }

  /**
   * The last host in rotation waits for another to come back (one this run is healing rejoins at the end of its
   * steps), then gives up naming why.
   */
  private async leaveWhenNotLast(lb: ClusterHost, host: ClusterHost, note: (line: string) => void): Promise<boolean> {
    const deadline = Date.now() + (this.options.lastHostWaitMs ?? 120_000)
    let said = false
    for (;;) {
      try {
        return await this.setRotation(lb, host, false)
      } catch (error) {
        if (!(error instanceof LastInRotationError) || Date.now() >= deadline) throw error
        if (!said) note(`${host.name} is the last web host in the rotation of ${lb.name}: waiting for another to come back`)
        said = true
        await new Promise((r) => setTimeout(r, 2000))
      }
    }
  }

  /** true when the balancer lists the host (and now has it as asked) */
  private async setRotation(lb: ClusterHost, web: ClusterHost, inRotation: boolean): Promise<boolean> {
    const remote = await this.options.remoteOf(lb.name)
    const service = serviceName('nginx', await this.options.factsOf(lb.name))
    const result = await remote.exec(rotationCommand(web.privateAddress, inRotation, service), {sudo: true})
    if (result.code === NOT_IN_ROTATION) return false
    if (result.code === LAST_IN_ROTATION) throw new LastInRotationError(web.name, lb.name)
    if (result.code !== 0) {
      const what = inRotation ? 'put it back into' : 'take it out of'
      throw new StepFailedError(
        web.name,
        'rotation',
        `${lb.name}: could not ${what} the balancer's rotation: ${(result.stderr || result.stdout).trim() || `exit ${result.code}`}`,
      )
    }
    return true
  }

  private async answers(remote: Remote): Promise<boolean> {
    const raw = await remote.exec(httpGetCommand({address: '127.0.0.1', hostHeader: this.options.config.app.serverName}))
    const status = parseHttpResponse(raw.stdout)?.status
    return status !== undefined && status >= 200 && status < 400
  }

  private async answersWithin(remote: Remote): Promise<boolean> {
    const deadline = Date.now() + (this.options.healthTimeoutMs ?? 30_000)
    for (;;) {
      if (await this.answers(remote).catch(() => false)) return true
      if (Date.now() >= deadline) return false
      await new Promise((r) => setTimeout(r, this.options.healthPollMs ?? 250))
    }
  }
}

class LastInRotationError extends DeployError {
  constructor(host: string, lb: string) {
    super(`${host}: not taken out of the rotation of ${lb} for a restart: no other web host is in it`, ExitCode.stepFailed, {
      host,
      hint: `another web host is out of rotation (left out by a failed run?): lnmp-deploy verify, fix it, then run again`,
    })
  }
}
