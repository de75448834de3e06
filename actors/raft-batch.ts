// A batch of raft messages as bytes, for a peer node: each field in a fixed place for its message
// type, no field names, an entry's data as its raw bytes. Measured against msgpack of the same
// messages (field names, a map per message and per entry) it costs a fraction to write and to
// read, and its reading checks as it goes: a count is read as a count, an entry's index is its
// place after prevIndex, and anything short, unknown or out of range is a WireError that closes
// the connection, never a throw inside the Raft core. Envelopes (calls, results) are msgpack
// (runtime/tcp/wire.ts).
//
// Layout: [u16 shard index][u16 shard count], then per message: group, sending member (each a
// u32 byte length and UTF-8), a u8 type and that type's fields. Counts and terms are f64 (safe
// integers, checked), flags one u8 of bits. A node with as many shards holds each of these groups
// on the same index and hands the batch to that shard as it came; any other reads it itself. A
// node's own thread frames what its inline shard sends as shard 0 of 0: no shard takes that as it came.
import type { Config, Entry, EntryKind, Message } from '../raft/index.js';
import { grownBuffer } from '../wal/index.js';
import { chunkCopy } from './byte-chunks.js';

/** What a peer sent does not read: the connection it came on is closed, nothing of it is kept. */
export class WireError extends Error {}

const headerBytes = 4;
/** A batch's first buffer; it doubles as a busy turn needs. */
const initialBytes = 16 * 1024;
/** Names longer than this (group, member) are refused, as everywhere on the wire. */
const maxNameLength = 1024;

const types = [
  'append',
  'appendResponse',
  'heartbeat',
  'heartbeatResponse',
  'vote',
  'voteResponse',
  'snapshot',
  'snapshotResponse',
  'timeoutNow',
  'leaderGone',
  'removed',
] as const satisfies readonly Message['type'][];
const typeCodes = new Map<string, number>(types.map((type, code) => [type, code]));
const kinds = ['command', 'noop', 'config'] as const satisfies readonly EntryKind[];

/** Flag bits. */
const first = 1;
const second = 2;
const hasVersion = 4;

class Writer {
  buffer: Buffer = Buffer.allocUnsafeSlow(initialBytes);
  view = new DataView(this.buffer.buffer);
  at = 0;

  private room(bytes: number): void {
    if (this.at + bytes <= this.buffer.byteLength) return;
    // A buffer of its own (not the pool's): the batch is moved to another thread whole.
    this.buffer = grownBuffer(this.buffer, this.at, bytes, Buffer.allocUnsafeSlow);
    this.view = new DataView(this.buffer.buffer, this.buffer.byteOffset, this.buffer.byteLength);
  }

  u8(value: number): void {
    this.room(1);
    this.view.setUint8(this.at, value);
    this.at += 1;
  }

  u16(value: number): void {
    this.room(2);
    this.view.setUint16(this.at, value);
    this.at += 2;
  }

  f64(value: number): void {
    this.room(8);
    this.view.setFloat64(this.at, value);
    this.at += 8;
  }

  bytes(value: Uint8Array): void {
    this.room(4 + value.byteLength);
    this.view.setUint32(this.at, value.byteLength);
    this.buffer.set(value, this.at + 4);
    this.at += 4 + value.byteLength;
  }

  text(value: string): void {
    this.room(4 + value.length * 3);
    const length = this.buffer.write(value, this.at + 4);
    this.view.setUint32(this.at, length);
    this.at += 4 + length;
  }

  names(value: readonly string[]): void {
    this.f64(value.length);
    for (const name of value) this.text(name);
  }

  config(value: Config): void {
    this.names(value.voters);
    this.names(value.nonVoters);
    this.names(value.promote);
  }
}

/** `flat` (group, sending member, message, ...) as one batch of shard `index` of `shards`. */
export function encodeRaftBatch(index: number, shards: number, flat: readonly unknown[]): Uint8Array {
  const out = new Writer();
  out.u16(index);
  out.u16(shards);
  for (let at = 0; at + 2 < flat.length; at += 3) {
    out.text(flat[at] as string);
    out.text(flat[at + 1] as string);
    writeMessage(out, flat[at + 2] as Message);
  }
  return new Uint8Array(out.buffer.buffer, 0, out.at);
}

function writeMessage(out: Writer, message: Message): void {
  out.u8(typeCodes.get(message.type)!);
  out.f64(message.term);
  switch (message.type) {
    case 'append':
      out.f64(message.prevIndex);
      out.f64(message.prevTerm);
      out.f64(message.commit);
      out.u8(message.probe ? first : 0);
      out.f64(message.entries.length);
      for (const entry of message.entries) {
        out.f64(entry.term);
        out.f64(entry.time);
        out.u8(kinds.indexOf(entry.kind));
        out.bytes(entry.data);
        if (entry.kind === 'config') out.config(entry.config!);
      }
      return;
    case 'appendResponse':
      out.f64(message.match);
      out.f64(message.rejectIndex);
      out.f64(message.hintIndex);
      writeFlags(out, message.success, message.stalled, message.version);
      return;
    case 'heartbeat':
      out.f64(message.commit);
      out.f64(message.seq);
      return;
    case 'heartbeatResponse':
      out.f64(message.seq);
      out.f64(message.match);
      writeFlags(out, false, false, message.version);
      return;
    case 'vote':
      out.f64(message.lastIndex);
      out.f64(message.lastTerm);
      out.u8((message.pre ? first : 0) | (message.transfer ? second : 0));
      return;
    case 'voteResponse':
      out.u8((message.granted ? first : 0) | (message.pre ? second : 0));
      return;
    case 'snapshot':
      out.f64(message.index);
      out.f64(message.snapshotTerm);
      out.f64(message.size);
      out.f64(message.offset);
      out.config(message.config);
      out.bytes(message.chunk);
      return;
    case 'snapshotResponse':
      out.f64(message.index);
      out.f64(message.received);
      out.u8(message.installed ? first : 0);
      return;
    case 'timeoutNow':
    case 'leaderGone':
      return;
    case 'removed':
      out.f64(message.configIndex);
      out.text(message.member);
      return;
  }
}

function writeFlags(out: Writer, one: boolean, two: boolean, version: number | undefined): void {
  out.u8((one ? first : 0) | (two ? second : 0) | (version === undefined ? 0 : hasVersion));
  if (version !== undefined) out.f64(version);
}

function fail(what: string): never {
  throw new WireError(what);
}

class Reader {
  private readonly view: DataView;
  private readonly buffer: Buffer;
  at = headerBytes;

  constructor(batch: Uint8Array) {
    this.view = new DataView(batch.buffer, batch.byteOffset, batch.byteLength);
    this.buffer = Buffer.from(batch.buffer, batch.byteOffset, batch.byteLength);
  }

  get done(): boolean {
    return this.at >= this.view.byteLength;
  }

  /** Fails unless `count` items of at least `bytes` each could still follow: a count past what is left is a lie, not an allocation. */
  fits(count: number, bytes: number, what: string): void {
    if (count * bytes > this.view.byteLength - this.at) fail(`${what} longer than their batch`);
  }

  private take(bytes: number, what: string): number {
    const at = this.at;
    if (at + bytes > this.view.byteLength) fail(`a raft batch cut short in ${what}`);
    this.at += bytes;
    return at;
  }

  u8(what: string): number {
    return this.view.getUint8(this.take(1, what));
  }

  number(what: string): number {
    return this.view.getFloat64(this.take(8, what));
  }

  count(what: string): number {
    const value = this.number(what);
    if (!Number.isSafeInteger(value) || value < 0) fail(`${what} is not a count`);
    return value;
  }

  flags(what: string, allowed: number): number {
    const value = this.u8(what);
    if ((value & ~allowed) !== 0) fail(`${what} has unknown flags`);
    return value;
  }

  /** Bytes copied out of the batch (byte-chunks.ts): what a log keeps must not pin the frame. */
  bytes(what: string): Uint8Array {
    const length = this.view.getUint32(this.take(4, what));
    const at = this.take(length, what);
    return chunkCopy(this.buffer.subarray(at, at + length));
  }

  name(what: string): string {
    const length = this.view.getUint32(this.take(4, what));
    const at = this.take(length, what);
    const name = this.buffer.toString('utf8', at, at + length);
    if (name === '' || name.length > maxNameLength) fail(`${what} is not a name`);
    return name;
  }

  names(what: string): string[] {
    const length = this.count(what);
    this.fits(length, 5, what);
    const names: string[] = [];
    for (let at = 0; at < length; at += 1) names.push(this.name(what));
    return names;
  }

  config(what: string): Config {
    return {
      voters: this.names(`${what} voters`),
      nonVoters: this.names(`${what} non-voters`),
      promote: this.names(`${what} promotions`),
    };
  }
}

/** The shard that framed `batch` and its node's shard count; throws WireError on a batch too short. */
export function raftBatchShard(batch: Uint8Array): { readonly index: number; readonly shards: number } {
  if (batch.byteLength <= headerBytes) fail('a raft batch shorter than its header');
  const view = new DataView(batch.buffer, batch.byteOffset, headerBytes);
  return { index: view.getUint16(0), shards: view.getUint16(2) };
}

/** The messages of a batch, flat as encoded (group, sending member, message, ...); throws WireError on anything else. */
export function decodeRaftBatch(batch: Uint8Array): unknown[] {
  raftBatchShard(batch);
  const input = new Reader(batch);
  const flat: unknown[] = [];
  while (!input.done) flat.push(input.name('a group'), input.name('a sending member'), readMessage(input));
  return flat;
}

function readMessage(input: Reader): Message {
  const code = input.u8('a message type');
  const type = types[code];
  if (type === undefined) fail(`a raft message of no known type ${code}`);
  const term = input.count('a message term');
  switch (type) {
    case 'append': {
      const prevIndex = input.count('prevIndex');
      const prevTerm = input.count('prevTerm');
      const commit = input.count('commit');
      const probe = input.flags('probe', first) !== 0;
      const length = input.count('append entries');
      input.fits(length, 21, 'append entries');
      const entries: Entry[] = [];
      for (let position = 0; position < length; position += 1)
        entries.push(readEntry(input, prevIndex + 1 + position));
      return { type, term, prevIndex, prevTerm, entries, commit, probe };
    }
    case 'appendResponse': {
      const match = input.count('match');
      const rejectIndex = input.count('rejectIndex');
      const hintIndex = input.count('hintIndex');
      const flags = input.flags('appendResponse flags', first | second | hasVersion);
      const response = {
        type,
        term,
        success: (flags & first) !== 0,
        match,
        rejectIndex,
        hintIndex,
        stalled: (flags & second) !== 0,
      };
      return (flags & hasVersion) === 0 ? response : { ...response, version: input.count('version') };
    }
    case 'heartbeat':
      return { type, term, commit: input.count('commit'), seq: input.count('seq') };
    case 'heartbeatResponse': {
      const seq = input.count('seq');
      const match = input.count('match');
      const flags = input.flags('heartbeatResponse flags', hasVersion);
      return (flags & hasVersion) === 0
        ? { type, term, seq, match }
        : { type, term, seq, match, version: input.count('version') };
    }
    case 'vote': {
      const lastIndex = input.count('lastIndex');
      const lastTerm = input.count('lastTerm');
      const flags = input.flags('vote flags', first | second);
      return {
        type,
        term,
        lastIndex,
        lastTerm,
        pre: (flags & first) !== 0,
        transfer: (flags & second) !== 0,
      };
    }
    case 'voteResponse': {
      const flags = input.flags('voteResponse flags', first | second);
      return { type, term, granted: (flags & first) !== 0, pre: (flags & second) !== 0 };
    }
    case 'snapshot': {
      const index = input.count('index');
      const snapshotTerm = input.count('snapshotTerm');
      const size = input.count('size');
      const offset = input.count('offset');
      const config = input.config('a snapshot config');
      const chunk = input.bytes('a snapshot chunk');
      if (offset + chunk.byteLength > size) fail('a snapshot chunk past its size');
      return { type, term, index, snapshotTerm, config, size, offset, chunk };
    }
    case 'snapshotResponse': {
      const index = input.count('index');
      const received = input.count('received');
      return { type, term, index, received, installed: input.flags('installed', first) !== 0 };
    }
    case 'timeoutNow':
    case 'leaderGone':
      return { type, term };
    case 'removed': {
      const configIndex = input.count('configIndex');
      return { type, term, configIndex, member: input.name('a removed member') };
    }
  }
}

function readEntry(input: Reader, index: number): Entry {
  const term = input.count('an entry term');
  const time = input.number('an entry time');
  const kind = kinds[input.u8('an entry kind')];
  if (kind === undefined) fail('an entry of no known kind');
  const data = input.bytes('entry data');
  const config = kind === 'config' ? input.config('an entry config') : null;
  return { index, term, kind, data, config, time };
}
