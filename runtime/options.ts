// startNode's options, checked at the boundary so a bad value is a BAD_ARGUMENT, not a crash later.
import { badArgument } from './errors.js';
import { parseAddress, type TlsSettings } from './tcp/tcp-transport.js';

/** Tuning of the TCP transport and its failure detector; the defaults suit a LAN. */
export interface TransportOptions {
  /** How often a quiet link says it is alive (ms, default 100). */
  readonly heartbeatMs?: number;
  /** Silence after which a peer node is down (ms, default 1000). */
  readonly downAfterMs?: number;
  /** The largest frame accepted (bytes, default 64 MiB). */
  readonly maxFrameBytes?: number;
  /** Unsent bytes for one peer past which its envelopes are dropped (default 64 MiB). */
  readonly maxQueueBytes?: number;
}

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
  /** With `listen`: every connection is mutual TLS (PEM key, cert, and the CA of all nodes). */
  readonly tls?: TlsSettings;
  readonly transport?: TransportOptions;
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
  if (options.listen === undefined) {
    if (options.peers !== undefined || options.secret !== undefined || options.tls !== undefined)
      throw badArgument('peers, secret and tls go with listen: a node without it reaches only this process');
    return options;
  }
  checkAddress(options.listen, 'listen');
  if (typeof options.secret !== 'string' || options.secret.length < 8)
    throw badArgument('a node that listens needs a secret of at least 8 characters');
  const peers = options.peers ?? {};
  if (typeof peers !== 'object' || peers === null)
    throw badArgument('peers must map node names to host:port');
  for (const [peer, address] of Object.entries(peers)) {
    if (peer === '' || Buffer.byteLength(peer) > 255)
      throw badArgument(`peer name ${peer} is not a node name`);
    checkAddress(address, `the address of ${peer}`);
  }
  if (options.tls !== undefined) {
    const { key, cert, ca } = (options.tls ?? {}) as Partial<TlsSettings>;
    if (key === undefined || cert === undefined || ca === undefined)
      throw badArgument('tls needs key, cert and ca (PEM): each node checks the certificate of the other');
  }
  for (const [key, value] of Object.entries(options.transport ?? {})) {
    if (!['heartbeatMs', 'downAfterMs', 'maxFrameBytes', 'maxQueueBytes'].includes(key))
      throw badArgument(`transport has no option ${key}`);
    if (!(typeof value === 'number' && Number.isInteger(value) && value > 0))
      throw badArgument(`transport.${key} must be a positive integer`);
  }
  return options;
}

function checkAddress(address: unknown, what: string): void {
  if (typeof address !== 'string') throw badArgument(`${what} must be host:port`);
  try {
    parseAddress(address);
  } catch {
    throw badArgument(`${what} must be host:port, not ${address}`);
  }
}
