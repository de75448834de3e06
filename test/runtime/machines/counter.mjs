// A counter for the runtime tests: adds numbers, throws on 'boom', and releases its log on request.
import { defineMachine } from 'flotilla';

export default defineMachine({
  init: (config) => ({ total: config?.start ?? 0 }),
  apply: (meta, command, state) => {
    if (command === 'boom') throw new Error('boom');
    if (command === 'release')
      return { state, reply: meta.index, effects: [{ type: 'releaseCursor', index: meta.index, state }] };
    const total = state.total + command;
    return { state: { total }, reply: total };
  },
  queries: {
    total: (state) => state.total,
    plus: (state, amount) => state.total + amount,
    broken: () => {
      throw new Error('broken query');
    },
  },
});
