// A machine for the effects tests: commands ask for sends, monitors and timers; system events
// (a monitored target down, a timer fired) are recorded in its state.
import { defineMachine } from 'flotilla';

export default defineMachine({
  init: () => ({ events: [] }),
  apply: (_meta, command, state) => {
    if (command.send) return { state, effects: [{ type: 'send', ...command.send }] };
    if (command.monitor) return { state, effects: [{ type: 'monitor', target: command.monitor }] };
    if (command.timer)
      return { state, effects: [{ type: 'timer', name: command.timer, milliseconds: command.milliseconds }] };
    return { state };
  },
  system: (meta, event, state) => ({ state: { events: [...state.events, { ...event, index: meta.index }] } }),
  queries: { events: (state) => state.events },
});
