import {BaseCommand, clusterFlags, hostFilterFlags, jsonFlag, withSession} from '../cli/base-command.js'
import {formatPlan} from '../cli/format-reports.js'
import {deploy, exitCodeOf} from '../services/deploy.js'

export default class Plan extends BaseCommand {
  static override summary = 'Show what run would do: per host and step, will run / up to date / unknown, with file diffs'
  static override description = 'Reads only: no lock is taken and nothing on the hosts changes. Secrets never appear in diffs.'

  static override examples = ['<%= config.bin %> plan', '<%= config.bin %> plan --host db01 --json']

  static override flags = {...clusterFlags, ...hostFilterFlags, ...jsonFlag}

  async run(): Promise<void> {
    const {flags} = await this.parse(Plan)
    const summary = await withSession(flags, (session) =>
      deploy(session, {mode: 'plan', hosts: flags.host, steps: flags.step, commandLine: 'lnmp-deploy plan'}),
    )
    if (flags.json) this.log(JSON.stringify(summary))
    else for (const line of formatPlan(summary)) this.log(line)
    const code = exitCodeOf(summary)
    if (code !== 0) this.exit(code)
  }
}
