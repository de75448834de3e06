// The LMDB side of the log: what segment flushes and recovery write, and what a group's stored
// state is read back from. Databases: `log` ([group, first index] → a run of entries, see
// entry-runs.ts), `meta` (group → term, vote, commit), `identity` (group → its member's id),
// `snapshots` and `partial` ([group, 0] → header, [group, n] → the n-th data chunk).
import { type Database, open, type RootDatabase } from 'lmdb';
import type { Config, Entry, NodeId, PartialSnapshot, Snapshot } from '../raft/index.js';
import { decodeRun, type Run, RunBuilder, runCount, sliceRun } from './entry-runs.js';
import type { StoredState } from './stored-group.js';
import type { StoredChange } from './write-codec.js';

/** Snapshot data is split into values of at most this size, well under LMDB's comfortable value size. */
const snapshotPartBytes = 1024 * 1024;

interface Meta {
  readonly term: number;
  readonly vote: NodeId | null;
  readonly commit: number;
}

interface SnapshotHeader {
  readonly index: number;
  readonly term: number;
  readonly config: Config;
  readonly size: number;
  readonly parts: number;
}

type Key = [string, number];

export class LmdbStore {
  private readonly env: RootDatabase;
  private readonly log: Database<Buffer, Key>;
  private readonly meta: Database<Meta, string>;
  private readonly identity: Database<string, string>;
  private readonly snapshots: Database<Buffer | SnapshotHeader, Key>;
  private readonly partial: Database<Buffer | SnapshotHeader, Key>;

  constructor(path: string) {
    // With overlapping sync (lmdb's default on Linux) a commit returns before it is on disk; a WAL
    // file must not be deleted before its records are, so commits here sync before returning.
    this.env = open({ path, compression: false, overlappingSync: false });
    this.log = this.env.openDB<Buffer, Key>({
      name: 'log',
      keyEncoding: 'ordered-binary',
      encoding: 'binary',
    });
    this.meta = this.env.openDB<Meta, string>({ name: 'meta', encoding: 'msgpack' });
    this.identity = this.env.openDB<string, string>({ name: 'identity', encoding: 'string' });
    this.snapshots = this.env.openDB<Buffer | SnapshotHeader, Key>({
      name: 'snapshots',
      keyEncoding: 'ordered-binary',
      encoding: 'msgpack',
    });
    this.partial = this.env.openDB<Buffer | SnapshotHeader, Key>({
      name: 'partial',
      keyEncoding: 'ordered-binary',
      encoding: 'msgpack',
    });
  }

  /** Runs `work` in one durable write transaction. */
  transaction(work: () => void): void {
    this.env.transactionSync(work);
  }

  /**
   * Stores a run of consecutive entries, replacing whatever the group held from the run's first
   * index on (as appending at an index does in Raft). Call inside transaction().
   */
  putRun(group: string, run: Run): void {
    this.cutFrom(group, run.first);
    this.log.putSync([group, run.first], run.encode());
  }

  applyOne(group: string, change: StoredChange): void {
    switch (change.kind) {
      case 'state':
        this.meta.putSync(group, { term: change.term, vote: change.vote, commit: change.commit });
        return;
      case 'truncate':
        this.cutFrom(group, change.from);
        return;
      case 'entry': {
        const run = new RunBuilder(change.entry.index);
        run.addEntry(change.entry);
        this.putRun(group, run);
        return;
      }
      case 'run': {
        const first = change.entries[0];
        if (first === undefined) return;
        const run = new RunBuilder(first.index);
        for (const entry of change.entries) run.addEntry(entry);
        this.putRun(group, run);
        return;
      }
      case 'snapshot': {
        const { snapshot } = change;
        this.removeRange(this.snapshots, group, 0, Number.POSITIVE_INFINITY);
        this.writeParts(this.snapshots, group, snapshot, snapshot.data);
        this.removeRange(this.partial, group, 0, Number.POSITIVE_INFINITY);
        if (change.keepLaterEntries) this.dropThrough(group, snapshot.index);
        else this.removeRange(this.log, group, Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY);
        return;
      }
      case 'chunk':
        this.applyChunk(group, change);
        return;
      case 'identity':
        // A new member: what was stored under the name before belongs to no one (stored-group.ts).
        this.removeGroup(group);
        this.identity.putSync(group, change.member);
        return;
      case 'deleteGroup':
        this.removeGroup(group);
        return;
      default: {
        const exhausted: never = change;
        throw new Error(`unknown change ${JSON.stringify(exhausted)}`);
      }
    }
  }

  private removeGroup(group: string): void {
    this.meta.removeSync(group);
    this.identity.removeSync(group);
    for (const database of [this.log, this.snapshots, this.partial]) {
      this.removeRange(database, group, Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY);
    }
  }

  /** Removes the group's entries from index `from` on, cutting the run that holds it. */
  private cutFrom(group: string, from: number): void {
    for (const { key, value } of this.log.getRange({
      start: [group, from],
      end: [group],
      reverse: true,
      limit: 1,
    })) {
      const first = key[1];
      if (first < from && first + runCount(value) > from) {
        this.log.putSync(key, sliceRun(first, value, first, from).encode());
      }
    }
    this.removeRange(this.log, group, from, Number.POSITIVE_INFINITY);
  }

  /** Removes the group's entries up to and including `index`, keeping the rest of the run that holds it. */
  private dropThrough(group: string, index: number): void {
    for (const { key, value } of [
      ...this.log.getRange({ start: [group, Number.NEGATIVE_INFINITY], end: [group, index + 1] }),
    ]) {
      const first = key[1];
      if (first + runCount(value) - 1 > index) {
        this.log.putSync(
          [group, index + 1],
          sliceRun(first, value, index + 1, Number.POSITIVE_INFINITY).encode(),
        );
      }
      this.log.removeSync(key);
    }
  }

  private applyChunk(group: string, change: Extract<StoredChange, { kind: 'chunk' }>): void {
    const header = this.partial.get([group, 0]) as SnapshotHeader | undefined;
    if (change.offset === 0) {
      this.removeRange(this.partial, group, 0, Number.POSITIVE_INFINITY);
      this.partial.putSync([group, 0], { ...headerOf(change, change.size), parts: 1 });
      this.partial.putSync([group, 1], Buffer.from(change.data));
      return;
    }
    if (header === undefined || header.index !== change.index || header.term !== change.term) return;
    const received = this.partialBytes(group, header);
    if (received !== change.offset) return;
    this.partial.putSync([group, header.parts + 1], Buffer.from(change.data));
    this.partial.putSync([group, 0], { ...header, parts: header.parts + 1 });
  }

  private partialBytes(group: string, header: SnapshotHeader): number {
    let bytes = 0;
    for (let part = 1; part <= header.parts; part += 1)
      bytes += (this.partial.get([group, part]) as Buffer).byteLength;
    return bytes;
  }

  private writeParts(
    database: Database<Buffer | SnapshotHeader, Key>,
    group: string,
    snapshot: Snapshot,
    data: Uint8Array,
  ): void {
    const parts = Math.ceil(data.byteLength / snapshotPartBytes);
    database.putSync([group, 0], { ...headerOf(snapshot, data.byteLength), parts });
    for (let part = 0; part < parts; part += 1) {
      const start = part * snapshotPartBytes;
      database.putSync([group, part + 1], Buffer.from(data.subarray(start, start + snapshotPartBytes)));
    }
  }

  private removeRange<V>(database: Database<V, Key>, group: string, from: number, to: number): void {
    for (const key of [...database.getKeys({ start: [group, from], end: [group, to] })])
      database.removeSync(key);
  }

  /** Every group with anything stored. */
  groups(): string[] {
    const names = new Set<string>(this.meta.getKeys() as Iterable<string>);
    for (const group of this.identity.getKeys() as Iterable<string>) names.add(group);
    for (const database of [this.snapshots, this.partial, this.log]) {
      for (const group of distinctGroups(database)) names.add(group);
    }
    return [...names].sort();
  }

  load(group: string): StoredState | undefined {
    const meta = this.meta.get(group);
    const identity = this.identity.get(group) ?? null;
    const snapshot = this.readSnapshot(group);
    const entries: Entry[] = [];
    const first = snapshot === null ? 1 : snapshot.index + 1;
    for (const { key, value } of this.log.getRange({
      start: [group, Number.NEGATIVE_INFINITY],
      end: [group, Number.POSITIVE_INFINITY],
    })) {
      entries.push(...decodeRun(key[1], value, first));
    }
    const partial = this.readPartial(group);
    if (
      meta === undefined &&
      snapshot === null &&
      entries.length === 0 &&
      partial === null &&
      identity === null
    )
      return undefined;
    return {
      term: meta?.term ?? 0,
      vote: meta?.vote ?? null,
      commit: meta?.commit ?? 0,
      snapshot,
      entries,
      partial,
      identity,
    };
  }

  private readSnapshot(group: string): Snapshot | null {
    const header = this.snapshots.get([group, 0]) as SnapshotHeader | undefined;
    if (header === undefined) return null;
    return {
      index: header.index,
      term: header.term,
      config: header.config,
      data: this.readParts(this.snapshots, group, header),
    };
  }

  private readPartial(group: string): PartialSnapshot | null {
    const header = this.partial.get([group, 0]) as SnapshotHeader | undefined;
    if (header === undefined) return null;
    const chunks: Uint8Array[] = [];
    let received = 0;
    for (let part = 1; part <= header.parts; part += 1) {
      const chunk = this.partial.get([group, part]) as Buffer;
      chunks.push(new Uint8Array(chunk));
      received += chunk.byteLength;
    }
    return {
      index: header.index,
      term: header.term,
      config: header.config,
      size: header.size,
      chunks,
      received,
    };
  }

  private readParts(
    database: Database<Buffer | SnapshotHeader, Key>,
    group: string,
    header: SnapshotHeader,
  ): Uint8Array {
    const data = new Uint8Array(header.size);
    let offset = 0;
    for (let part = 1; part <= header.parts; part += 1) {
      const chunk = database.get([group, part]) as Buffer;
      data.set(chunk, offset);
      offset += chunk.byteLength;
    }
    return data;
  }

  close(): Promise<void> {
    return this.env.close();
  }
}

/** The groups with keys in `database`, jumping from group to group instead of reading every key. */
function* distinctGroups<V>(database: Database<V, Key>): Generator<string> {
  let start: Key | undefined;
  for (;;) {
    let first: Key | undefined;
    for (const key of database.getKeys(start === undefined ? { limit: 1 } : { start, limit: 1 })) first = key;
    if (first === undefined) return;
    yield first[0];
    start = [first[0], Number.POSITIVE_INFINITY];
  }
}

function headerOf(
  source: { readonly index: number; readonly term: number; readonly config: Config },
  size: number,
) {
  return { index: source.index, term: source.term, config: source.config, size };
}
