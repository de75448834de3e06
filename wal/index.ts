// The shared write-ahead log: one per node, group commit for every group on it, LMDB segments.
export type { SharedLogOptions } from './options.js';
export { defaultMaxBacklogBytes, defaultRolloverBytes } from './options.js';
export { SharedLog, type WalStats } from './shared-log.js';
