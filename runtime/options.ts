// startNode's options, checked at the boundary so a bad value is a BAD_ARGUMENT, not a crash later.
import { badArgument } from './errors.js';

export interface NodeOptions {
  /** Unique within the cluster. */
  readonly name: string;
  /** Holds the WAL files, its LMDB environment and the directory of groups. */
  readonly dataDir: string;
  /** Shards on worker threads; 0 runs one shard inline on this thread. */
  readonly threads?: number;
  /** fdatasync the WAL (the default); false only for tests and benchmarks. */
  readonly sync?: boolean;
  /** For node processes over TCP: where this node listens, its peers, and the cluster secret. */
  readonly listen?: string;
  readonly peers?: Readonly<Record<string, string>>;
  readonly secret?: string;
}

export function validateNodeOptions(options: NodeOptions): NodeOptions {
  if (typeof options !== 'object' || options === null) throw badArgument('startNode needs an options object');
  if (typeof options.name !== 'string' || options.name === '' || Buffer.byteLength(options.name) > 255)
    throw badArgument('name must be a non-empty string of at most 255 bytes');
  if (typeof options.dataDir !== 'string' || options.dataDir === '')
    throw badArgument('dataDir must be a directory path');
  if (options.sync !== undefined && typeof options.sync !== 'boolean')
    throw badArgument('sync must be a boolean');
  const threads = options.threads ?? 0;
  if (!(Number.isInteger(threads) && threads >= 0 && threads <= 64))
    throw badArgument('threads must be an integer from 0 to 64');
  if (options.listen !== undefined || options.peers !== undefined || options.secret !== undefined)
    throw badArgument('this version connects nodes in one process only: omit listen, peers and secret');
  return options;
}
