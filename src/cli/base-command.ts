import {Command, Flags} from '@oclif/core'

import {DEFAULT_CONFIG_FILE} from '../config/load.js'
import {DeployError} from '../errors.js'
import {messages} from '../messages.js'
import {ClusterAccess} from '../services/cluster-access.js'

/**
 * What every command shares: the failure path (a DeployError ends the process with its own exit code, its
 * message and hint on stderr, nothing on stdout so `--json` stays parseable) and the flags that locate and
 * reach the cluster.
 */
export abstract class BaseCommand extends Command {
  protected override async catch(error: Error & {exitCode?: number}): Promise<unknown> {
    if (error instanceof DeployError) {
      this.logToStderr(`Error: ${error.message}${error.hint ? `\nhint: ${error.hint}` : ''}`)
      return this.exit(error.exitCode)
    }
    return super.catch(error)
  }

  /** Warnings go to stderr, one line each, so stdout (a table, or --json) stays what it was. */
  protected printWarnings(warnings: readonly string[]): void {
    for (const warning of warnings) this.logToStderr(messages.warning(warning))
  }
}

export const clusterFlags = {
  config: Flags.string({char: 'c', default: DEFAULT_CONFIG_FILE, description: 'the cluster config file'}),
  'accept-new-host-keys': Flags.boolean({description: 'trust and record host keys not yet in known_hosts (never a changed one)'}),
}

export const hostFilterFlags = {
  host: Flags.string({multiple: true, description: 'only this host (repeatable)'}),
  step: Flags.string({multiple: true, description: 'only this step (repeatable)'}),
}

/** For the commands that take host locks (run, rollback). */
export const lockFlags = {
  'wait-for-lock': Flags.integer({default: 0, description: 'seconds to wait for another run to release a host'}),
  'clear-stale-lock': Flags.boolean({
    description: 'remove a stale lock: its lease ran out (its run stopped renewing it), or its process on this machine is gone',
  }),
}

export const jsonFlag = {
  json: Flags.boolean({description: 'print JSON only (events one per line for run; one object for plan, verify, status)'}),
}

/** Open access to the cluster the flags point at, hand it to `use`, and always close its connections. */
export async function withCluster<T>(
  flags: {config: string; 'accept-new-host-keys': boolean},
  use: (cluster: ClusterAccess) => Promise<T>,
): Promise<T> {
  const cluster = await ClusterAccess.open({configPath: flags.config, acceptNewHostKeys: flags['accept-new-host-keys']})
  try {
    return await use(cluster)
  } finally {
    await cluster.close()
  }
}
