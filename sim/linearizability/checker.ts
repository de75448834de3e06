// The linearizability checker: splits a history per key (P-compositionality) and runs a Wing–Gong
// search with Lowe's memoization on each key against the register model. A search that runs out of
// budget gives up, and giving up is reported as such, never as a pass.

import { constrainingOperations, type Operation, operationsByKey, validateHistory } from './history.js';
import { describe, type KeyOutcome, KeySearch } from './key-search.js';
import { impossibleRead } from './register-model.js';

export type Verdict =
  | { readonly linearizable: true; readonly keys: number; readonly operations: number }
  | {
      readonly linearizable: false;
      readonly gaveUp: false;
      readonly key: string;
      readonly reason: string;
      /** The key's sub-history as recorded, for the failure report. */
      readonly operations: readonly Operation[];
    }
  | { readonly linearizable: false; readonly gaveUp: true; readonly key: string; readonly reason: string };

export interface CheckOptions {
  /** Search steps allowed per key before the checker gives up; defaults to `defaultMaxSteps`. */
  readonly maxSteps?: number;
}

/**
 * Enough for keys with a few thousand operations from tens of concurrent clients, which take far
 * fewer steps, while bounding a pathological key to a few seconds and a few hundred megabytes.
 * Workloads whose puts write unique values check quickly either way; with values repeated,
 * refuting a violation late in a long history can take the whole budget.
 */
export const defaultMaxSteps = 2_000_000;

/**
 * Whether the history is linearizable against one register per key. `operations` in a passing
 * verdict counts the operations that constrained the search: failed operations, timed-out gets and
 * timed-out puts nobody read are left out.
 */
export function checkLinearizable(history: readonly Operation[], options: CheckOptions = {}): Verdict {
  validateHistory(history);
  const maxSteps = options.maxSteps ?? defaultMaxSteps;
  if (!Number.isInteger(maxSteps) || maxSteps < 1) {
    throw new TypeError(`maxSteps must be a positive integer, got ${String(maxSteps)}`);
  }
  const byKey = operationsByKey(history);
  let checked = 0;
  for (const [key, recorded] of byKey) {
    const constraining = constrainingOperations(recorded);
    checked += constraining.length;
    const outcome = checkKey(key, constraining, maxSteps);
    if (outcome.type === 'gaveUp') return { linearizable: false, gaveUp: true, key, reason: outcome.reason };
    if (outcome.type === 'violation') {
      return { linearizable: false, gaveUp: false, key, reason: outcome.reason, operations: recorded };
    }
  }
  return { linearizable: true, keys: byKey.size, operations: checked };
}

function checkKey(key: string, operations: readonly Operation[], maxSteps: number): KeyOutcome {
  const impossible = impossibleRead(operations);
  if (impossible !== undefined) {
    const { read, overwrittenBy } = impossible;
    let why = 'no put of that value that could have taken effect was invoked before the get completed';
    if (overwrittenBy !== undefined) {
      why =
        read.result === null
          ? `${describe(overwrittenBy)} wrote the key before the get began`
          : `${describe(overwrittenBy)} overwrote, before the get began, every put of that value it could have seen`;
    }
    return { type: 'violation', reason: `key ${JSON.stringify(key)}: ${describe(read)}, but ${why}` };
  }
  return new KeySearch(key, operations).run(maxSteps);
}
