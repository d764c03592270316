import {Flags} from '@oclif/core'

import {BaseCommand, clusterFlags, hostFilterFlags, jsonFlag, lockFlags, withCluster} from '../cli/base-command.js'
import {formatRunSummary} from '../cli/format-reports.js'
import {releaseAllOnSignal} from '../engine/held-locks.js'
import {jsonLinesSink, listrSink} from '../engine/renderers.js'
import {deploy, exitCodeOf} from '../services/deploy.js'

export default class Run extends BaseCommand {
  static override summary = 'Deploy: run every step that is not up to date, hosts in parallel'
  static override description =
    'Each step probes the host, applies only what is missing, and verifies itself. A second run changes nothing; ' +
    'a run that broke resumes where it stopped.'

  static override examples = [
    '<%= config.bin %> run',
    '<%= config.bin %> run --host web01',
    '<%= config.bin %> run --step memcached --json',
    '<%= config.bin %> run --from php-session',
  ]

  static override flags = {
    ...clusterFlags,
    ...hostFilterFlags,
    from: Flags.string({description: 'this step and every step after it'}),
    ...jsonFlag,
    ...lockFlags,
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(Run)
    const render = flags.json ? jsonLinesSink() : listrSink()
    // Ctrl-C or a CI timeout's SIGTERM: release every host lock this run holds, then exit 130 / 143
    const stopReleasingOnSignal = releaseAllOnSignal({onInterrupt: () => render.interrupt?.('interrupted')})
    const summary = await withCluster(flags, (cluster) =>
      deploy(cluster, {
        mode: 'run',
        hosts: flags.host,
        steps: flags.step,
        from: flags.from,
        onEvent: render.sink,
        lockWaitSeconds: flags['wait-for-lock'],
        clearStaleLock: flags['clear-stale-lock'],
        commandLine: ['lnmp-deploy', 'run', ...this.argv].join(' '),
      }),
    ).finally(stopReleasingOnSignal)
    await render.done()
    if (!flags.json) for (const line of formatRunSummary(summary)) this.log(line)
    const code = exitCodeOf(summary)
    if (code !== 0) this.exit(code)
  }
}
