import {Flags} from '@oclif/core'

import {BaseCommand, clusterFlags, jsonFlag, withCluster} from '../cli/base-command.js'
import {formatBuilds, formatStatus} from '../cli/format-reports.js'
import {clusterBuilds, clusterStatus} from '../services/status.js'

export default class Status extends BaseCommand {
  static override summary =
    'What ran where: per host and step, done / failed / never run, when, whether the config changed since; the builds on each web host and the live one'

  static override examples = ['<%= config.bin %> status', '<%= config.bin %> status --host web02 --json']

  static override flags = {
    ...clusterFlags,
    host: Flags.string({multiple: true, description: 'only this host (repeatable)'}),
    ...jsonFlag,
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(Status)
    const [rows, builds] = await withCluster(flags, (cluster) =>
      Promise.all([clusterStatus(cluster, flags.host), clusterBuilds(cluster, flags.host)]),
    )
    if (flags.json) this.log(JSON.stringify({hosts: rows, builds}))
    else for (const line of [...formatStatus(rows), ...formatBuilds(builds)]) this.log(line)
  }
}
