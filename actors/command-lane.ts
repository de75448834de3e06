// The commands a node hands a worker shard in one turn, as one message of flat arrays and one
// buffer of their bytes, all moved to the worker rather than cloned: the node's thread writes
// each command's bytes once and serializes no object per command, and the worker rebuilds only
// the inputs its members take.
import { grownBuffer } from '../wal/index.js';

export interface CommandLaneData {
  readonly groups: readonly string[];
  /** Each command's request id (ids pass 2^32: a Float64Array holds them exactly). */
  readonly requests: Float64Array<ArrayBuffer>;
  /** Where each command's bytes end in `bytes`; the first starts at 0. */
  readonly ends: Uint32Array<ArrayBuffer>;
  readonly bytes: Uint8Array;
}

/** A lane's first buffer; it doubles as a busy turn needs. */
const initialBytes = 16 * 1024;

export class CommandLane {
  private readonly groups: string[] = [];
  private readonly requests: number[] = [];
  private readonly ends: number[] = [];
  private bytes: Buffer = Buffer.allocUnsafeSlow(initialBytes);
  private length = 0;

  get size(): number {
    return this.groups.length;
  }

  add(group: string, request: number, data: Uint8Array): void {
    // A buffer of its own (not the pool's): it is moved to the worker whole.
    this.bytes = grownBuffer(this.bytes, this.length, data.byteLength, Buffer.allocUnsafeSlow);
    this.bytes.set(data, this.length);
    this.length += data.byteLength;
    this.groups.push(group);
    this.requests.push(request);
    this.ends.push(this.length);
  }

  /** The lane's commands as the worker takes them, once: the buffers are the taker's, to move. */
  take(): CommandLaneData {
    return {
      groups: this.groups,
      requests: Float64Array.from(this.requests),
      ends: Uint32Array.from(this.ends),
      bytes: new Uint8Array(this.bytes.buffer, 0, this.length),
    };
  }
}

/**
 * The worker copies each command's bytes out of the lane into chunks of this size, and its
 * entry is a view of one: an entry a log keeps long pins one chunk, not a whole turn's lane, and
 * a turn allocates a buffer per chunk rather than one per command (measured: a buffer per
 * command cost 3 µs per command in all, most of it in the collector).
 */
const chunkBytes = 8 * 1024;
/** Commands larger than this get a buffer of their own. */
const ownBufferBytes = chunkBytes / 4;
let chunk = new Uint8Array(chunkBytes);
let chunkUsed = 0;

function copied(source: Uint8Array): Uint8Array {
  if (source.byteLength > ownBufferBytes) return source.slice();
  if (chunkUsed + source.byteLength > chunkBytes) {
    chunk = new Uint8Array(chunkBytes);
    chunkUsed = 0;
  }
  const copy = chunk.subarray(chunkUsed, chunkUsed + source.byteLength);
  copy.set(source);
  chunkUsed += source.byteLength;
  return copy;
}

/** Calls `take` for each command of `lane`, in order, with a copy of its bytes (see chunkBytes). */
export function eachCommand(
  lane: CommandLaneData,
  take: (group: string, request: number, data: Uint8Array) => void,
): void {
  const { groups, requests, ends, bytes } = lane;
  let start = 0;
  for (let at = 0; at < groups.length; at += 1) {
    const end = ends[at]!;
    take(groups[at]!, requests[at]!, copied(bytes.subarray(start, end)));
    start = end;
  }
}
