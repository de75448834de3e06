// The shared log's limits, each with the reason for its default.

export interface SharedLogOptions {
  /** Holds `wal/` (the log files) and `lmdb/` (segments and metadata). */
  readonly directory: string;
  /** fdatasync every batch; turning it off is for tests and benchmarks only. */
  readonly sync?: boolean;
  /** A WAL file is closed and handed to a segment writer past this size: big enough to batch LMDB work, small enough to recover quickly. */
  readonly rolloverBytes?: number;
  /** Closed files waiting for their segment flush beyond which appenders are told to hold back. */
  readonly maxBacklogBytes?: number;
  /** Called after each durable batch with the highest durable write sequence of each group in it. */
  readonly onDurable: (reports: ReadonlyMap<string, number>) => void;
  /** A failed write or segment flush: the log stops accepting writes. */
  readonly onError?: (error: Error) => void;
  /** The backlog fell back under half the bound: appenders may go on. */
  readonly onDrain?: () => void;
  /** Called on each recovered WAL file, for progress on long recoveries. */
  readonly onRecoveryProgress?: (file: string, index: number, total: number) => void;
}

export const defaultRolloverBytes = 128 * 1024 * 1024;
export const defaultMaxBacklogBytes = 4 * defaultRolloverBytes;
