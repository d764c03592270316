import {BaseCommand} from '../../cli/base-command.js'
import {labDown} from '../../lab/lab.js'

export default class LabDown extends BaseCommand {
  static override summary = 'Stop the lab hosts and remove the bridge, guard rules and apt proxy'
  static override description = 'Needs root. The hosts keep their state; `lab destroy` deletes them.'
  static override examples = ['<%= config.bin %> lab down']

  async run(): Promise<void> {
    await this.parse(LabDown)
    await labDown({log: (m) => this.log(m)})
  }
}
