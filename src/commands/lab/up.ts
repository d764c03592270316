import {Flags} from '@oclif/core'

import {prepareLabArtifacts} from '../../lab/artifacts.js'
import {BaseCommand} from '../../cli/base-command.js'
import {formatUp} from '../../lab/format.js'
import {labUp} from '../../lab/lab.js'
import {LAB_LOGINS, LAB_RELEASES, parseLabRelease} from '../../lab/release.js'
import {MAX_LAB_WEBS, parseLabWebs} from '../../lab/topology.js'

export default class LabUp extends BaseCommand {
  static override summary = 'Bring up the lab hosts (lb01, web01..webNN, db01, and cache01 with --cache 2) as local LXC containers'
  static override description =
    'Needs root. Installs lxc, debootstrap, apt-cacher-ng and iptables when missing, builds the base of the chosen ' +
    'Debian release once (kept), and writes a ready lnmp-deploy.yml and known_hosts for the lab. Idempotent: without ' +
    '--os, --login, --web, --cache and --shared-ccache the hosts come back as they were made.'

  static override examples = [
    '<%= config.bin %> lab up',
    '<%= config.bin %> lab up --os trixie --login deploy',
    '<%= config.bin %> lab up --cache 2',
    '<%= config.bin %> lab up --web 4',
    '<%= config.bin %> lab up --shared-ccache',
    '<%= config.bin %> lab up --with-artifacts',
  ]

  static override flags = {
    os: Flags.string({
      description: 'Debian release of new hosts (default bookworm); existing hosts keep theirs',
      options: [...LAB_RELEASES],
    }),
    login: Flags.string({
      description: "who the lab config logs in as: root, or deploy (passwordless sudo; root's SSH login off, as on cloud images)",
      options: [...LAB_LOGINS],
    }),
    cache: Flags.integer({description: 'session stores: 2 adds cache01 (memcached only) beside db01', min: 1, max: 2}),
    // checked in run(), not by oclif, so the error names the flag and the whole range
    web: Flags.string({
      description: `web hosts web01..webNN, 1 to ${MAX_LAB_WEBS} (default 2); a running lab gets the missing ones, extras are removed`,
      helpValue: 'N',
    }),
    'shared-ccache': Flags.boolean({
      description: 'bind-mount one ccache from this machine into every web host (a development speed-up; real servers share nothing)',
      allowNo: true,
    }),
    'with-artifacts': Flags.boolean({description: 'also prepare the source tarballs the deployment uploads'}),
    'no-install': Flags.boolean({description: 'do not apt-get install missing tools; name them and stop'}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(LabUp)
    const webs = flags.web === undefined ? undefined : parseLabWebs(flags.web)
    const log = (m: string): void => this.logToStderr(`[lab] ${m}`)
    const result = await labUp({
      install: !flags['no-install'],
      log,
      ...(flags.os === undefined ? {} : {release: parseLabRelease(flags.os)}),
      ...(flags.login === undefined ? {} : {login: flags.login === 'deploy' ? 'deploy' : 'root'}),
      ...(flags.cache === undefined ? {} : {caches: flags.cache}),
      ...(webs === undefined ? {} : {webs}),
      ...(flags['shared-ccache'] === undefined ? {} : {sharedCcache: flags['shared-ccache']}),
    })
    if (flags['with-artifacts']) await prepareLabArtifacts({log})
    this.log(formatUp(result))
  }
}
