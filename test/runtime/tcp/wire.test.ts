// The wire codec: every kind of envelope survives the trip, and anything of the wrong shape
// is refused with a WireError before it can reach a group.
import { Packr } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import type { Envelope } from '../../../runtime/envelope.js';
import { decodeBatch, encodeBatch, WireError } from '../../../runtime/tcp/wire.js';

const packr = new Packr({ useRecords: false });
const config = { voters: ['a', 'b', 'c'], nonVoters: [], promote: [] };

const valid: Envelope[] = [
  {
    kind: 'raft',
    group: 'orders',
    from: 'a#aaaaaaaaaa',
    message: {
      type: 'append',
      term: 3,
      prevIndex: 4,
      prevTerm: 2,
      commit: 4,
      probe: false,
      entries: [
        { index: 5, term: 3, kind: 'command', data: new Uint8Array([1, 2]), config: null, time: 1 },
        { index: 6, term: 3, kind: 'config', data: new Uint8Array(0), config, time: 2 },
      ],
    },
  },
  {
    kind: 'raft',
    group: 'orders',
    from: 'a#aaaaaaaaaa',
    message: { type: 'vote', term: 4, lastIndex: 6, lastTerm: 3, pre: true, transfer: false },
  },
  {
    kind: 'raft',
    group: 'orders',
    from: 'a#aaaaaaaaaa',
    message: {
      type: 'snapshot',
      term: 4,
      index: 9,
      snapshotTerm: 3,
      config,
      size: 3,
      offset: 0,
      chunk: new Uint8Array([9, 9, 9]),
    },
  },
  { kind: 'call', id: 7, call: { op: 'command', group: 'orders', data: new Uint8Array([0x90]) } },
  {
    kind: 'call',
    id: 8,
    call: { op: 'query', group: 'orders', name: 'count', arg: { x: 1 }, consistency: 'consistent' },
  },
  { kind: 'result', id: 7, outcome: { kind: 'ok', value: { total: 3 } } },
  { kind: 'result', id: 8, outcome: { kind: 'notLeader', leader: 'b' } },
  {
    kind: 'call',
    id: 9,
    call: {
      op: 'createMember',
      record: { name: 'orders', module: 'file:///m.js', config: null, members: ['a', 'b'], stopped: false },
      founders: ['a#aaaaaaaaaa', 'b#bbbbbbbbbb'],
      member: 'a#aaaaaaaaaa',
      version: 2,
    },
  },
  {
    kind: 'call',
    id: 10,
    call: {
      op: 'changeMembers',
      group: 'orders',
      change: { kind: 'add', node: 'c', member: 'c#cccccccccc', voter: true },
    },
  },
];

function rejects(value: unknown): void {
  expect(() => decodeBatch(packr.pack(value))).toThrow(WireError);
}

describe('the wire codec', () => {
  it('carries every kind of envelope unchanged, binaries as copies', () => {
    const bytes = encodeBatch(valid);
    const decoded = decodeBatch(bytes);
    expect(decoded).toEqual(valid);
    const entry = (decoded[0] as Extract<Envelope, { kind: 'raft' }>).message;
    if (entry.type !== 'append') throw new Error('not an append');
    bytes.fill(0);
    expect([...entry.entries[0]!.data]).toEqual([1, 2]);
  });

  it('refuses the wrong shapes', () => {
    rejects({ not: 'an array' });
    rejects([1, 2, 3]);
    rejects([{ kind: 'raft', group: 'g', message: { type: 'append', term: 1 } }]);
    rejects([{ kind: 'raft', group: '', message: { type: 'timeoutNow', term: 1 } }]);
    rejects([{ kind: 'raft', group: 'g', message: { type: 'timeoutNow', term: -1 } }]);
    rejects([{ kind: 'raft', group: 'g', message: { type: 'nonsense', term: 1 } }]);
    // A Raft message must name the members it is from and for.
    const { from: _from, ...unsent } = valid[1] as Extract<Envelope, { kind: 'raft' }>;
    rejects([unsent]);
    const append = valid[0] as Extract<Envelope, { kind: 'raft' }>;
    const message = append.message as Extract<typeof append.message, { type: 'append' }>;
    // Entries whose indexes do not follow prevIndex, and an entry with no data.
    rejects([{ ...append, message: { ...message, prevIndex: 9 } }]);
    rejects([{ ...append, message: { ...message, entries: [{ ...message.entries[0], data: 'text' }] } }]);
    rejects([{ kind: 'call', id: 1, call: { op: 'command', group: 'g', data: 5 } }]);
    rejects([{ kind: 'call', id: 1, call: { op: 'dropTables' } }]);
    rejects([{ kind: 'call', id: -1, call: { op: 'campaign', group: 'g' } }]);
    rejects([{ kind: 'result', id: 1, outcome: { kind: 'maybe' } }]);
    rejects([
      {
        kind: 'call',
        id: 1,
        call: { op: 'changeMembers', group: 'g', change: { kind: 'add', node: 'c', voter: true } },
      },
    ]);
    rejects([{ kind: 'whatever' }]);
    expect(() => decodeBatch(Buffer.from([0xc1, 0xff]))).toThrow(WireError);
  });

  it('answers random bytes with a WireError or a checked batch, never anything else', () => {
    let seed = 12345;
    const random = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed;
    };
    for (let round = 0; round < 10_000; round += 1) {
      const bytes = Buffer.alloc(1 + (random() % 64));
      for (let at = 0; at < bytes.byteLength; at += 1) bytes[at] = random() & 0xff;
      // A valid msgpack prefix now and then, so the checks past the parser are reached too.
      if (round % 3 === 0) bytes[0] = 0x91;
      try {
        expect(Array.isArray(decodeBatch(bytes))).toBe(true);
      } catch (error) {
        expect(error).toBeInstanceOf(WireError);
      }
    }
  });
});
