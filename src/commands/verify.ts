import {Flags} from '@oclif/core'

import {BaseCommand, clusterFlags, hostFilterFlags, jsonFlag, withCluster} from '../cli/base-command.js'
import {formatVerify} from '../cli/format-reports.js'
import {verifyCluster} from '../services/verify.js'

export default class Verify extends BaseCommand {
  static override summary = "Prove the cluster does its job: every step's own check on every host, and the cluster proof through lb01"
  static override description =
    'Exit code 0 only when every check passed; 6 when a check failed; 4 when a host could not be reached. ' +
    '--check takes a step id (its own checks), a cluster check (services, session-proof, closed-ports, web-root-clean) ' +
    'or the name of one a step makes (memcache-connect, mariadb-login, lb-proxy).'

  static override examples = [
    '<%= config.bin %> verify',
    '<%= config.bin %> verify --host web02',
    '<%= config.bin %> verify --check session-proof --check closed-ports',
    '<%= config.bin %> verify --json --junit report.xml',
  ]

  static override flags = {
    ...clusterFlags,
    host: hostFilterFlags.host,
    check: Flags.string({multiple: true, description: 'only this check: a step id or a cluster check id (repeatable)'}),
    step: Flags.string({multiple: true, description: "only this step's own checks (repeatable; the same as --check with a step id)"}),
    junit: Flags.string({description: 'also write the report as JUnit XML to this file'}),
    ...jsonFlag,
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(Verify)
    const report = await withCluster(flags, (cluster) =>
      verifyCluster(cluster, {
        hosts: flags.host,
        checks: [...(flags.check ?? []), ...(flags.step ?? [])],
        junit: flags.junit,
        notice: (m) => this.logToStderr(m),
      }),
    )
    if (flags.json) this.log(JSON.stringify(report))
    else for (const line of formatVerify(report)) this.log(line)
    if (!flags.json) this.printWarnings(report.warnings)
    if (report.exitCode !== 0) this.exit(report.exitCode)
  }
}
