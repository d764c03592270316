import type {ExecOptions, JobOptions, Remote} from '../ssh/remote.js'

/**
 * verify runs many checks at once, and several hosts' checks reach into the same host (memcached's set/get,
 * MariaDB's login and the firewall probes all run on the web hosts). OpenSSH refuses the 11th concurrent
 * channel of one connection (MaxSessions 10): "Channel open failure", which would read as an unreachable
 * host. Every remote call of a verify waits for one of a host's few slots instead.
 */
export const CHANNELS_PER_HOST = 6

export class Slots {
  private free: number
  private readonly waiting: Array<() => void> = []

  constructor(size: number) {
    this.free = size
  }

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.free > 0) this.free--
    else await new Promise<void>((resolve) => this.waiting.push(resolve))
    try {
      return await work()
    } finally {
      const next = this.waiting.shift()
      if (next) next()
      else this.free++
    }
  }
}

/** The same Remote, each call holding one of the host's slots while it runs. */
export function limitChannels(remote: Remote, slots: Slots): Remote {
  return {
    name: remote.name,
    exec: (command: string, options?: ExecOptions) => slots.run(() => remote.exec(command, options)),
    run: (command: string, options?: ExecOptions) => slots.run(() => remote.run(command, options)),
    writeFile: (path: string, content: string | Buffer, options?: {sudo?: boolean; mode?: number}) =>
      slots.run(() => remote.writeFile(path, content, options)),
    upload: (localPath: string, path: string, options?: {sudo?: boolean; mode?: number}) =>
      slots.run(() => remote.upload(localPath, path, options)),
    download: (path: string, localPath: string) => slots.run(() => remote.download(path, localPath)),
    runJob: (command: string, options: JobOptions) => slots.run(() => remote.runJob(command, options)),
    close: () => remote.close(),
  }
}

/** remoteOf for a verify: one slot set per host, shared by every check that reaches it. */
export function channelLimited(
  remoteOf: (name: string) => Promise<Remote>,
  perHost = CHANNELS_PER_HOST,
): (name: string) => Promise<Remote> {
  const slots = new Map<string, Slots>()
  return async (name) => {
    const remote = await remoteOf(name)
    let s = slots.get(name)
    if (!s) {
      s = new Slots(perHost)
      slots.set(name, s)
    }
    return limitChannels(remote, s)
  }
}
