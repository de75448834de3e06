// The machine of the production-node simulation: a counter whose every command adds one (a
// number command adds itself) and replies with the new total, so acknowledged commands can be
// counted back. Some commands break the machine's contract, on every member alike, and must fail
// with MACHINE_ERROR and change nothing: 'boom' throws, 'badEffect' returns an effect of no known
// type, 'badReply' a reply that cannot be encoded (it refers to itself); each returns the state
// it would have moved to, which must not be kept. `{ notify }` adds one and sends `{ notify }` to
// mailbox 'effects' on node `node`, so the simulator can see each effect run at most once. Every
// `snapshotEvery` commands (its config, 8 by default) it lets the log be compacted, so that
// members catch up by snapshot. This module is version 0 of its code; counter-machine-v1.js is
// version 1, for rolling upgrades.
import { defineMachine, type Effect, type Machine } from '../../actors/index.js';

export interface Counter {
  readonly total: number;
  readonly every: number;
  /** Under version 1: a digest of the indices applied since the upgrade. */
  readonly digest?: number;
}

/** A command whose result breaks the machine's contract. */
export type BadCommand = 'boom' | 'badEffect' | 'badReply';
export type CounterCommand = number | BadCommand | { readonly notify: number; readonly node: string };

/** The mailbox `{ notify }` commands send to. */
export const effectsMailbox = 'effects';

/**
 * The counter's code at `version` (0 or 1). Version 1 applies differently, from the entry at
 * which the group moves to it: it also keeps a digest of the indices it applied. Under version 0
 * both codes apply alike, as a newer code must keep the older semantics.
 */
export function counterMachine(version: 0 | 1): Machine<Counter, CounterCommand, unknown> {
  return defineMachine<Counter, CounterCommand, unknown>({
    version,
    init: (config) => ({
      total: 0,
      every: (config as { snapshotEvery?: number } | null)?.snapshotEvery ?? 8,
    }),
    apply: (meta, command, state) => {
      if (command === 'boom') throw new Error('boom');
      const total = state.total + (typeof command === 'number' ? command : 1);
      const next: Counter =
        meta.version >= 1
          ? { total, every: state.every, digest: ((state.digest ?? 0) * 31 + meta.index) % 1_000_000_007 }
          : { total, every: state.every };
      if (command === 'badEffect')
        return { state: next, reply: next.total, effects: [{ type: 'launch' } as unknown as Effect] };
      if (command === 'badReply') {
        const reply: { self?: unknown } = {};
        reply.self = reply;
        return { state: next, reply };
      }
      const effects: Effect[] = [];
      if (typeof command === 'object')
        effects.push({
          type: 'send',
          node: command.node,
          mailbox: effectsMailbox,
          message: { notify: command.notify },
        });
      if (next.total % next.every === 0)
        effects.push({ type: 'releaseCursor', index: meta.index, state: next });
      return { state: next, reply: next.total, effects };
    },
    ...(version >= 1 ? { upgrade: (_from: number, state: Counter) => ({ ...state, digest: 0 }) } : {}),
    queries: { total: (state) => state.total },
  });
}

export default counterMachine(0);
