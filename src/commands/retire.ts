import {Args, Flags} from '@oclif/core'

import {BaseCommand, clusterFlags, jsonFlag, lockFlags, withCluster} from '../cli/base-command.js'
import {formatRunSummary} from '../cli/format-reports.js'
import {releaseAllOnSignal} from '../engine/held-locks.js'
import {jsonLinesSink, listrSink} from '../engine/renderers.js'
import {exitCodeOf} from '../services/deploy.js'
import {retire} from '../services/retire.js'

export default class Retire extends BaseCommand {
  static override summary =
    'Take a web host removed from the config out of the cluster: drained from the balancer, forgotten by the database, then stopped'
  static override description =
    'Remove the host from hosts in the config first. retire runs the steps that follow the web tier (the balancer, ' +
    "the database's grants and firewall, memcached), checks that no balancer lists the host any more, then stops and " +
    'disables its nginx and PHP-FPM. Its files stay.'

  static override examples = ['<%= config.bin %> retire web03 --address 10.0.0.9']

  static override args = {
    host: Args.string({required: true, description: 'the name the host had in the config'}),
  }

  static override flags = {
    ...clusterFlags,
    address: Flags.string({required: true, description: 'where the host is reached over SSH (its host key must be in known_hosts)'}),
    'private-address': Flags.string({description: 'the address the balancer knew it by, when not --address'}),
    ...jsonFlag,
    ...lockFlags,
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(Retire)
    const render = flags.json ? jsonLinesSink() : listrSink()
    const stopReleasingOnSignal = releaseAllOnSignal({onInterrupt: () => render.interrupt?.('interrupted')})
    const report = await withCluster(flags, (cluster) =>
      retire(cluster, {
        host: args.host,
        address: flags.address,
        ...(flags['private-address'] ? {privateAddress: flags['private-address']} : {}),
        onEvent: render.sink,
        lockWaitSeconds: flags['wait-for-lock'],
        clearStaleLock: flags['clear-stale-lock'],
        commandLine: ['lnmp-deploy', 'retire', ...this.argv].join(' '),
      }),
    ).finally(stopReleasingOnSignal)
    await render.done()
    if (flags.json) this.log(JSON.stringify({type: 'retire', host: report.host, stopped: report.stopped}))
    else {
      for (const line of formatRunSummary(report.summary)) this.log(line)
      this.log(
        report.stopped.length > 0 ? `${report.host}: ${report.stopped.join(', ')} stopped and disabled` : `${report.host}: left running`,
      )
    }
    const code = exitCodeOf(report.summary)
    if (code !== 0) this.exit(code)
  }
}
