import type ssh2 from 'ssh2'

import type {ExecResult} from './remote.js'

const SIGNALS: Record<string, number> = {HUP: 1, INT: 2, QUIT: 3, KILL: 9, PIPE: 13, TERM: 15}

export class ChannelDroppedError extends Error {}

/**
 * The server would not open a channel now; the connection itself is fine. sshd counts a session until it has
 * reaped the session's process, so on a busy host a channel we closed can still count against MaxSessions.
 */
export class ChannelRefusedError extends Error {}

/**
 * One command on one channel. Resolves with the exit code whatever it is (128+n for a signal, 124 on
 * our own timeout, like timeout(1)); rejects only when the connection goes away under it.
 */
export function execOnChannel(
  client: ssh2.Client,
  command: string,
  options: {stdin?: string; timeoutMs?: number; onOutput?: (chunk: string, stream: 'stdout' | 'stderr') => void} = {},
): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    let settled = false
    const onClientClose = () => finish(new ChannelDroppedError('the SSH connection closed while the command ran'))
    const finish = (error: Error | undefined, result?: ExecResult) => {
      if (settled) return
      settled = true
      client.removeListener('close', onClientClose)
      if (timer) clearTimeout(timer)
      if (error) reject(error)
      // biome-ignore lint/style/noNonNullAssertion: finish() is called with an error or with a result
      else resolve(result!)
    }
    let timer: NodeJS.Timeout | undefined
    client.once('close', onClientClose)
    client.exec(command, (error, channel) => {
      if (error) {
        const refused = /Channel open failure/i.test(error.message)
        return finish(new (refused ? ChannelRefusedError : ChannelDroppedError)(`cannot open a channel: ${error.message}`))
      }
      let stdout = ''
      let stderr = ''
      let code: number | undefined
      let timedOut = false
      channel.on('data', (data: Buffer) => {
        const s = data.toString('utf8')
        stdout += s
        options.onOutput?.(s, 'stdout')
      })
      channel.stderr.on('data', (data: Buffer) => {
        const s = data.toString('utf8')
        stderr += s
        options.onOutput?.(s, 'stderr')
      })
      channel.on('exit', (exitCode: number | null, signal?: string) => {
        code = exitCode ?? (signal ? 128 + (SIGNALS[signal] ?? 127) : undefined)
      })
      channel.on('close', () => {
        if (timedOut) return
        if (code === undefined) return finish(new ChannelDroppedError('the command ended without an exit status (connection lost?)'))
        finish(undefined, {code, stdout, stderr})
      })
      if (options.timeoutMs !== undefined) {
        timer = setTimeout(() => {
          // the server may hold the channel until the process exits: do not wait for that
          timedOut = true
          channel.close()
          finish(undefined, {code: 124, stdout, stderr: `${stderr}\ntimed out after ${options.timeoutMs} ms`})
        }, options.timeoutMs)
      }
      channel.end(options.stdin ?? '')
    })
  })
}
