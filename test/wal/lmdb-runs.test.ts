// LMDB keeps a group's entries in runs: truncations and snapshots that land inside a run must
// keep exactly the entries on the right side of the cut, and reads must not see the difference.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Entry } from '../../raft/index.js';
import { decodeRun, RecordRun, RunBuilder, runBytes, sliceRun } from '../../wal/entry-runs.js';
import { LmdbStore } from '../../wal/lmdb-store.js';
import { encodeGroup, headerBytes, RecordType, recordSize, writeRecord } from '../../wal/record.js';
import { recordsOf } from '../../wal/write-codec.js';

const stores: { store: LmdbStore; directory: string }[] = [];
afterEach(async () => {
  for (const { store, directory } of stores.splice(0)) {
    await store.close();
    rmSync(directory, { recursive: true, force: true });
  }
});

function openStore(): LmdbStore {
  const directory = mkdtempSync(join(tmpdir(), 'flotilla-runs-'));
  const store = new LmdbStore(join(directory, 'lmdb'));
  stores.push({ store, directory });
  return store;
}

function entry(index: number, term: number): Entry {
  return {
    index,
    term,
    kind: 'command',
    data: new Uint8Array([index % 256, term]),
    config: null,
    time: index,
  };
}

function run(from: number, to: number, term: number): RunBuilder {
  const builder = new RunBuilder(from);
  for (let index = from; index <= to; index += 1) builder.addEntry(entry(index, term));
  return builder;
}

function indexesAndTerms(entries: readonly Entry[]): [number, number][] {
  return entries.map((stored) => [stored.index, stored.term]);
}

function expected(...spans: [number, number, number][]): [number, number][] {
  return spans.flatMap(([from, to, term]) =>
    Array.from({ length: to - from + 1 }, (_, offset): [number, number] => [from + offset, term]),
  );
}

describe('entry runs', () => {
  it('encode and decode every kind of entry, and slice to a range', () => {
    const builder = new RunBuilder(5);
    const config = { voters: ['a', 'b'], nonVoters: ['c'], promote: [] };
    builder.addEntry(entry(5, 1));
    builder.addEntry({ index: 6, term: 2, kind: 'config', data: new Uint8Array(0), config, time: 60 });
    builder.addEntry({ index: 7, term: 2, kind: 'noop', data: new Uint8Array(0), config: null, time: 70 });
    const encoded = builder.encode();
    expect(decodeRun(5, encoded)).toEqual([
      entry(5, 1),
      { index: 6, term: 2, kind: 'config', data: new Uint8Array(0), config, time: 60 },
      { index: 7, term: 2, kind: 'noop', data: new Uint8Array(0), config: null, time: 70 },
    ]);
    expect(decodeRun(5, encoded, 7).map((stored) => stored.index)).toEqual([7]);
    const middle = sliceRun(5, encoded, 6, 7);
    expect(middle.first).toBe(6);
    expect(decodeRun(6, middle.encode()).map((stored) => stored.index)).toEqual([6]);
  });

  it('encode the same from WAL records, run records and the single-entry ones of older files alike, as from entry objects', () => {
    const config = { voters: ['a'], nonVoters: [], promote: [] };
    const stored = [
      entry(3, 1),
      { index: 4, term: 2, kind: 'config' as const, data: new Uint8Array(0), config, time: 40 },
      entry(5, 2),
      entry(6, 2),
    ];
    const group = encodeGroup('grüppe');
    // Entries 3-5 as one write (a run record), then 6 as a file written before runs holds it.
    const records = [
      ...recordsOf(group, { kind: 'entries', from: 3, entries: stored.slice(0, 3) }),
      {
        type: RecordType.entry,
        flags: 0,
        group,
        index: 6,
        term: 2,
        extra: stored[3]!.time,
        payload: stored[3]!.data,
      },
    ];
    expect(records.map((record) => record.type)).toEqual([RecordType.run, RecordType.entry]);
    const file = Buffer.alloc(records.reduce((sum, record) => sum + recordSize(record), 7));
    const fromRecords = new RecordRun(file, 3);
    let offset = 7;
    for (const record of records) {
      const end = writeRecord(file, offset, record);
      const payload = offset + headerBytes + group.byteLength;
      if (record.type === RecordType.run) fromRecords.addRun(payload, end, record.extra);
      else fromRecords.add(offset, end - offset, group.byteLength);
      offset = end;
    }
    const fromEntries = new RunBuilder(3);
    for (const one of stored) fromEntries.addEntry(one);
    expect(fromRecords.next).toBe(7);
    expect(fromRecords.encode()).toEqual(fromEntries.encode());
    expect(decodeRun(3, fromRecords.encode())).toEqual(stored);
  });

  it('say when a run has reached its size', () => {
    const builder = new RunBuilder(1);
    let added = 0;
    while (!builder.full && added < 1000) {
      builder.add(0, 1, 0, new Uint8Array(1000));
      added += 1;
    }
    // Each entry takes its 1000 bytes and a 21-byte header, after the run's 4-byte count.
    expect(added).toBe(Math.ceil((runBytes - 4) / 1021));
    expect(builder.next).toBe(1 + added);
  });
});

/** Where the group's stored log ends: its last entry, else its snapshot, else 0. */
function lastIndexOf(store: LmdbStore, group: string): number {
  const stored = store.load(group);
  return stored?.entries.at(-1)?.index ?? stored?.snapshot?.index ?? 0;
}

describe('the LMDB store of runs', () => {
  it('reads runs back as one log', () => {
    const store = openStore();
    store.transaction(() => {
      store.putRun('g', run(1, 10, 1));
      store.putRun('g', run(11, 25, 1));
      store.putRun('other', run(1, 3, 7));
    });
    expect(indexesAndTerms(store.load('g')!.entries)).toEqual(expected([1, 25, 1]));
    expect(indexesAndTerms(store.load('other')!.entries)).toEqual(expected([1, 3, 7]));
    expect(store.load('absent')).toBeUndefined();
  });

  it('truncates inside a run, at a run boundary, and by appending at an earlier index', () => {
    const store = openStore();
    store.transaction(() => {
      store.putRun('g', run(1, 10, 1));
      store.putRun('g', run(11, 20, 1));
      store.putRun('g', run(21, 30, 1));
      store.applyOne('g', { kind: 'truncate', from: 15 });
    });
    expect(indexesAndTerms(store.load('g')!.entries)).toEqual(expected([1, 14, 1]));
    expect(lastIndexOf(store, 'g')).toBe(14);
    store.transaction(() => store.applyOne('g', { kind: 'truncate', from: 11 }));
    expect(lastIndexOf(store, 'g')).toBe(10);
    store.transaction(() => store.putRun('g', run(4, 12, 3)));
    expect(indexesAndTerms(store.load('g')!.entries)).toEqual(expected([1, 3, 1], [4, 12, 3]));
    store.transaction(() => store.applyOne('g', { kind: 'entry', entry: entry(6, 4) }));
    expect(indexesAndTerms(store.load('g')!.entries)).toEqual(expected([1, 3, 1], [4, 5, 3], [6, 6, 4]));
  });

  it('drops entries through a snapshot inside a run and keeps the later ones, or drops them all', () => {
    const store = openStore();
    const config = { voters: ['a'], nonVoters: [], promote: [] };
    store.transaction(() => {
      store.putRun('g', run(1, 10, 1));
      store.putRun('g', run(11, 20, 2));
      store.applyOne('g', {
        kind: 'snapshot',
        snapshot: { index: 13, term: 2, config, data: new Uint8Array([1]) },
        keepLaterEntries: true,
      });
    });
    const kept = store.load('g')!;
    expect(kept.snapshot?.index).toBe(13);
    expect(indexesAndTerms(kept.entries)).toEqual(expected([14, 20, 2]));
    expect(lastIndexOf(store, 'g')).toBe(20);
    store.transaction(() =>
      store.applyOne('g', {
        kind: 'snapshot',
        snapshot: { index: 30, term: 3, config, data: new Uint8Array([2]) },
        keepLaterEntries: false,
      }),
    );
    expect(store.load('g')!.entries).toEqual([]);
    expect(lastIndexOf(store, 'g')).toBe(30);
  });

  it('deletes every run of a deleted group and nothing of its neighbours', () => {
    const store = openStore();
    store.transaction(() => {
      store.putRun('g', run(1, 10, 1));
      store.putRun('g', run(11, 20, 1));
      store.putRun('h', run(1, 2, 1));
      store.applyOne('g', { kind: 'deleteGroup' });
    });
    expect(store.load('g')).toBeUndefined();
    expect(store.groups()).toEqual(['h']);
  });
});
