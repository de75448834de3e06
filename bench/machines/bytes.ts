// The benchmarks' machine: counts commands of any payload and replies with the count, so what
// is measured is the replication of the command's bytes, not the machine. Like a real machine
// it releases its log as it goes, so a long run does not keep every entry in memory.
import { defineMachine } from 'flotilla';

/** Commands between log releases. */
const releaseEvery = 1000;

export default defineMachine<{ count: number }, unknown, number>({
  init: () => ({ count: 0 }),
  apply: (meta, _command, state) => {
    const count = state.count + 1;
    const effects =
      count % releaseEvery === 0
        ? [{ type: 'releaseCursor' as const, index: meta.index, state: { count } }]
        : [];
    return { state: { count }, reply: count, effects };
  },
  queries: { count: (state) => state.count },
});
