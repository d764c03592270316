import {BaseCommand, clusterFlags, hostFilterFlags, jsonFlag, withCluster} from '../cli/base-command.js'
import {formatPlan} from '../cli/format-reports.js'
import {exitCodeOf, planCluster} from '../services/deploy.js'

export default class Plan extends BaseCommand {
  static override summary = 'Show what run would do: per host and step, will run / up to date / unknown, with file diffs'
  static override description = 'Reads only: no lock is taken and nothing on the hosts changes. Secrets never appear in diffs.'

  static override examples = ['<%= config.bin %> plan', '<%= config.bin %> plan --host db01 --json']

  static override flags = {...clusterFlags, ...hostFilterFlags, ...jsonFlag}

  async run(): Promise<void> {
    const {flags} = await this.parse(Plan)
    const report = await withCluster(flags, (cluster) =>
      planCluster(cluster, {hosts: flags.host, steps: flags.step, commandLine: 'lnmp-deploy plan'}, new Date()),
    )
    if (flags.json) this.log(JSON.stringify(report))
    else for (const line of formatPlan(report)) this.log(line)
    if (!flags.json) this.printWarnings(report.warnings)
    const code = exitCodeOf(report)
    if (code !== 0) this.exit(code)
  }
}
