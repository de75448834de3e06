// The project's own linearizability checker for histories the simulator records: the history
// record, and the checker that judges it against one key-value register per key.

export { type CheckOptions, checkLinearizable, defaultMaxSteps, type Verdict } from './checker.js';
export type { Operation, Outcome } from './history.js';
