// Turns the core's writes into WAL records and WAL records back into stored state changes, so the
// writer, the segment flusher and recovery agree on one meaning for every record.
import { Packr } from 'msgpackr';
import type { Config, Entry, Write } from '../raft/index.js';
import { decodeRun, entryKinds, plainRunSize, RunBuilder, writePlainRun } from './entry-runs.js';
import {
  type DecodedRecord,
  encodeGroup,
  groupNameBytes,
  headerBytes,
  payloadOffset,
  type RecordFields,
  RecordType,
  recordSize,
  writeNamedHeader,
  writeNamedRecord,
  writeRecord,
} from './record.js';

const packr = new Packr({ useRecords: false });
const encoder = new TextEncoder();
const decoder = new TextDecoder();
const empty = new Uint8Array(0);

/**
 * A change to one group's stored state, as a record means it: the core's state, snapshot and
 * chunk writes as they are, an entries write split into a truncation and its run of entries
 * (a single entry, in files written before runs). Entries replace what was stored from the
 * first one's index on.
 */
export type StoredChange =
  | Exclude<Write, { readonly kind: 'entries' }>
  | { readonly kind: 'truncate'; readonly from: number }
  | { readonly kind: 'entry'; readonly entry: Entry }
  | { readonly kind: 'run'; readonly entries: readonly Entry[] }
  | { readonly kind: 'deleteGroup' }
  | { readonly kind: 'identity'; readonly member: string };

/**
 * The records for one write. An entries write with entries is one run record, which replaces
 * whatever the group held from its first index on; one without is a truncation at `from`.
 */
export function recordsOf(group: Uint8Array, write: Write): RecordFields[] {
  switch (write.kind) {
    case 'state':
      return [
        {
          type: RecordType.state,
          flags: write.vote === null ? 1 : 0,
          group,
          index: write.commit,
          term: write.term,
          extra: 0,
          payload: voteBytes(write.vote),
        },
      ];
    case 'entries':
      if (write.entries.length > 0) return [runRecord(group, write.entries)];
      return [
        { type: RecordType.truncate, flags: 0, group, index: write.from, term: 0, extra: 0, payload: empty },
      ];
    case 'snapshot': {
      const { snapshot } = write;
      return [
        {
          type: RecordType.snapshot,
          flags: write.keepLaterEntries ? 1 : 0,
          group,
          index: snapshot.index,
          term: snapshot.term,
          extra: 0,
          payload: packr.pack({ config: snapshot.config, data: snapshot.data }),
        },
      ];
    }
    case 'chunk':
      return [
        {
          type: RecordType.chunk,
          flags: 0,
          group,
          index: write.index,
          term: write.term,
          extra: write.offset,
          payload: packr.pack({ config: write.config, size: write.size, data: write.data }),
        },
      ];
    default: {
      const exhausted: never = write;
      throw new Error(`unknown write ${JSON.stringify(exhausted)}`);
    }
  }
}

type EntriesWrite = Extract<Write, { kind: 'entries' }>;

/** A vote's bytes off the fast path (recordsOf). */
function voteBytes(vote: string | null): Uint8Array {
  return vote === null ? empty : encoder.encode(vote);
}

type StateWrite = Extract<Write, { kind: 'state' }>;

/** Bytes `encodeState` will write for a name of `groupBytes`. */
export function stateSize(groupBytes: number, write: StateWrite): number {
  return headerBytes + groupBytes + (write.vote === null ? 0 : Buffer.byteLength(write.vote, 'utf8'));
}

/** Encodes a term/vote/commit write straight into `buffer`, as recordsOf would describe it. */
export function encodeStateWrite(
  buffer: Buffer,
  offset: number,
  group: string,
  groupBytes: number,
  write: StateWrite,
): number {
  // Each group's vote names a member of that group: votes are as many as groups, none is kept encoded.
  return writeNamedRecord(
    buffer,
    offset,
    RecordType.state,
    write.vote === null ? 1 : 0,
    group,
    groupBytes,
    write.commit,
    write.term,
    0,
    write.vote ?? '',
  );
}

/** Whether an entries write can take the fast path: no config entry, whose payload needs packing. */
export function plainEntries(write: Write): write is EntriesWrite {
  if (write.kind !== 'entries') return false;
  for (const entry of write.entries) if (entry.config !== null) return false;
  return true;
}

/** Bytes `encodeEntries` will write for a name of `groupBytes`. */
export function entriesSize(groupBytes: number, write: EntriesWrite): number {
  if (write.entries.length === 0) return headerBytes + groupBytes;
  return headerBytes + groupBytes + plainRunSize(write.entries);
}

/** Encodes the record of a plain entries write straight into `buffer`, as recordsOf would describe it. */
export function encodeEntries(
  buffer: Buffer,
  offset: number,
  group: string,
  groupBytes: number,
  write: EntriesWrite,
): number {
  const { entries } = write;
  if (entries.length === 0)
    return writeNamedRecord(
      buffer,
      offset,
      RecordType.truncate,
      0,
      group,
      groupBytes,
      write.from,
      0,
      0,
      empty,
    );
  // The run straight into its place in the record, then the name and header around it.
  const start = payloadOffset(offset, groupBytes);
  const payloadEnd = writePlainRun(buffer, start, entries);
  const first = entries[0]!.index;
  return writeNamedHeader(
    buffer,
    offset,
    RecordType.run,
    group,
    groupBytes,
    first,
    entries.length,
    payloadEnd - start,
  );
}

/** One write as the log appends it: its size, its records and entries, and how to encode it. */
export interface PlannedWrite {
  readonly bytes: number;
  readonly records: number;
  readonly entries: number;
  encode(buffer: Buffer, offset: number): number;
}

/**
 * How `write` of `group` is encoded: plain entries and term/vote writes straight into the
 * buffer, with no record objects in between (they are nearly every write); the rest through
 * recordsOf. The node's log and a shard encoding its own writes both go through here.
 */
export function planWrite(group: string, write: Write): PlannedWrite {
  const groupBytes = groupNameBytes(group);
  const entries = write.kind === 'entries' ? write.entries.length : 0;
  if (plainEntries(write))
    return {
      bytes: entriesSize(groupBytes, write),
      records: 1,
      entries,
      encode: (buffer, offset) => encodeEntries(buffer, offset, group, groupBytes, write),
    };
  if (write.kind === 'state')
    return {
      bytes: stateSize(groupBytes, write),
      records: 1,
      entries,
      encode: (buffer, offset) => encodeStateWrite(buffer, offset, group, groupBytes, write),
    };
  const records = recordsOf(encodeGroup(group), write);
  let bytes = 0;
  for (const record of records) bytes += recordSize(record);
  return {
    bytes,
    records: records.length,
    entries,
    encode: (buffer, offset) => {
      let end = offset;
      for (const record of records) end = writeRecord(buffer, end, record);
      return end;
    },
  };
}

/** One write's entries (consecutive, config entries among them or not) as one run record. */
function runRecord(group: Uint8Array, entries: readonly Entry[]): RecordFields {
  const run = new RunBuilder(entries[0]!.index);
  for (const entry of entries) run.addEntry(entry);
  return {
    type: RecordType.run,
    flags: 0,
    group,
    index: run.first,
    term: 0,
    extra: entries.length,
    payload: run.encode(),
  };
}

export function deleteGroupRecord(group: Uint8Array): RecordFields {
  return { type: RecordType.deleteGroup, flags: 0, group, index: 0, term: 0, extra: 0, payload: empty };
}

export function identityRecord(group: Uint8Array, member: string): RecordFields {
  return {
    type: RecordType.identity,
    flags: 0,
    group,
    index: 0,
    term: 0,
    extra: 0,
    payload: encoder.encode(member),
  };
}

/** What a record read back from a WAL file changes. Payload bytes are copied out of the file's buffer. */
export function changeOf(record: DecodedRecord): StoredChange {
  switch (record.type) {
    case RecordType.state:
      return {
        kind: 'state',
        term: record.term,
        vote: record.flags === 1 ? null : decoder.decode(record.payload),
        commit: record.index,
      };
    case RecordType.truncate:
      return { kind: 'truncate', from: record.index };
    case RecordType.entry: {
      const kind = entryKinds[record.flags];
      if (kind === undefined) throw new Error(`entry record with unknown kind ${record.flags}`);
      const config = kind === 'config' ? (packr.unpack(record.payload) as Config) : null;
      return {
        kind: 'entry',
        entry: {
          index: record.index,
          term: record.term,
          kind,
          data: config === null ? new Uint8Array(record.payload) : empty,
          config,
          time: record.extra,
        },
      };
    }
    case RecordType.run:
      // Copied out of the file's buffer once; the entries' data are views into the copy.
      return { kind: 'run', entries: decodeRun(record.index, new Uint8Array(record.payload)) };
    case RecordType.snapshot: {
      const { config, data } = packr.unpack(record.payload) as { config: Config; data: Uint8Array };
      return {
        kind: 'snapshot',
        // Copied out: a view would keep the whole WAL file's buffer alive.
        snapshot: { index: record.index, term: record.term, config, data: new Uint8Array(data) },
        keepLaterEntries: record.flags === 1,
      };
    }
    case RecordType.chunk: {
      const { config, size, data } = packr.unpack(record.payload) as {
        config: Config;
        size: number;
        data: Uint8Array;
      };
      return {
        kind: 'chunk',
        index: record.index,
        term: record.term,
        config,
        size,
        offset: record.extra,
        data: new Uint8Array(data),
      };
    }
    case RecordType.deleteGroup:
      return { kind: 'deleteGroup' };
    case RecordType.identity:
      return { kind: 'identity', member: decoder.decode(record.payload) };
    default: {
      const exhausted: never = record.type;
      throw new Error(`unknown record type ${exhausted}`);
    }
  }
}
