import {Flags} from '@oclif/core'

import {BaseCommand, clusterFlags, jsonFlag, lockFlags, withCluster} from '../cli/base-command.js'
import {releaseAllOnSignal} from '../engine/held-locks.js'
import {formatRunSummary} from '../cli/format-reports.js'
import {jsonLinesSink, listrSink} from '../engine/renderers.js'
import {exitCodeOf} from '../services/deploy.js'
import {rollback} from '../services/rollback.js'

export default class Rollback extends BaseCommand {
  static override summary = 'Switch a component back to its previous build on the web hosts, one host at a time, verified'
  static override description =
    'The previous build is the newest one completed before the live one; its directory is still on the host. ' +
    'The next run keeps it live until the config asks for another build than the one rolled back from.'

  static override examples = ['<%= config.bin %> rollback', '<%= config.bin %> rollback --host web01 --component nginx']

  static override flags = {
    ...clusterFlags,
    host: Flags.string({multiple: true, description: 'only this web host (repeatable)'}),
    component: Flags.string({options: ['php', 'nginx'], default: 'php', description: 'what to roll back'}),
    ...jsonFlag,
    ...lockFlags,
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(Rollback)
    const render = flags.json ? jsonLinesSink() : listrSink()
    // as run: a signal releases every host lock held, then exits 130 / 143
    const stopReleasingOnSignal = releaseAllOnSignal({onInterrupt: () => render.interrupt?.('interrupted')})
    const {moves, summary} = await withCluster(flags, (cluster) =>
      rollback(cluster, {
        hosts: flags.host,
        component: flags.component as 'php' | 'nginx',
        onEvent: render.sink,
        lockWaitSeconds: flags['wait-for-lock'],
        clearStaleLock: flags['clear-stale-lock'],
        commandLine: ['lnmp-deploy', 'rollback', ...this.argv].join(' '),
      }),
    ).finally(stopReleasingOnSignal)
    await render.done()
    if (flags.json) this.log(JSON.stringify({type: 'rollback', moves}))
    else {
      for (const m of moves) this.log(`${m.host}: ${m.component} ${m.from} -> ${m.to}`)
      for (const line of formatRunSummary(summary)) this.log(line)
    }
    const code = exitCodeOf(summary)
    if (code !== 0) this.exit(code)
  }
}
