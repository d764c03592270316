import {Flags} from '@oclif/core'

import {BaseCommand, clusterFlags, jsonFlag, withSession} from '../cli/base-command.js'
import {formatStatus} from '../cli/format-reports.js'
import {clusterStatus} from '../services/status.js'

export default class Status extends BaseCommand {
  static override summary = 'What ran where: per host and step, done / failed / never run, when, and whether the config changed since'

  static override examples = ['<%= config.bin %> status', '<%= config.bin %> status --host web02 --json']

  static override flags = {
    ...clusterFlags,
    host: Flags.string({multiple: true, description: 'only this host (repeatable)'}),
    ...jsonFlag,
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(Status)
    const rows = await withSession(flags, (session) => clusterStatus(session, flags.host))
    if (flags.json) this.log(JSON.stringify({hosts: rows}))
    else for (const line of formatStatus(rows)) this.log(line)
  }
}
