// Envelopes on the wire: a batch is one msgpackr array. What a peer sends is checked field by
// field before any of it reaches a group: a proven peer may still run a buggy or newer build,
// and a wrong shape must close its connection, never throw inside the Raft core.
import { Packr } from 'msgpackr';
import { WireError } from '../../actors/index.js';
import type { Config, Entry, Message } from '../../raft/index.js';
import type { Envelope, RemoteCall } from '../envelope.js';

// Binaries are copied out on decode: an entry kept in a log must not pin the whole frame.
const packr = new Packr({ useRecords: false, copyBuffers: true, moreTypes: true });

export { WireError };

export function encodeBatch(envelopes: readonly Envelope[]): Buffer {
  return packr.pack(envelopes);
}

/** The envelopes of a batch; throws WireError on anything that is not one. */
export function decodeBatch(payload: Buffer): Envelope[] {
  let batch: unknown;
  try {
    batch = packr.unpack(payload);
  } catch (error) {
    throw new WireError(`a batch that is not msgpack: ${String(error)}`);
  }
  if (!Array.isArray(batch)) throw new WireError('a batch that is not an array');
  for (const envelope of batch) checkEnvelope(envelope);
  return batch as Envelope[];
}

type Fields = Record<string, unknown>;

function fail(what: string): never {
  throw new WireError(what);
}

function record(value: unknown, what: string): Fields {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(`${what} is not a map`);
  return value as Fields;
}

function count(value: unknown, what: string): number {
  if (!Number.isSafeInteger(value) || (value as number) < 0) fail(`${what} is not a count`);
  return value as number;
}

function text(value: unknown, what: string): string {
  if (typeof value !== 'string') fail(`${what} is not a string`);
  return value;
}

function name(value: unknown, what: string): string {
  const given = text(value, what);
  if (given === '' || given.length > 1024) fail(`${what} is not a name`);
  return given;
}

function flag(value: unknown, what: string): boolean {
  if (typeof value !== 'boolean') fail(`${what} is not a boolean`);
  return value;
}

function bytes(value: unknown, what: string): Uint8Array {
  if (!(value instanceof Uint8Array)) fail(`${what} is not binary`);
  return value;
}

function names(value: unknown, what: string): string[] {
  if (!Array.isArray(value)) fail(`${what} is not a list`);
  for (const item of value) name(item, what);
  return value as string[];
}

function checkConfig(value: unknown, what: string): Config {
  const config = record(value, what);
  names(config.voters, `${what} voters`);
  names(config.nonVoters, `${what} non-voters`);
  names(config.promote, `${what} promotions`);
  return config as unknown as Config;
}

function checkEntries(value: unknown, prevIndex: number): Entry[] {
  if (!Array.isArray(value)) fail('append entries are not a list');
  value.forEach((item, position) => {
    const entry = record(item, 'an entry');
    if (count(entry.index, 'an entry index') !== prevIndex + 1 + position)
      fail('append entries out of order');
    count(entry.term, 'an entry term');
    bytes(entry.data, 'entry data');
    if (typeof entry.time !== 'number') fail('an entry time is not a number');
    if (entry.kind === 'config') checkConfig(entry.config, 'an entry config');
    else if (entry.kind !== 'command' && entry.kind !== 'noop') fail('an entry of no known kind');
    else if (entry.config !== null) fail('a config on an entry that is not one');
  });
  return value as Entry[];
}

export function checkMessage(value: unknown): Message {
  const message = record(value, 'a raft message');
  count(message.term, 'a message term');
  switch (message.type) {
    case 'append':
      count(message.prevTerm, 'prevTerm');
      count(message.commit, 'commit');
      flag(message.probe, 'probe');
      checkEntries(message.entries, count(message.prevIndex, 'prevIndex'));
      break;
    case 'appendResponse':
      flag(message.success, 'success');
      flag(message.stalled, 'stalled');
      for (const field of ['match', 'rejectIndex', 'hintIndex']) count(message[field], field);
      if (message.version !== undefined) count(message.version, 'version');
      break;
    case 'heartbeat':
      count(message.commit, 'commit');
      count(message.seq, 'seq');
      break;
    case 'heartbeatResponse':
      count(message.seq, 'seq');
      count(message.match, 'match');
      if (message.version !== undefined) count(message.version, 'version');
      break;
    case 'vote':
      count(message.lastIndex, 'lastIndex');
      count(message.lastTerm, 'lastTerm');
      flag(message.pre, 'pre');
      flag(message.transfer, 'transfer');
      break;
    case 'voteResponse':
      flag(message.granted, 'granted');
      flag(message.pre, 'pre');
      break;
    case 'snapshot': {
      for (const field of ['index', 'snapshotTerm', 'size', 'offset']) count(message[field], field);
      checkConfig(message.config, 'a snapshot config');
      const chunk = bytes(message.chunk, 'a snapshot chunk');
      if ((message.offset as number) + chunk.byteLength > (message.size as number))
        fail('a snapshot chunk past its size');
      break;
    }
    case 'snapshotResponse':
      count(message.index, 'index');
      count(message.received, 'received');
      flag(message.installed, 'installed');
      break;
    case 'timeoutNow':
    case 'leaderGone':
      break;
    case 'removed':
      count(message.configIndex, 'configIndex');
      name(message.member, 'a removed member');
      break;
    default:
      fail(`a raft message of no known type ${String(message.type)}`);
  }
  return message as unknown as Message;
}

function checkRecord(value: unknown): void {
  const given = record(value, 'a group record');
  name(given.name, 'a group name');
  text(given.module, 'a machine module');
  names(given.members, 'group members');
  flag(given.stopped, 'stopped');
}

function checkCall(value: unknown): RemoteCall {
  const call = record(value, 'a call');
  switch (call.op) {
    case 'prepareMember':
      checkRecord(call.record);
      break;
    case 'createMember':
      checkRecord(call.record);
      if (call.founders !== null) names(call.founders, 'founders');
      name(call.member, 'a member');
      count(call.version, 'a machine version');
      break;
    case 'command':
      name(call.group, 'a group');
      bytes(call.data, 'a command');
      break;
    case 'query':
      name(call.group, 'a group');
      text(call.name, 'a query name');
      if (!['local', 'leader', 'consistent'].includes(call.consistency as string))
        fail('a query consistency');
      break;
    case 'changeMembers': {
      name(call.group, 'a group');
      const change = record(call.change, 'a membership change');
      name(change.node, 'a node');
      if (change.kind === 'add') {
        name(change.member, 'a member');
        flag(change.voter, 'voter');
      } else if (change.kind !== 'remove') fail('a membership change of no known kind');
      break;
    }
    case 'transfer':
      name(call.group, 'a group');
      name(call.target, 'a transfer target');
      break;
    case 'memberChanged':
      name(call.group, 'a group');
      flag(call.up, 'up');
      break;
    case 'overview':
      break;
    case 'status':
    case 'deleteMember':
    case 'campaign':
    case 'members':
    case 'record':
      name(call.group, 'a group');
      break;
    case 'mailbox':
      name(call.mailbox, 'a mailbox');
      break;
    case 'mailboxGone':
      name(call.mailbox, 'a mailbox');
      break;
    default:
      fail(`a call of no known op ${String(call.op)}`);
  }
  return call as unknown as RemoteCall;
}

function checkOutcome(value: unknown): void {
  const outcome = record(value, 'an outcome');
  switch (outcome.kind) {
    case 'ok':
    case 'dropped':
      return;
    case 'notLeader':
      if (outcome.leader !== null) name(outcome.leader, 'a leader');
      return;
    case 'error':
      text(outcome.code, 'an error code');
      text(outcome.message, 'an error message');
      return;
    default:
      fail(`an outcome of no known kind ${String(outcome.kind)}`);
  }
}

function checkEnvelope(value: unknown): void {
  const envelope = record(value, 'an envelope');
  switch (envelope.kind) {
    case 'raft':
      name(envelope.group, 'a group');
      name(envelope.from, 'a sending member');
      checkMessage(envelope.message);
      return;
    case 'call':
      count(envelope.id, 'a call id');
      checkCall(envelope.call);
      return;
    case 'result':
      count(envelope.id, 'a call id');
      checkOutcome(envelope.outcome);
      return;
    default:
      fail(`an envelope of no known kind ${String(envelope.kind)}`);
  }
}
