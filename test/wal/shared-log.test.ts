// The shared log end to end, through the built package (its segment writers run on worker
// threads, which load the compiled files): group commit, rollover into LMDB, reads across both,
// reopening, deleting a group, torn tails and corruption.
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Entry, Write } from 'flotilla/raft';
import { EncodedWrites, SharedLog } from 'flotilla/wal';
import { afterEach, describe, expect, it } from 'vitest';

const directories: string[] = [];
afterEach(() => {
  for (const directory of directories.splice(0)) rmSync(directory, { recursive: true, force: true });
});

function freshDirectory(): string {
  const directory = mkdtempSync(join(tmpdir(), 'flotilla-wal-'));
  directories.push(directory);
  return directory;
}

function entry(index: number, term: number, fill = index): Entry {
  return {
    index,
    term,
    kind: 'command',
    data: new Uint8Array(100).fill(fill % 256),
    config: null,
    time: index * 10,
  };
}

function entries(from: number, to: number, term: number): Entry[] {
  return Array.from({ length: to - from + 1 }, (_, offset) => entry(from + offset, term));
}

class Recorder {
  readonly durable = new Map<string, number>();
  syncs = 0;
  drains = 0;
  onDurable = (reports: ReadonlyMap<string, number>) => {
    this.syncs += 1;
    for (const [group, seq] of reports) this.durable.set(group, seq);
  };
  onDrain = () => {
    this.drains += 1;
  };
}

async function openLog(directory: string, recorder = new Recorder(), rolloverBytes?: number) {
  const options = { directory, onDurable: recorder.onDurable, onDrain: recorder.onDrain };
  return SharedLog.open(
    rolloverBytes === undefined ? options : { ...options, rolloverBytes, maxBacklogBytes: 4 * rolloverBytes },
  );
}

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let attempt = 0; attempt < 500 && !condition(); attempt += 1)
    await new Promise((resolve) => setTimeout(resolve, 10));
  if (!condition()) throw new Error(`timed out waiting for ${what}`);
}

const config = { voters: ['a', 'b', 'c'], nonVoters: [], promote: [] };

describe('the shared log', () => {
  it('makes the writes of many groups durable with far fewer syncs, reporting each group its last sequence', async () => {
    const recorder = new Recorder();
    const log = await openLog(freshDirectory(), recorder);
    for (let seq = 1; seq <= 20; seq += 1) {
      for (let group = 0; group < 100; group += 1)
        log.write(`g${group}`, seq, { kind: 'entries', from: seq, entries: [entry(seq, 1)] });
    }
    await until(
      () => recorder.durable.size === 100 && [...recorder.durable.values()].every((seq) => seq === 20),
      'all durable',
    );
    expect(recorder.syncs).toBeLessThan(10);
    expect(log.stats().entries).toBe(2000);
    await log.close();
  });

  it('appends writes a shard encoded itself as write() would, read back the same before and after reopening', async () => {
    const config = { voters: ['a', 'b', 'c'], nonVoters: [], promote: [] };
    const script: [string, number, Write][] = [
      ['g', 1, { kind: 'state', term: 2, vote: 'b', commit: 0 }],
      ['g', 2, { kind: 'entries', from: 1, entries: [entry(1, 2), entry(2, 2), entry(3, 2)] }],
      [
        'h',
        1,
        {
          kind: 'snapshot',
          snapshot: { index: 0, term: 0, config, data: new Uint8Array([9]) },
          keepLaterEntries: false,
        },
      ],
      ['g', 3, { kind: 'entries', from: 2, entries: [entry(2, 3, 7)] }],
      [
        'h',
        2,
        {
          kind: 'entries',
          from: 1,
          entries: [{ index: 1, term: 1, kind: 'config', data: new Uint8Array(0), config, time: 4 }],
        },
      ],
      ['g', 4, { kind: 'entries', from: 2, entries: [] }],
    ];
    const plain = new Recorder();
    const encodedRecorder = new Recorder();
    const plainDirectory = freshDirectory();
    const encodedDirectory = freshDirectory();
    const byWrite = await openLog(plainDirectory, plain);
    const byBytes = await openLog(encodedDirectory, encodedRecorder);
    for (const [group, seq, write] of script) byWrite.write(group, seq, write);
    const writes = new EncodedWrites();
    for (const [group, seq, write] of script) writes.add(group, seq, write);
    expect(writes.size).toBe(script.length);
    byBytes.writeEncoded(writes.take());
    expect(writes.size).toBe(0);
    const done = (recorder: Recorder) => recorder.durable.get('g') === 4 && recorder.durable.get('h') === 2;
    await until(() => done(plain) && done(encodedRecorder), 'both logs durable');
    for (const group of ['g', 'h']) expect(byBytes.load(group)).toEqual(byWrite.load(group));
    expect(byBytes.stats()).toMatchObject({ writes: 6, entries: 5, records: byWrite.stats().records });
    expect(byBytes.load('g')?.entries.map((stored) => [stored.index, stored.term])).toEqual([[1, 2]]);
    await byWrite.close();
    await byBytes.close();
    const plainAgain = await openLog(plainDirectory);
    const bytesAgain = await openLog(encodedDirectory);
    for (const group of ['g', 'h']) expect(bytesAgain.load(group)).toEqual(plainAgain.load(group));
    await plainAgain.close();
    await bytesAgain.close();
  });

  it('recovers entries, terms, votes, commits, snapshots, partial snapshots and truncations after reopening', async () => {
    const directory = freshDirectory();
    const log = await openLog(directory);
    const writes: [string, Write][] = [
      ['a', { kind: 'state', term: 2, vote: 'b', commit: 0 }],
      ['a', { kind: 'entries', from: 1, entries: entries(1, 10, 2) }],
      ['a', { kind: 'entries', from: 7, entries: entries(7, 8, 3) }],
      ['a', { kind: 'state', term: 3, vote: null, commit: 5 }],
      [
        'b',
        {
          kind: 'snapshot',
          snapshot: { index: 4, term: 1, config, data: new Uint8Array([9, 9]) },
          keepLaterEntries: false,
        },
      ],
      ['b', { kind: 'entries', from: 5, entries: entries(5, 6, 1) }],
      [
        'c',
        { kind: 'chunk', index: 9, term: 2, config, size: 6, offset: 0, data: new Uint8Array([1, 2, 3]) },
      ],
      ['c', { kind: 'chunk', index: 9, term: 2, config, size: 6, offset: 3, data: new Uint8Array([4, 5]) }],
      ['d', { kind: 'entries', from: 1, entries: entries(1, 6, 1) }],
      [
        'd',
        {
          kind: 'snapshot',
          snapshot: { index: 3, term: 1, config, data: new Uint8Array(0) },
          keepLaterEntries: true,
        },
      ],
    ];
    writes.forEach(([group, write], position) => {
      log.write(group, position + 1, write);
    });
    const before = ['a', 'b', 'c', 'd'].map((group) => log.load(group));
    await log.close();
    const reopened = await openLog(directory);
    const after = ['a', 'b', 'c', 'd'].map((group) => reopened.load(group));
    expect(after).toEqual(before);
    const [a, b, c, d] = after;
    expect(a).toMatchObject({ term: 3, vote: null, commit: 5 });
    expect(a!.entries.map((stored) => `${stored.index}:${stored.term}`)).toEqual([
      '1:2',
      '2:2',
      '3:2',
      '4:2',
      '5:2',
      '6:2',
      '7:3',
      '8:3',
    ]);
    expect(b!.snapshot).toMatchObject({ index: 4, term: 1, config });
    expect(b!.entries.map((stored) => stored.index)).toEqual([5, 6]);
    expect(c!.partial).toMatchObject({ index: 9, size: 6, received: 5 });
    expect(d!.entries.map((stored) => stored.index)).toEqual([4, 5, 6]);
    expect(reopened.groups()).toEqual(['a', 'b', 'c', 'd']);
    await reopened.close();
  });

  it('rolls files over into LMDB, deletes them, and reads across LMDB and the live file', async () => {
    const directory = freshDirectory();
    const recorder = new Recorder();
    const log = await openLog(directory, recorder, 16 * 1024);
    let seq = 0;
    for (let index = 1; index <= 400; index += 1) {
      for (const group of ['x', 'y'])
        log.write(group, ++seq, { kind: 'entries', from: index, entries: [entry(index, 1)] });
      if (index % 50 === 0) await until(() => recorder.durable.get('y') === seq, 'a batch');
    }
    log.write('x', ++seq, { kind: 'entries', from: 390, entries: entries(390, 392, 2) });
    await until(() => recorder.durable.get('x') === seq, 'the truncation');
    await until(() => log.stats().segmentFlushes >= 3, 'segment flushes');
    const x = log.load('x')!;
    expect(x.entries).toHaveLength(392);
    expect(x.entries.at(-1)).toMatchObject({ index: 392, term: 2 });
    expect(x.entries[100]).toEqual(entry(101, 1));
    expect(log.load('y')!.entries).toHaveLength(400);
    await log.close();
    expect(readdirSync(join(directory, 'wal')).length).toBeLessThanOrEqual(2);
    const reopened = await openLog(directory);
    expect(reopened.load('x')!.entries.at(-1)).toMatchObject({ index: 392, term: 2 });
    expect(reopened.load('y')!.entries).toHaveLength(400);
    await reopened.close();
  });

  it('reads the same from pending writes, the live file and LMDB', async () => {
    const directory = freshDirectory();
    const recorder = new Recorder();
    const log = await openLog(directory, recorder, 64 * 1024);
    log.write('x', 1, { kind: 'entries', from: 1, entries: entries(1, 600, 1) });
    await until(() => recorder.durable.get('x') === 1, 'the first entries');
    await until(() => log.stats().segmentFlushes >= 1, 'a segment flush');
    log.write('x', 2, { kind: 'entries', from: 601, entries: entries(601, 650, 1) });
    await until(() => recorder.durable.get('x') === 2, 'entries in the live file');
    log.write('x', 3, { kind: 'entries', from: 640, entries: entries(640, 645, 2) });
    log.write('x', 4, { kind: 'state', term: 2, vote: 'b', commit: 630 });
    const expected = [...entries(1, 639, 1), ...entries(640, 645, 2)];
    const pending = log.load('x')!;
    expect(pending.entries).toEqual(expected);
    expect(pending).toMatchObject({ term: 2, vote: 'b', commit: 630 });
    await until(() => recorder.durable.get('x') === 4, 'the truncation');
    expect(log.load('x')!.entries).toEqual(expected);
    await log.close();
    const reopened = await openLog(directory);
    expect(reopened.load('x')!.entries).toEqual(expected);
    await reopened.close();
  });

  it('forgets a deleted group for good, even though older records of it remain in earlier files', async () => {
    const directory = freshDirectory();
    const log = await openLog(directory, new Recorder(), 8 * 1024);
    for (let index = 1; index <= 200; index += 1)
      log.write('doomed', index, { kind: 'entries', from: index, entries: [entry(index, 1)] });
    log.write('kept', 1, { kind: 'entries', from: 1, entries: [entry(1, 1)] });
    log.deleteGroup('doomed');
    expect(log.load('doomed')).toBeUndefined();
    await log.close();
    const reopened = await openLog(directory);
    expect(reopened.load('doomed')).toBeUndefined();
    expect(reopened.groups()).toEqual(['kept']);
    await reopened.close();
  });

  it("keeps each member's identity through the live file, LMDB and reopening, and forgets it with the group", async () => {
    const directory = freshDirectory();
    const recorder = new Recorder();
    const log = await openLog(directory, recorder, 8 * 1024);
    log.setIdentity('joined', 'a#0000000001');
    log.setIdentity('founded', 'a#0000000002');
    log.write('founded', 1, {
      kind: 'snapshot',
      snapshot: { index: 0, term: 0, config, data: new Uint8Array([1]) },
      keepLaterEntries: false,
    });
    expect(log.load('joined')).toMatchObject({ identity: 'a#0000000001', snapshot: null, entries: [] });
    for (let index = 1; index <= 100; index += 1)
      log.write('founded', index + 1, { kind: 'entries', from: index, entries: [entry(index, 1)] });
    await until(() => log.stats().segmentFlushes >= 1, 'a segment flush');
    expect(log.load('founded')!.identity).toBe('a#0000000002');
    expect(log.groups()).toEqual(['founded', 'joined']);
    log.deleteGroup('joined');
    await log.close();
    const reopened = await openLog(directory);
    expect(reopened.load('founded')).toMatchObject({ identity: 'a#0000000002' });
    expect(reopened.load('founded')!.entries).toHaveLength(100);
    expect(reopened.load('joined')).toBeUndefined();
    await reopened.close();
  });

  it('begins a new member empty when its identity is recorded over data still held under the name', async () => {
    const directory = freshDirectory();
    const log = await openLog(directory, new Recorder(), 8 * 1024);
    log.setIdentity('reused', 'a#0000000001');
    log.write('reused', 1, { kind: 'state', term: 3, vote: 'a#0000000001', commit: 40 });
    for (let index = 1; index <= 100; index += 1)
      log.write('reused', index + 1, { kind: 'entries', from: index, entries: [entry(index, 3)] });
    await until(() => log.stats().segmentFlushes >= 1, 'a segment flush');
    // In LMDB and in the live file: a new member's identity, as after a delete that was lost.
    log.setIdentity('reused', 'a#0000000002');
    const fresh = { identity: 'a#0000000002', term: 0, vote: null, commit: 0, snapshot: null, entries: [] };
    expect(log.load('reused')).toMatchObject(fresh);
    log.write('reused', 200, { kind: 'entries', from: 1, entries: [entry(1, 1)] });
    await log.close();
    const reopened = await openLog(directory);
    expect(reopened.load('reused')).toMatchObject({ ...fresh, entries: [entry(1, 1)] });
    await reopened.close();
  });

  it('cuts a torn tail off the last file and recovers everything before it', async () => {
    const directory = freshDirectory();
    const log = await openLog(directory);
    log.write('a', 1, { kind: 'entries', from: 1, entries: entries(1, 5, 1) });
    await log.close();
    const [file] = readdirSync(join(directory, 'wal'));
    const path = join(directory, 'wal', file!);
    const whole = readFileSync(path);
    // Half of a copy of the last record: what a write cut short by a crash leaves.
    appendFileSync(path, whole.subarray(whole.byteLength - 70, whole.byteLength - 20));
    const reopened = await openLog(directory);
    expect(reopened.load('a')!.entries.map((stored) => stored.index)).toEqual([1, 2, 3, 4, 5]);
    await reopened.close();
  });

  it.each([
    ['an earlier file', 0],
    ['the middle of the last file, with intact records after it', 1],
  ])(
    'refuses to open over a corrupt record in %s, naming the file and offset',
    async (_where, corruptFile) => {
      const directory = freshDirectory();
      const log = await openLog(directory);
      // One record per write: the damaged first one has intact ones after it.
      for (let index = 1; index <= 5; index += 1)
        log.write('a', index, { kind: 'entries', from: index, entries: entries(index, index, 1) });
      await log.close();
      const walDirectory = join(directory, 'wal');
      const [name] = readdirSync(walDirectory);
      const first = join(walDirectory, name!);
      const second = join(
        walDirectory,
        name!.replace(/\d{10}/, (digits) => String(Number(digits) + 1).padStart(10, '0')),
      );
      const bytes = readFileSync(first);
      if (corruptFile === 1) writeFileSync(second, bytes);
      else writeFileSync(second, bytes.subarray(0, 0));
      const target = corruptFile === 0 ? first : second;
      const damaged = readFileSync(target);
      damaged.writeUInt8(damaged.readUInt8(60) ^ 0xff, 60);
      writeFileSync(target, damaged);
      await expect(openLog(directory)).rejects.toThrow(
        new RegExp(`corrupt WAL record in ${target}: a checksum mismatch at offset 0`),
      );
    },
  );

  it('tells appenders to hold back while segment flushing is behind, and says when to go on', async () => {
    const recorder = new Recorder();
    const log = await openLog(freshDirectory(), recorder, 4 * 1024);
    let refused = false;
    let seq = 0;
    // Each round writes far more than a file holds, so closed files pile up faster than one
    // segment writer can take them, however fast it is.
    const big = (index: number): Entry => ({
      ...entry(index, 1),
      data: new Uint8Array(4096).fill(index % 256),
    });
    for (let round = 0; round < 2000 && !refused; round += 1) {
      for (let index = 0; index < 20; index += 1) {
        seq += 1;
        refused = !log.write('busy', seq, { kind: 'entries', from: seq, entries: [big(seq)] }) || refused;
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(refused).toBe(true);
    await until(() => recorder.drains > 0, 'drain');
    expect(log.congested).toBe(false);
    await log.close();
  });
});
