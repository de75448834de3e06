// Appends every command to a list: what the crash test checks acknowledged commands against.
import { defineMachine } from 'flotilla';

export default defineMachine({
  init: () => ({ values: [] }),
  apply: (_meta, command, state) => ({
    state: { values: [...state.values, command] },
    reply: state.values.length + 1,
  }),
  queries: { values: (state) => state.values },
});
