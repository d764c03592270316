import {Flags} from '@oclif/core'

import {ExitCode} from '../../errors.js'
import {BaseCommand} from '../../cli/base-command.js'
import {formatStatus} from '../../lab/format.js'
import {labStatus} from '../../lab/lab.js'

export default class LabStatus extends BaseCommand {
  static override summary = 'Show each lab host: address, LXC state, SSH and systemd'
  static override description = 'Exits 9 when the lab is not healthy.'
  static override examples = ['<%= config.bin %> lab status', '<%= config.bin %> lab status --json']

  static override flags = {
    json: Flags.boolean({description: 'print the status as JSON'}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(LabStatus)
    const status = await labStatus()
    this.log(flags.json ? JSON.stringify(status, null, 2) : formatStatus(status))
    if (!status.healthy) this.exit(ExitCode.lab)
  }
}
