import {Slots} from '../slots.js'
import type {ExecOptions, JobOptions, Remote} from './remote.js'

/**
 * verify runs many checks at once, and several hosts' checks reach into the same host (memcached's set/get,
 * MariaDB's login and the firewall probes all run on the web hosts). OpenSSH refuses the 11th concurrent
 * channel of one connection (MaxSessions 10): "Channel open failure", which would read as an unreachable
 * host. Every remote call of a verify waits for one of a host's few slots instead.
 */
export const CHANNELS_PER_HOST = 6

/** The same Remote, each call holding one of the host's slots while it runs. */
export function limitChannels(remote: Remote, slots: Slots): Remote {
  return {
    name: remote.name,
    exec: (command: string, options?: ExecOptions) => slots.use(() => remote.exec(command, options)),
    run: (command: string, options?: ExecOptions) => slots.use(() => remote.run(command, options)),
    writeFile: (path: string, content: string | Buffer, options?: {sudo?: boolean; mode?: number}) =>
      slots.use(() => remote.writeFile(path, content, options)),
    upload: (localPath: string, path: string, options?: {sudo?: boolean; mode?: number}) =>
      slots.use(() => remote.upload(localPath, path, options)),
    download: (path: string, localPath: string) => slots.use(() => remote.download(path, localPath)),
    runJob: (command: string, options: JobOptions) => slots.use(() => remote.runJob(command, options)),
    close: () => remote.close(),
  }
}

/** remoteOf for many checks at once (verify, a run's up-to-date checks): one slot set per host, shared by every check that reaches it. */
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
