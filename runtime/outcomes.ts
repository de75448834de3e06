// How the outcome of a call on a node becomes what the caller sees: a value, or a FlotillaError.
import type { ActorInput, Outcome } from '../actors/index.js';
import type { RemoteCall } from './envelope.js';
import { asFlotillaError, FlotillaError } from './errors.js';

export function errorOf(outcome: Extract<Outcome, { kind: 'error' }>): FlotillaError {
  return new FlotillaError(outcome.code, outcome.message);
}

export function throwIfFailed(outcome: Outcome, what: string): void {
  if (outcome.kind === 'ok') return;
  if (outcome.kind === 'error') throw errorOf(outcome);
  throw new FlotillaError('TIMEOUT', `${what}: no answer`);
}

export function localValue(outcome: Outcome, group: string): unknown {
  if (outcome.kind === 'ok') return outcome.value;
  if (outcome.kind === 'error') throw errorOf(outcome);
  throw new FlotillaError('NOT_A_MEMBER', `this node has no member of ${group} to read`);
}

export function actorInput(
  call: Extract<RemoteCall, { op: 'command' | 'query' | 'changeMembers' | 'transfer' }>,
  request: number,
): ActorInput {
  switch (call.op) {
    case 'command':
      return { kind: 'command', request, data: call.data };
    case 'query':
      return { kind: 'query', request, name: call.name, arg: call.arg, consistency: call.consistency };
    case 'changeMembers':
      return { kind: 'changeMembers', request, change: call.change };
    case 'transfer':
      return { kind: 'transfer', request, target: call.target };
  }
}

/**
 * A failure as an outcome for a caller. Anything that is not a FlotillaError broke inside the
 * node (it is not the caller's mistake): the member it reached stopped, so STOPPED.
 */
export function outcomeOf(error: unknown): Outcome {
  const { code, message } = asFlotillaError(error);
  return { kind: 'error', code, message };
}
