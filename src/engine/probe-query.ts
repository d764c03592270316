import type {HostFacts} from '../platform/facts.js'
import type {ExecOptions, ExecResult, Remote} from '../ssh/remote.js'
import type {ProbeQuery} from './step.js'

/** The query's command on the host as it declares it (as root, with its stdin); the whole result, exit code too. */
export function runQuery<Inputs>(
  remote: Remote,
  query: ProbeQuery<Inputs, unknown>,
  inputs: Inputs,
  facts: HostFacts,
): Promise<ExecResult> {
  const stdin = query.stdin?.(inputs)
  const options: ExecOptions = {...(query.sudo ? {sudo: true} : {}), ...(stdin === undefined ? {} : {stdin})}
  return remote.exec(query.command(inputs, facts), options)
}

/** One round trip: the query's command on the host, what it printed parsed. */
export async function ask<Inputs, Answer>(
  remote: Remote,
  query: ProbeQuery<Inputs, Answer>,
  inputs: Inputs,
  facts: HostFacts,
): Promise<Answer> {
  const {stdout} = await runQuery(remote, query, inputs, facts)
  return query.parse(stdout, inputs, facts)
}
