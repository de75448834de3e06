// The benchmarks' machine: counts commands of any payload and replies with the count, so what
// is measured is the replication of the command's bytes, not the machine.
import { defineMachine } from 'flotilla';

export default defineMachine<{ count: number }, unknown, number>({
  init: () => ({ count: 0 }),
  apply: (_meta, _command, state) => ({ state: { count: state.count + 1 }, reply: state.count + 1 }),
  queries: { count: (state) => state.count },
});
