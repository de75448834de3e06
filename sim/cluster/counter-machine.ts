// The machine of the production-node simulation: a counter whose every command adds one and
// replies with the new total, so acknowledged commands can be counted back; 'boom' throws, on
// every member alike, and must fail with MACHINE_ERROR and change nothing.
import { defineMachine } from '../../actors/index.js';

export default defineMachine<{ readonly total: number }, number | 'boom', number>({
  init: () => ({ total: 0 }),
  apply: (_meta, command, state) => {
    if (command === 'boom') throw new Error('boom');
    const total = state.total + command;
    return { state: { total }, reply: total };
  },
  queries: { total: (state) => state.total },
});
