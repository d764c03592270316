import {Args} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {formatUp} from '../../lab/format.js'
import {labReset} from '../../lab/lab.js'

export default class LabReset extends BaseCommand {
  static override summary = 'Replace one lab host with a brand-new one'
  static override description = 'Needs root and a running lab. New delta, machine-id and host keys; known_hosts is rewritten.'
  static override examples = ['<%= config.bin %> lab reset web02']

  static override args = {
    host: Args.string({description: 'lb01, web01, web02 or db01', required: true}),
  }

  async run(): Promise<void> {
    const {args} = await this.parse(LabReset)
    const result = await labReset(args.host, {log: (m) => this.logToStderr(`[lab] ${m}`)})
    this.log(formatUp(result, `reset ${args.host}`))
  }
}
