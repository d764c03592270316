import {Flags} from '@oclif/core'

import {prepareLabArtifacts} from '../../lab/artifacts.js'
import {BaseCommand} from '../../cli/base-command.js'

export default class LabArtifacts extends BaseCommand {
  static override summary = 'Fetch and verify the source tarballs the lab deployment uploads (nginx, PHP, PECL memcache)'
  static override description =
    "Needs root. Uses Debian's source packages through apt with the lab's own source lists; records each tarball's " +
    "sha256 in the lab's lnmp-deploy.yml. Cached; a second run only re-checks the checksums."

  static override examples = ['<%= config.bin %> lab artifacts', '<%= config.bin %> lab artifacts --phpmyadmin']

  static override flags = {
    refresh: Flags.boolean({description: 'download again even when the cached tarballs still match'}),
    phpmyadmin: Flags.boolean({description: "also build phpMyAdmin 5.2.1 with its libraries from Debian's packages"}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(LabArtifacts)
    const manifest = await prepareLabArtifacts({
      refresh: flags.refresh,
      phpMyAdmin: flags.phpmyadmin,
      log: (m) => this.logToStderr(`[lab] ${m}`),
    })
    for (const [name, a] of Object.entries(manifest)) this.log(`${name.padEnd(10)} ${a.version.padEnd(8)} ${a.sha256}  ${a.file}`)
  }
}
