// The counter of API.md: each command adds a number and replies with the new total.
import { defineMachine } from 'flotilla';

export default defineMachine<{ total: number }, number, number>({
  init: () => ({ total: 0 }),
  apply: (_meta, command, state) => ({
    state: { total: state.total + command },
    reply: state.total + command,
  }),
  queries: { total: (state) => state.total },
});
