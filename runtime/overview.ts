// A node's figures for overview(): its groups and leaders, memory, the WAL's work and the
// transport's, as a monitoring page or a benchmark reads them.
import type { ShardSet } from '../actors/index.js';
import type { GroupLog } from '../wal/index.js';
import type { EffectsHost } from './effects-host.js';
import type { TransportCounters } from './transport.js';

export interface Overview {
  readonly node: string;
  readonly groups: number;
  readonly running: number;
  readonly leaders: number;
  readonly timersArmed: number;
  readonly memory: { readonly heapUsed: number; readonly rss: number };
  readonly wal: {
    readonly bytes: number;
    readonly syncs: number;
    readonly records: number;
    /** Raft entries written: a record carries one write's entries. */
    readonly entries: number;
    readonly entriesPerSync: number;
    readonly segmentFlushes: number;
    readonly files: number;
  };
  readonly transport: {
    readonly frames: number;
    readonly messages: number;
    /** Raft messages worker shards sent straight to the same shard of an in-process peer. */
    readonly linked: number;
    /** Raft messages worker shards framed themselves for other nodes (counted in `messages` too). */
    readonly framed: number;
    readonly dropped: number;
    readonly rejected: number;
    /** Liveness pings sent on quiet links (TCP only). */
    readonly pings: number;
    /** Raft messages for groups with no member running here, dropped. */
    readonly unknownGroup: number;
    /** Raft messages of an earlier term than their group's, ignored (answered with the term). */
    readonly staleTerm: number;
  };
  readonly mailboxDeliveries: number;
  /** The peer nodes reachable now. */
  readonly peers: readonly string[];
  /** Groups whose member here failed (could not open, broke an invariant, lost its thread), and why. */
  readonly failed: Readonly<Record<string, string>>;
}

export interface OverviewSources {
  readonly node: string;
  readonly shards: ShardSet;
  readonly wal: GroupLog;
  readonly transport: TransportCounters & { peers(): string[] };
  readonly unknownGroup: number;
  readonly groups: number;
  readonly effects: EffectsHost;
  readonly failures: ReadonlyMap<string, string>;
}

export function nodeOverview(sources: OverviewSources): Overview {
  const { node, shards, wal, transport, unknownGroup, groups, effects, failures } = sources;
  const stats = wal.stats();
  const memory = process.memoryUsage();
  return {
    node,
    groups,
    running: shards.size,
    leaders: shards.leaders,
    timersArmed: shards.timersArmed,
    memory: { heapUsed: memory.heapUsed, rss: memory.rss },
    wal: {
      bytes: stats.bytes,
      syncs: stats.syncs,
      records: stats.records,
      entries: stats.entries,
      entriesPerSync: stats.syncs === 0 ? 0 : stats.entries / stats.syncs,
      segmentFlushes: stats.segmentFlushes,
      files: stats.walFiles,
    },
    transport: {
      frames: transport.framesSent,
      messages: transport.envelopesSent,
      linked: shards.linkedMessages,
      framed: shards.framedMessages,
      dropped: transport.dropped,
      rejected: transport.rejected,
      pings: transport.pingsSent,
      unknownGroup: unknownGroup + shards.unknownGroupMessages,
      staleTerm: shards.staleMessages,
    },
    mailboxDeliveries: effects.delivered,
    peers: transport.peers().sort(),
    failed: Object.fromEntries(failures),
  };
}
