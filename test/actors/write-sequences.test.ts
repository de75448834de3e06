// A group's writes as the log numbers them, across its member's openings on one node.
import { describe, expect, it } from 'vitest';
import { WriteSequences } from '../../actors/write-sequences.js';

describe('write sequences', () => {
  it('passes a first opening through unchanged', () => {
    const sequences = new WriteSequences();
    sequences.opened('g');
    expect([1, 2, 3].map((seq) => sequences.toLog('g', seq))).toEqual([1, 2, 3]);
    expect(sequences.fromLog('g', 2)).toBe(2);
    expect(sequences.fromLog('g', 3)).toBe(3);
  });

  it('drops a report of an earlier opening, and numbers the new one past it', () => {
    const sequences = new WriteSequences();
    sequences.opened('g');
    for (const seq of [1, 2, 3, 4, 5]) sequences.toLog('g', seq);
    expect(sequences.fromLog('g', 2)).toBe(2);
    sequences.opened('g');
    expect(sequences.toLog('g', 1)).toBe(6);
    expect(sequences.fromLog('g', 5)).toBeNull();
    expect(sequences.fromLog('g', 6)).toBe(1);
  });

  it('starts afresh once every write of a first opening was reported', () => {
    const sequences = new WriteSequences();
    sequences.opened('g');
    sequences.toLog('g', 1);
    sequences.toLog('g', 2);
    expect(sequences.fromLog('g', 2)).toBe(2);
    sequences.opened('g');
    expect(sequences.toLog('g', 1)).toBe(1);
  });

  it('passes writes made before the member starts (the founding configuration) as they are', () => {
    const sequences = new WriteSequences();
    expect(sequences.toLog('g', -1)).toBe(-1);
    expect(sequences.fromLog('g', -1)).toBe(-1);
  });

  it('forgets a reopened group once every write is reported: nothing stays for a group gone idle or deleted', () => {
    const sequences = new WriteSequences();
    sequences.opened('g');
    sequences.toLog('g', 1);
    sequences.opened('g');
    expect(sequences.toLog('g', 1)).toBe(2);
    expect(sequences.fromLog('g', 2)).toBe(1);
    sequences.opened('g');
    expect(sequences.toLog('g', 1)).toBe(1);
  });
});
