import {BaseCommand} from '../../cli/base-command.js'
import {labDestroy} from '../../lab/lab.js'

export default class LabDestroy extends BaseCommand {
  static override summary = 'Take the lab down and delete its hosts (the base image and the artifacts are kept)'
  static override description = 'Needs root. The next `lab up` gives four brand-new hosts.'
  static override examples = ['<%= config.bin %> lab destroy']

  async run(): Promise<void> {
    await this.parse(LabDestroy)
    await labDestroy({log: (m) => this.log(m)})
  }
}
