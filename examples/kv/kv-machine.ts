// A replicated key-value store, one per group: put writes a key, get (a query) reads it. The
// fault tests run it across node processes and check the clients' histories are linearizable.
import { defineMachine } from 'flotilla';

export interface KvState {
  readonly values: Readonly<Record<string, string>>;
}

export type KvCommand =
  | { readonly op: 'put'; readonly key: string; readonly value: string }
  | { readonly op: 'delete'; readonly key: string };

export default defineMachine<KvState, KvCommand, string | null>({
  init: () => ({ values: {} }),
  apply: (_meta, command, state) => {
    if (typeof command?.key !== 'string') throw new Error('a command names a key');
    const values = { ...state.values };
    const previous = values[command.key] ?? null;
    if (command.op === 'put') {
      if (typeof command.value !== 'string') throw new Error('put writes a string');
      values[command.key] = command.value;
    } else if (command.op === 'delete') {
      delete values[command.key];
    } else {
      throw new Error(`no op ${String((command as { op: unknown }).op)}`);
    }
    return { state: { values }, reply: previous };
  },
  queries: {
    get: (state, key) => state.values[key as string] ?? null,
    size: (state) => Object.keys(state.values).length,
  },
});
