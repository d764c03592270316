import {Flags} from '@oclif/core'

import {prepareLabArtifacts} from '../../lab/artifacts.js'
import {BaseCommand} from '../../cli/base-command.js'
import {formatUp} from '../../lab/format.js'
import {labUp} from '../../lab/lab.js'

export default class LabUp extends BaseCommand {
  static override summary = 'Bring up the four lab hosts (lb01, web01, web02, db01) as local LXC containers'
  static override description =
    'Needs root. Installs lxc, debootstrap, apt-cacher-ng and iptables when missing, builds the Debian 12 base once, ' +
    'and writes a ready lnmp-deploy.yml and known_hosts for the lab. Idempotent.'

  static override examples = ['<%= config.bin %> lab up', '<%= config.bin %> lab up --with-artifacts']

  static override flags = {
    'with-artifacts': Flags.boolean({description: 'also prepare the source tarballs the deployment uploads'}),
    'no-install': Flags.boolean({description: 'do not apt-get install missing tools; name them and stop'}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(LabUp)
    const log = (m: string): void => this.logToStderr(`[lab] ${m}`)
    const result = await labUp({install: !flags['no-install'], log})
    if (flags['with-artifacts']) await prepareLabArtifacts({log})
    this.log(formatUp(result))
  }
}
