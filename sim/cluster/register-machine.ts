// A second machine for the production-node simulation: registers by key, written by commands and
// read by queries, so that clients' histories can be checked for linearizability
// (sim/linearizability). Values are unique per write, as the checker needs.
import { defineMachine } from '../../actors/index.js';

type Registers = Readonly<Record<string, string>>;

interface Put {
  readonly key: string;
  readonly value: string;
}

export default defineMachine<Registers, Put, null>({
  init: () => ({}),
  apply: (_meta, { key, value }, state) => ({ state: { ...state, [key]: value }, reply: null }),
  queries: { get: (state, key) => state[key as string] ?? null },
});
