// The shared write-ahead log: one per node, group commit for every group on it, LMDB segments.
export type { Entry, Write } from '../raft/index.js';
export { EncodedWrites, type EncodedWritesData } from './encoded-writes.js';
export type { GroupLog, WalStats } from './group-log.js';
export { grownBuffer } from './grown-buffer.js';
export type { SharedLogOptions } from './options.js';
export { defaultMaxBacklogBytes, defaultRolloverBytes } from './options.js';
// The on-disk format, for tools that write or inspect WAL files (benchmarks, recovery drills).
export { encodeGroup, recordSize, writeRecord } from './record.js';
export { SharedLog } from './shared-log.js';
export type { StoredState } from './stored-group.js';
export { walFilePath } from './wal-file.js';
export { recordsOf } from './write-codec.js';
