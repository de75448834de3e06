// A machine whose init throws when its config says so: a group of it cannot start.
import { defineMachine } from 'flotilla';

export default defineMachine({
  init: (config) => {
    if (config?.fail) throw new Error('init refuses this config');
    return 0;
  },
  apply: (_meta, command, total) => ({ state: total + command, reply: total + command }),
});
