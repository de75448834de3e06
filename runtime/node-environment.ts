// What a node takes from the world around it: time and chance, its log, its directory of
// groups, and (for a node that does not listen on TCP) its transport. startNode gives the
// process's own; the simulator gives simulated ones, so that the nodes it runs are the very
// classes users run.
import { type Clock, type ShardWatch, systemClock } from '../actors/index.js';
import { type GroupLog, SharedLog, type SharedLogOptions } from '../wal/index.js';
import { Directory, type GroupDirectory } from './directory.js';
import { InProcessTransport } from './in-process-transport.js';
import type { Transport, TransportEvents } from './transport.js';

export interface NodeEnvironment {
  readonly clock: Clock;
  openLog(options: SharedLogOptions): Promise<GroupLog>;
  openDirectory(path: string): GroupDirectory;
  /** The transport of a node given no `listen` address. */
  localTransport(name: string, events: TransportEvents): Transport;
  /** The simulator's watch over every member (its safety checks); absent in production. */
  readonly watch?: ShardWatch;
  /**
   * Whether worker shards of nodes on `localTransport` link straight to each other's (the
   * process's transport; the simulator runs inline shards and links nothing).
   */
  readonly linkShards?: boolean;
}

export const processEnvironment: NodeEnvironment = {
  clock: systemClock,
  openLog: (options) => SharedLog.open(options),
  openDirectory: (path) => new Directory(path),
  localTransport: (name, events) => new InProcessTransport(name, events),
  linkShards: true,
};
