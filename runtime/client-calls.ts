// The client's calls on a group: commands, replicated and applied at the leader, and named
// queries at the consistency asked for. Input is checked and encoded here, before it leaves.
import { type Consistency, encodeCommand, plainDataProblem } from '../actors/index.js';
import type { RemoteCall } from './envelope.js';
import { badArgument, FlotillaError } from './errors.js';
import { localValue } from './outcomes.js';
import type { CallOptions, Router } from './router.js';

export interface QueryOptions extends CallOptions {
  readonly consistency?: Consistency;
}

const consistencies: readonly string[] = ['local', 'leader', 'consistent'];

/** Replicates `command` through the group's leader and resolves with the machine's reply. */
export function sendCommand(
  router: Router,
  walCongested: boolean,
  name: string,
  command: unknown,
  options: CallOptions,
): Promise<unknown> {
  if (walCongested) throw new FlotillaError('OVERLOADED', 'the WAL is behind: try later');
  // Encoded now: what the caller does with `command` afterwards cannot change what is applied.
  const data = encodeCommand(command);
  return router.routed(name, { op: 'command', group: name, data }, router.deadline(options));
}

/** Runs the named query on this node's member (`local`) or the leader's. */
export async function runQuery(
  router: Router,
  self: string,
  name: string,
  query: string,
  arg: unknown,
  options: QueryOptions,
): Promise<unknown> {
  if (typeof query !== 'string') throw badArgument('a query is named by a string');
  // The argument crosses to the member's thread or node as it is: it must be plain data.
  const problem = plainDataProblem(arg, 'the query argument');
  if (problem !== null) throw badArgument(problem);
  const consistency = options.consistency ?? 'leader';
  if (!consistencies.includes(consistency))
    throw badArgument(`consistency must be local, leader or consistent, not ${String(consistency)}`);
  const call: RemoteCall = { op: 'query', group: name, name: query, arg, consistency };
  const deadline = router.deadline(options);
  if (consistency === 'local') return localValue(await router.callOn(self, call, deadline), name);
  return router.routed(name, call, deadline);
}
