// Group commit on a file whose writes the test completes by hand: durability is reported only
// after the write and its sync complete, and what arrives meanwhile goes out as one batch.
import { describe, expect, it } from 'vitest';
import { GroupCommit } from '../../wal/group-commit.js';
import { encodeGroup, RecordType } from '../../wal/record.js';
import type { WalFile } from '../../wal/wal-file.js';

class HeldFile {
  readonly generation = 1;
  readonly path = '/nowhere';
  size = 0;
  readonly writes: { length: number; done: (error: Error | null) => void }[] = [];

  append(_buffer: Buffer, length: number, _sync: boolean, done: (error: Error | null) => void): void {
    this.writes.push({ length, done });
  }

  complete(): void {
    const write = this.writes.shift()!;
    this.size += write.length;
    write.done(null);
  }
}

function record(group: string) {
  return {
    type: RecordType.state,
    flags: 1,
    group: encodeGroup(group),
    index: 0,
    term: 1,
    extra: 0,
    payload: new Uint8Array(0),
  };
}

function harness() {
  const file = new HeldFile();
  const reports: Map<string, number>[] = [];
  const batches: number[] = [];
  const commit = new GroupCommit(file as unknown as WalFile, true, {
    durable: (durable, records) => {
      reports.push(new Map(durable));
      batches.push(records);
    },
    written: (current) => current,
    failed: (error) => {
      throw error;
    },
  });
  return { file, commit, reports, batches };
}

describe('group commit', () => {
  it('reports nothing durable until the write and its sync complete', () => {
    const { file, commit, reports } = harness();
    commit.append('a', 1, [record('a')]);
    expect(file.writes).toHaveLength(1);
    expect(reports).toEqual([]);
    file.complete();
    expect(reports).toEqual([new Map([['a', 1]])]);
  });

  it('gathers everything that arrives during a write into the next single write', () => {
    const { file, commit, reports, batches } = harness();
    commit.append('a', 1, [record('a')]);
    for (let seq = 2; seq <= 50; seq += 1) {
      commit.append('a', seq, [record('a')]);
      commit.append(`g${seq % 7}`, seq, [record('b'), record('c')]);
    }
    expect(file.writes).toHaveLength(1);
    file.complete();
    expect(file.writes).toHaveLength(1);
    file.complete();
    expect(file.writes).toHaveLength(0);
    expect(batches).toEqual([1, 49 * 3]);
    expect(reports[1]!.get('a')).toBe(50);
    expect(reports[1]!.get('g0')).toBe(49);
    expect(reports[1]!.size).toBe(8);
  });

  it('loses nothing appended from inside the durable callback, as a replicating member does', () => {
    const file = new HeldFile();
    const durable = new Map<string, number>();
    let next = 1;
    const commit: GroupCommit = new GroupCommit(file as unknown as WalFile, true, {
      durable: (reports) => {
        for (const [group, seq] of reports) durable.set(group, seq);
        // Each durable report lets the member send the next append at once.
        if (next < 20) {
          next += 1;
          commit.append('a', next, [record('a')]);
          commit.append('b', next, [record('b')]);
        }
      },
      written: (current) => current,
      failed: (error) => {
        throw error;
      },
    });
    commit.append('a', 1, [record('a')]);
    for (let round = 0; round < 100 && file.writes.length > 0; round += 1) file.complete();
    expect(file.writes).toHaveLength(0);
    expect(durable.get('a')).toBe(20);
    expect(durable.get('b')).toBe(20);
  });

  it('resolves idle only once everything appended is written', async () => {
    const { file, commit } = harness();
    commit.append('a', 1, [record('a')]);
    commit.append('a', 2, [record('a')]);
    let idle = false;
    const waiting = commit.idle().then(() => {
      idle = true;
    });
    file.complete();
    await Promise.resolve();
    expect(idle).toBe(false);
    file.complete();
    await waiting;
    expect(idle).toBe(true);
  });
});
