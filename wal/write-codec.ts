// Turns the core's writes into WAL records and WAL records back into stored state changes, so the
// writer, the segment flusher and recovery agree on one meaning for every record.
import { Packr } from 'msgpackr';
import type { Config, Entry, Write } from '../raft/index.js';
import { decodeRun, entryKinds, plainRunSize, RunBuilder, writePlainRun } from './entry-runs.js';
import {
  type DecodedRecord,
  headerBytes,
  payloadOffset,
  type RecordFields,
  RecordType,
  writeNamedHeader,
  writeNamedRecord,
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
 * The records for one write. `lastIndex` is the group's last written index, so an entries write
 * that starts at or below it is recorded as the truncation it is.
 */
export function recordsOf(group: Uint8Array, write: Write, lastIndex: number): RecordFields[] {
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
    case 'entries': {
      const records: RecordFields[] = [];
      if (write.from <= lastIndex) {
        records.push({
          type: RecordType.truncate,
          flags: 0,
          group,
          index: write.from,
          term: 0,
          extra: 0,
          payload: empty,
        });
      }
      if (write.entries.length > 0) records.push(runRecord(group, write.entries));
      return records;
    }
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

/** Bytes `encodeEntries` will write, truncation record included, for a name of `groupBytes`. */
export function entriesSize(groupBytes: number, write: EntriesWrite, lastIndex: number): number {
  const truncation = write.from <= lastIndex ? headerBytes + groupBytes : 0;
  if (write.entries.length === 0) return truncation;
  return truncation + headerBytes + groupBytes + plainRunSize(write.entries);
}

/** Encodes the records of a plain entries write straight into `buffer`, as recordsOf would describe them. */
export function encodeEntries(
  buffer: Buffer,
  offset: number,
  group: string,
  groupBytes: number,
  write: EntriesWrite,
  lastIndex: number,
): number {
  let end = offset;
  if (write.from <= lastIndex)
    end = writeNamedRecord(buffer, end, RecordType.truncate, 0, group, groupBytes, write.from, 0, 0, empty);
  const { entries } = write;
  if (entries.length === 0) return end;
  // The run straight into its place in the record, then the name and header around it.
  const start = payloadOffset(end, groupBytes);
  const payloadEnd = writePlainRun(buffer, start, entries);
  const first = entries[0]!.index;
  return writeNamedHeader(
    buffer,
    end,
    RecordType.run,
    group,
    groupBytes,
    first,
    entries.length,
    payloadEnd - start,
  );
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
