// A machine that returns what no machine should, on request: replies and messages that cannot be
// encoded, effects of the wrong shape, queries and role callbacks that misbehave. Every command
// adds 1 to the total first, so a command that fails and still changed the state shows.
import { defineMachine } from 'flotilla';

function cyclic() {
  const value = { name: 'loop' };
  value.self = value;
  return value;
}

const replies = {
  function: () => ({ f: () => 1 }),
  symbol: () => Symbol('reply'),
  cyclic,
  promise: () => Promise.resolve(1),
  point: () =>
    new (class Point {
      constructor() {
        this.x = 1;
      }
    })(),
};

const effectLists = {
  notAList: () => 'abc',
  sendWithoutMailbox: () => [{ type: 'send', to: { node: 'b' }, message: 1 }],
  sendOfFunction: () => [{ type: 'send', node: 'b', mailbox: 'inbox', message: { f: () => 1 } }],
  timerSoon: () => [{ type: 'timer', name: 't', milliseconds: 'soon' }],
  timerNegative: () => [{ type: 'timer', name: 't', milliseconds: -5 }],
  monitorWithoutTarget: () => [{ type: 'monitor' }],
  unknownType: () => [{ type: 'explode' }],
  releaseAhead: (meta) => [{ type: 'releaseCursor', index: meta.index + 10, state: {} }],
};

export default defineMachine({
  // `badRoles` makes stateEnter misbehave: bad effects on becoming leader, a throw as follower.
  init: (config) => ({ total: 0, badRoles: config?.badRoles === true }),
  apply: (meta, command, state) => {
    const next = { ...state, total: state.total + 1 };
    if (command?.reply !== undefined) return { state: next, reply: replies[command.reply]() };
    if (command?.effects !== undefined) return { state: next, effects: effectLists[command.effects](meta) };
    if (command === 'no result') return undefined;
    if (command === 'throw') throw new Error('thrown on purpose');
    return { state: next, reply: next.total };
  },
  queries: {
    total: (state) => state.total,
    function: () => () => 1,
    cyclic,
  },
  stateEnter: (role, state) => {
    if (!state.badRoles) return undefined;
    if (role === 'leader') return [{ type: 'timer', name: 'x', milliseconds: 'never' }];
    throw new Error('stateEnter throws');
  },
});
