import {Flags} from '@oclif/core'

import {BaseCommand} from '../cli/base-command.js'
import {DeployError, ExitCode} from '../errors.js'
import {messages} from '../messages.js'
import {DEFAULT_CONFIG_FILE} from '../config/load.js'
import {PRESET_NAMES} from '../config/presets.js'
import {APP_KINDS, SESSION_HANDLERS} from '../services/init-answers.js'
import {formatInitReport, runInit} from '../services/init.js'
import {realInitDeps} from '../services/init-deps.js'

export default class Init extends BaseCommand {
  static override description =
    'Write lnmp-deploy.yml and known_hosts: asks for the topology, addresses, SSH and versions, then confirms each host key'
  static override examples = [
    '<%= config.bin %> init',
    '<%= config.bin %> init --yes --preset tutorial --host web01=10.0.0.7 --user deploy --identity-file ~/.ssh/id_ed25519 --accept-new-host-keys',
    '<%= config.bin %> init --yes --preset lab --no-connect --output lab.yml',
    '<%= config.bin %> init --yes --preset lab --cache-host cache01=10.77.0.32 --no-connect --output lab-ha.yml',
  ]
  static override flags = {
    yes: Flags.boolean({char: 'y', description: 'ask nothing: take every answer from flags and defaults'}),
    preset: Flags.string({options: [...PRESET_NAMES], description: 'topology to start from'}),
    host: Flags.string({multiple: true, description: 'NAME=ADDRESS of a preset host (repeatable)'}),
    'private-address': Flags.string({multiple: true, description: 'NAME=ADDRESS other hosts use for it (repeatable)'}),
    'cache-host': Flags.string({
      multiple: true,
      description: 'NAME=ADDRESS of a new host that stores PHP sessions too (memcached only; repeatable)',
    }),
    'cache-on': Flags.string({multiple: true, description: 'NAME of a web host that stores PHP sessions too (repeatable)'}),
    user: Flags.string({description: 'SSH user (root, or a sudo user)'}),
    port: Flags.integer({description: 'SSH port'}),
    'identity-file': Flags.string({description: 'SSH private key file'}),
    'nginx-version': Flags.string({description: 'nginx version to build'}),
    'php-version': Flags.string({description: 'PHP version to build'}),
    'session-handler': Flags.string({options: [...SESSION_HANDLERS], description: 'PHP session handler'}),
    app: Flags.string({options: [...APP_KINDS], description: 'what the web hosts serve'}),
    'db-root-password-env': Flags.string({description: 'environment variable holding the MariaDB root password'}),
    'db-app-password-env': Flags.string({description: 'environment variable holding the app user password'}),
    'accept-new-host-keys': Flags.boolean({description: 'trust host keys not yet in known_hosts without asking'}),
    connect: Flags.boolean({allowNo: true, default: true, description: 'connect to confirm host keys and detect each OS'}),
    output: Flags.string({char: 'o', default: DEFAULT_CONFIG_FILE, description: 'config file to write'}),
    force: Flags.boolean({description: 'overwrite an existing config file'}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(Init)
    if (!flags.yes && !process.stdin.isTTY) throw new DeployError(messages.init.needsTerminal, ExitCode.usage)
    const request = {
      flags,
      yes: flags.yes,
      output: flags.output,
      force: flags.force,
      connect: flags.connect,
      acceptNewHostKeys: flags['accept-new-host-keys'],
      bin: this.config.bin,
      today: new Date(),
    }
    const result = await runInit(request, realInitDeps())
    for (const line of formatInitReport(result)) this.log(line)
    this.printWarnings(result.warnings)
  }
}
