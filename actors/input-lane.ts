// The inputs a node hands a worker shard in one turn that come by the thousand (commands, and
// the WAL's durable reports), as one message of flat arrays and one buffer of the commands'
// bytes, all moved to the worker rather than cloned: the node's thread serializes no object per
// input, and the worker rebuilds only the inputs its members take.
import { grownBuffer } from '../wal/index.js';
import type { ActorInput } from './actor-io.js';
import { chunkCopy } from './byte-chunks.js';

export interface InputLaneData {
  /** Each input's kind: `command` or `durable`. */
  readonly kinds: Uint8Array<ArrayBuffer>;
  readonly groups: readonly string[];
  /** A command's request id, a durable report's sequence (both pass 2^32: f64 holds them exactly). */
  readonly numbers: Float64Array<ArrayBuffer>;
  /** Where each command's bytes end in `bytes`; the first starts at 0. */
  readonly ends: Uint32Array<ArrayBuffer>;
  readonly bytes: Uint8Array;
}

const command = 0;
const durable = 1;

/** A lane's first buffer; it doubles as a busy turn needs. */
const initialBytes = 16 * 1024;

export class InputLane {
  private readonly kinds: number[] = [];
  private readonly groups: string[] = [];
  private readonly numbers: number[] = [];
  private readonly ends: number[] = [];
  private bytes: Buffer = Buffer.allocUnsafeSlow(initialBytes);
  private length = 0;

  get size(): number {
    return this.groups.length;
  }

  /** Takes `input` if it is of a kind the lane carries; says whether it did. */
  add(group: string, input: ActorInput): boolean {
    if (input.kind === 'command') {
      const { data } = input;
      // A buffer of its own (not the pool's): it is moved to the worker whole.
      this.bytes = grownBuffer(this.bytes, this.length, data.byteLength, Buffer.allocUnsafeSlow);
      this.bytes.set(data, this.length);
      this.length += data.byteLength;
      this.push(command, group, input.request);
      return true;
    }
    if (input.kind === 'durable') {
      this.push(durable, group, input.seq);
      return true;
    }
    return false;
  }

  private push(kind: number, group: string, value: number): void {
    this.kinds.push(kind);
    this.groups.push(group);
    this.numbers.push(value);
    this.ends.push(this.length);
  }

  /** The lane's inputs as the worker takes them, once: the buffers are the taker's, to move. */
  take(): InputLaneData {
    return {
      kinds: Uint8Array.from(this.kinds),
      groups: this.groups,
      numbers: Float64Array.from(this.numbers),
      ends: Uint32Array.from(this.ends),
      bytes: new Uint8Array(this.bytes.buffer, 0, this.length),
    };
  }
}

/** The buffers of `lane`, to move with it. */
export function laneBuffers(lane: InputLaneData): ArrayBuffer[] {
  return [lane.kinds.buffer, lane.numbers.buffer, lane.ends.buffer, lane.bytes.buffer as ArrayBuffer];
}

/** Calls `take` for each input of `lane`, in order; a command's bytes are a copy (byte-chunks.ts). */
export function eachInput(lane: InputLaneData, take: (group: string, input: ActorInput) => void): void {
  const { kinds, groups, numbers, ends, bytes } = lane;
  let start = 0;
  for (let at = 0; at < groups.length; at += 1) {
    const end = ends[at]!;
    if (kinds[at] === durable) take(groups[at]!, { kind: 'durable', seq: numbers[at]! });
    else
      take(groups[at]!, {
        kind: 'command',
        request: numbers[at]!,
        data: chunkCopy(bytes.subarray(start, end)),
      });
    start = end;
  }
}
