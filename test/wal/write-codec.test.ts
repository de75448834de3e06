// The fast path for entries writes must put exactly the bytes the general encoder would.
import { describe, expect, it } from 'vitest';
import type { Entry, Write } from '../../raft/index.js';
import { encodeGroup, RecordType, readRecord, recordSize, writeRecord } from '../../wal/record.js';
import {
  changeOf,
  encodeEntries,
  encodeStateWrite,
  entriesSize,
  plainEntries,
  recordsOf,
  stateSize,
} from '../../wal/write-codec.js';

// Not ASCII, so the name's UTF-8 length differs from its length in characters.
const groupName = 'bestellungen-ü';
const group = encodeGroup(groupName);

function entry(index: number, term: number, kind: Entry['kind'] = 'command'): Entry {
  return { index, term, kind, data: new Uint8Array([index, term, 7]), config: null, time: index * 1.5 };
}

function general(write: Write): Buffer {
  const records = recordsOf(group, write);
  const buffer = Buffer.alloc(records.reduce((sum, record) => sum + recordSize(record), 0));
  let offset = 0;
  for (const record of records) offset = writeRecord(buffer, offset, record);
  return buffer;
}

describe('entries encoding', () => {
  it.each([
    ['an append', { kind: 'entries', from: 5, entries: [entry(5, 2), entry(6, 2, 'noop')] } as const],
    ['entries replacing a tail', { kind: 'entries', from: 3, entries: [entry(3, 4), entry(4, 4)] } as const],
    ['a truncation with no entries', { kind: 'entries', from: 3, entries: [] } as const],
  ])('writes the same bytes on the fast path as the general encoder for %s', (_name, write) => {
    expect(plainEntries(write)).toBe(true);
    const fast = Buffer.alloc(entriesSize(group.byteLength, write));
    expect(encodeEntries(fast, 0, groupName, group.byteLength, write)).toBe(fast.byteLength);
    expect(fast.equals(general(write))).toBe(true);
  });

  it('records entries as one run that replaces the tail from its first index, and no entries as a truncation', () => {
    const replacing = readRecord(general({ kind: 'entries', from: 3, entries: [entry(3, 4)] }), 0);
    expect(replacing.kind === 'record' && replacing.record.type).toBe(RecordType.run);
    const cut = readRecord(general({ kind: 'entries', from: 3, entries: [] }), 0);
    expect(cut.kind === 'record' && changeOf(cut.record)).toEqual({ kind: 'truncate', from: 3 });
  });

  it.each([
    ['a vote', { kind: 'state', term: 7, vote: 'nöde-b', commit: 41 } as const],
    ['no vote', { kind: 'state', term: 2, vote: null, commit: 0 } as const],
  ])(
    'writes the same bytes on the fast path as the general encoder for a state write with %s',
    (_name, write) => {
      const fast = Buffer.alloc(stateSize(group.byteLength, write));
      expect(encodeStateWrite(fast, 0, groupName, group.byteLength, write)).toBe(fast.byteLength);
      expect(fast.equals(general(write))).toBe(true);
      const outcome = readRecord(fast, 0);
      expect(outcome.kind === 'record' && changeOf(outcome.record)).toEqual({
        kind: 'state',
        term: write.term,
        vote: write.vote,
        commit: write.commit,
      });
    },
  );

  it('puts a write of many entries in one run record, read back as the same entries', () => {
    const write: Write = {
      kind: 'entries',
      from: 5,
      entries: [entry(5, 2), entry(6, 2), entry(7, 3, 'noop')],
    };
    const fast = Buffer.alloc(entriesSize(group.byteLength, write));
    encodeEntries(fast, 0, groupName, group.byteLength, write);
    const outcome = readRecord(fast, 0);
    expect(outcome.kind === 'record' && outcome.record).toMatchObject({
      type: RecordType.run,
      group: groupName,
      index: 5,
      extra: 3,
      end: fast.byteLength,
    });
    expect(outcome.kind === 'record' && changeOf(outcome.record)).toEqual({
      kind: 'run',
      entries: write.entries,
    });
  });

  it('reads the single-entry records of files written before runs', () => {
    const old = entry(4, 2);
    const fields = {
      type: RecordType.entry,
      flags: 0,
      group,
      index: 4,
      term: 2,
      extra: old.time,
      payload: old.data,
    };
    const buffer = Buffer.alloc(recordSize(fields));
    writeRecord(buffer, 0, fields);
    const outcome = readRecord(buffer, 0);
    expect(outcome.kind === 'record' && changeOf(outcome.record)).toEqual({ kind: 'entry', entry: old });
  });

  it('sends config entries the general way and reads them back whole', () => {
    const config = { voters: ['a', 'b'], nonVoters: ['c'], promote: ['c'] };
    const write: Write = {
      kind: 'entries',
      from: 2,
      entries: [{ index: 2, term: 3, kind: 'config', data: new Uint8Array(0), config, time: 9 }],
    };
    expect(plainEntries(write)).toBe(false);
    const outcome = readRecord(general(write), 0);
    expect(outcome.kind).toBe('record');
    if (outcome.kind !== 'record') return;
    expect(changeOf(outcome.record)).toEqual({ kind: 'run', entries: write.entries });
  });
});
