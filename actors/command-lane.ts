// The commands a node hands a worker shard in one turn, as one message of flat arrays and one
// buffer of their bytes, all moved to the worker rather than cloned: the node's thread writes
// each command's bytes once and serializes no object per command, and the worker rebuilds only
// the inputs its members take.
import { grownBuffer } from '../wal/index.js';
import { chunkCopy } from './byte-chunks.js';

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

/** Calls `take` for each command of `lane`, in order, with a copy of its bytes (byte-chunks.ts). */
export function eachCommand(
  lane: CommandLaneData,
  take: (group: string, request: number, data: Uint8Array) => void,
): void {
  const { groups, requests, ends, bytes } = lane;
  let start = 0;
  for (let at = 0; at < groups.length; at += 1) {
    const end = ends[at]!;
    take(groups[at]!, requests[at]!, chunkCopy(bytes.subarray(start, end)));
    start = end;
  }
}
