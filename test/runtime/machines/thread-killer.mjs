// A machine that takes down the worker thread it runs on: 'exit' ends the thread, 'spin' never
// returns. On the main thread both are ordinary commands, so members on inline shards stay well
// and the group can go on without the member whose thread is gone.
import { isMainThread } from 'node:worker_threads';
import { defineMachine } from 'flotilla';

export default defineMachine({
  init: () => ({ total: 0 }),
  apply: (_meta, command, state) => {
    if (!isMainThread && command === 'exit') process.exit(3);
    if (!isMainThread && command === 'spin') for (;;);
    const total = state.total + 1;
    return { state: { total }, reply: total };
  },
  queries: { total: (state) => state.total },
});
