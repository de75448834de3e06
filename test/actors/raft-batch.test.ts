// Raft batches as bytes: every message type comes back as it was sent, and whatever a peer puts
// on the wire instead (cut short, bytes changed, counts that lie) is a WireError, never another
// throw and never a message the core would misread.
import { describe, expect, it } from 'vitest';
import { decodeRaftBatch, encodeRaftBatch, raftBatchShard, WireError } from '../../actors/raft-batch.js';
import type { Entry, Message } from '../../raft/index.js';

const config = { voters: ['a/1', 'b/2', 'c/3'], nonVoters: ['d/4'], promote: [] };
const entry = (index: number, kind: Entry['kind'], data: Uint8Array): Entry => ({
  index,
  term: 4,
  kind,
  data,
  config: kind === 'config' ? config : null,
  time: 1_700_000_000_123.5,
});

const messages: Message[] = [
  {
    type: 'append',
    term: 4,
    prevIndex: 9,
    prevTerm: 3,
    entries: [
      entry(
        10,
        'command',
        Uint8Array.from({ length: 100 }, (_, at) => at),
      ),
      entry(11, 'noop', new Uint8Array(0)),
      entry(12, 'config', new Uint8Array(0)),
      entry(13, 'command', new Uint8Array(5000).fill(9)),
    ],
    commit: 8,
    probe: true,
  },
  { type: 'append', term: 4, prevIndex: 0, prevTerm: 0, entries: [], commit: 0, probe: false },
  { type: 'appendResponse', term: 4, success: true, match: 13, rejectIndex: 0, hintIndex: 0, stalled: false },
  {
    type: 'appendResponse',
    term: 2 ** 40,
    success: false,
    match: 0,
    rejectIndex: 7,
    hintIndex: 5,
    stalled: true,
    version: 3,
  },
  { type: 'heartbeat', term: 4, commit: 13, seq: 77 },
  { type: 'heartbeatResponse', term: 4, seq: 77, match: 13 },
  { type: 'heartbeatResponse', term: 4, seq: 78, match: 13, version: 2 },
  { type: 'vote', term: 5, lastIndex: 13, lastTerm: 4, pre: true, transfer: false },
  { type: 'vote', term: 5, lastIndex: 13, lastTerm: 4, pre: false, transfer: true },
  { type: 'voteResponse', term: 5, granted: true, pre: false },
  { type: 'voteResponse', term: 5, granted: false, pre: true },
  {
    type: 'snapshot',
    term: 5,
    index: 100,
    snapshotTerm: 4,
    config,
    size: 10_000,
    offset: 4096,
    chunk: new Uint8Array(4096).fill(3),
  },
  { type: 'snapshotResponse', term: 5, index: 100, received: 8192, installed: false },
  { type: 'timeoutNow', term: 6 },
  { type: 'leaderGone', term: 6 },
  { type: 'removed', term: 6, configIndex: 12, member: 'd/4' },
];

/** Messages as a batch holds them, flat: group, sending member, message. */
const flat = messages.flatMap((message, at) => [`gröup-${at}`, 'a/1', message]);

/** A tiny seeded generator: the same bytes are tried on every run. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1_664_525 + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

/** What decoding does with `batch`: the messages, or the WireError; any other throw fails the test. */
function decoded(batch: Uint8Array): unknown[] | WireError {
  try {
    return decodeRaftBatch(batch);
  } catch (error) {
    if (error instanceof WireError) return error;
    throw error;
  }
}

describe('a raft batch', () => {
  it('gives back every message type as it was sent, and the shard that framed it', () => {
    const batch = encodeRaftBatch(3, 7, flat);
    expect(raftBatchShard(batch)).toEqual({ index: 3, shards: 7 });
    const back = decodeRaftBatch(batch);
    expect(back).toEqual(flat);
    // An optional field absent stays absent, not undefined.
    expect(Object.keys(back[3 * 2 + 2] as object)).not.toContain('version');
  });

  it('hands out entry data that shares nothing with the batch', () => {
    const batch = encodeRaftBatch(0, 1, flat);
    const back = decodeRaftBatch(batch);
    batch.fill(0);
    const append = back[2] as Extract<Message, { type: 'append' }>;
    expect([...append.entries[0]!.data]).toEqual([...(messages[0] as typeof append).entries[0]!.data]);
    expect(append.entries[3]!.data.every((byte) => byte === 9)).toBe(true);
  });

  it('refuses every batch cut short, except at a message boundary where it holds fewer messages', () => {
    const batch = encodeRaftBatch(0, 1, flat);
    let whole = 0;
    for (let length = 0; length < batch.byteLength; length += 1) {
      const result = decoded(batch.subarray(0, length));
      if (result instanceof WireError) continue;
      whole += 1;
      expect(result).toEqual(flat.slice(0, result.length));
      expect(result.length).toBeGreaterThan(0);
    }
    // One shorter batch per message boundary but the last.
    expect(whole).toBe(messages.length - 1);
  });

  it('reads changed bytes as a WireError or as messages of the right shape, never another throw', () => {
    // Without the large payloads, whose bytes any value fits: most changes land in fields.
    const large = [0, 11];
    const batch = encodeRaftBatch(
      0,
      1,
      flat.filter((_, at) => !large.includes(Math.floor(at / 3))),
    );
    const next = random(12);
    let refusedCount = 0;
    for (let trial = 0; trial < 3000; trial += 1) {
      const changed = Uint8Array.from(batch);
      for (let flips = 1 + Math.floor(next() * 3); flips > 0; flips -= 1)
        changed[4 + Math.floor(next() * (changed.byteLength - 4))] = Math.floor(next() * 256);
      const result = decoded(changed);
      if (result instanceof WireError) {
        refusedCount += 1;
        continue;
      }
      for (let at = 0; at < result.length; at += 3) {
        const message = result[at + 2] as Message;
        expect(Number.isSafeInteger(message.term) && message.term >= 0).toBe(true);
        if (message.type === 'append')
          message.entries.forEach((item, position) => {
            expect(item.index).toBe(message.prevIndex + 1 + position);
          });
      }
    }
    expect(refusedCount).toBeGreaterThan(1000);
  });

  it('refuses counts that promise more than the batch holds, before allocating for them', () => {
    const batch = Buffer.from(
      encodeRaftBatch(0, 1, [
        'g',
        'a/1',
        { type: 'append', term: 1, prevIndex: 0, prevTerm: 0, entries: [], commit: 0, probe: false },
      ]),
    );
    // Header 4, 'g' and 'a/1' with their lengths to 16, type at 16, then term, prevIndex,
    // prevTerm, commit (8 bytes each), probe, and the entry count at 50.
    batch.writeDoubleBE(2 ** 50, 50);
    expect(decoded(batch)).toBeInstanceOf(WireError);
    expect(String(decoded(batch))).toContain('longer than their batch');
  });
});
