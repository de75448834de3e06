// How a group's commands, system events and machine state are encoded in its entries and
// snapshots (msgpackr), and the founding state a new group starts from.
import { Packr } from 'msgpackr';
import type { Config, NodeId, StoredMember } from '../raft/index.js';
import { badArgument } from './errors.js';
import type { SystemEvent } from './machine.js';
import { plainDataProblem } from './plain-data.js';

// Binaries are copied out when decoded: a machine keeping one keeps no entry's bytes alive.
const packr = new Packr({ useRecords: false, moreTypes: true, copyBuffers: true });

/** Up to this size, data is decoded from a copy in `scratch`. */
const scratchBytes = 64 * 1024;
const scratch = Buffer.allocUnsafeSlow(scratchBytes);

/**
 * msgpackr caches a DataView on whatever it decodes; decoding a copy in a reused buffer keeps
 * that off the entries a log holds (one object fewer per entry, and no new garbage per decode).
 */
function unpacked(data: Uint8Array): unknown {
  if (data.byteLength === 0 || data.byteLength > scratchBytes) return packr.unpack(data);
  scratch.set(data);
  return packr.unpack(scratch, { end: data.byteLength });
}

/** A command entry's payload: a caller's command, a system event, or a machine version (see machine-versions.ts). */
export type Encoded = readonly [0, unknown] | readonly [1, SystemEvent] | readonly [2, number];

/**
 * A reply or query result as the caller may keep it: objects are copied, so a caller changing
 * what it got cannot reach into the machine's state.
 */
export function detached(value: unknown): unknown {
  return typeof value === 'object' && value !== null ? structuredClone(value) : value;
}

/** A caller's command as its entry holds it; what is not plain data is refused (BAD_ARGUMENT). */
export function encodeCommand(command: unknown): Uint8Array {
  const problem = plainDataProblem(command, 'the command');
  if (problem !== null) throw badArgument(problem);
  return plainView(packr.pack([0, command] satisfies Encoded));
}

/**
 * msgpackr returns a Buffer carrying a DataView of its own; a long-lived entry or snapshot keeps
 * only a plain view of the same bytes, which costs a fraction of the memory.
 */
function plainView(packed: Uint8Array): Uint8Array {
  return new Uint8Array(packed.buffer, packed.byteOffset, packed.byteLength);
}

export function encodeSystem(event: SystemEvent): Uint8Array {
  return packr.pack([1, event] satisfies Encoded);
}

/** From this entry on, the group applies under machine version `version`. */
export function encodeVersion(version: number): Uint8Array {
  return plainView(packr.pack([2, version] satisfies Encoded));
}

export function encodeState(version: number, state: unknown): Uint8Array {
  return plainView(packr.pack({ version, state }));
}

export function decodeState(data: Uint8Array): { version: number; state: unknown } {
  return unpacked(data) as { version: number; state: unknown };
}

/** Shared by every founding configuration: nobody is a non-voter or waiting to be promoted. */
const none: readonly NodeId[] = Object.freeze([]);

/**
 * A founding member's stored state: the initial configuration and the machine's initial state,
 * at the machine version the founders agreed on (the lowest their code supports).
 */
export function foundingState(initial: unknown, voters: readonly NodeId[], version: number): StoredMember {
  const membership: Config = { voters, nonVoters: none, promote: none };
  return {
    term: 0,
    vote: null,
    commit: 0,
    snapshot: {
      index: 0,
      term: 0,
      config: membership,
      data: encodeState(version, initial),
    },
    entries: [],
    partial: null,
  };
}

/** A command entry's payload: a client's command (tag 0), a system event (1), a machine version (2). */
export function decodeEntryData(data: Uint8Array): Encoded {
  return unpacked(data) as Encoded;
}
