// The machine of the production-node simulation: a counter whose every command adds one and
// replies with the new total, so acknowledged commands can be counted back; 'boom' throws, on
// every member alike, and must fail with MACHINE_ERROR and change nothing. Every
// `snapshotEvery` commands (its config, 8 by default) it lets the log be compacted, so that
// members catch up by snapshot.
import { defineMachine } from '../../actors/index.js';

interface Counter {
  readonly total: number;
  readonly every: number;
}

export default defineMachine<Counter, number | 'boom', number>({
  init: (config) => ({ total: 0, every: (config as { snapshotEvery?: number } | null)?.snapshotEvery ?? 8 }),
  apply: (meta, command, state) => {
    if (command === 'boom') throw new Error('boom');
    const next = { total: state.total + command, every: state.every };
    const effects =
      next.total % next.every === 0
        ? [{ type: 'releaseCursor' as const, index: meta.index, state: next }]
        : [];
    return { state: next, reply: next.total, effects };
  },
  queries: { total: (state) => state.total },
});
