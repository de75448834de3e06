// The machine of the production-node simulation: a counter whose every command adds one (a
// number command adds itself) and replies with the new total, so acknowledged commands can be counted back. Some commands break
// the machine's contract, on every member alike, and must fail with MACHINE_ERROR and change
// nothing: 'boom' throws, 'badEffect' returns an effect of no known type, 'badReply' a reply that
// cannot be encoded (it refers to itself); each returns the state it would have moved to, which
// must not be kept. `{ notify }` adds one and sends `{ notify }` to mailbox 'effects' on node
// `node`, so the simulator can see each effect run at most once. Every `snapshotEvery` commands
// (its config, 8 by default) it lets the log be compacted, so that members catch up by snapshot.
import { defineMachine, type Effect } from '../../actors/index.js';

interface Counter {
  readonly total: number;
  readonly every: number;
}

/** A command whose result breaks the machine's contract. */
export type BadCommand = 'boom' | 'badEffect' | 'badReply';
export type CounterCommand = number | BadCommand | { readonly notify: number; readonly node: string };

/** The mailbox `{ notify }` commands send to. */
export const effectsMailbox = 'effects';

export default defineMachine<Counter, CounterCommand, unknown>({
  init: (config) => ({ total: 0, every: (config as { snapshotEvery?: number } | null)?.snapshotEvery ?? 8 }),
  apply: (meta, command, state) => {
    if (command === 'boom') throw new Error('boom');
    const next = { total: state.total + (typeof command === 'number' ? command : 1), every: state.every };
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
  queries: { total: (state) => state.total },
});
