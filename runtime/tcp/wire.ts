// Envelopes on the wire: a batch is one msgpackr array. What a peer sends is checked field by
// field before any of it reaches a group, as a raft message is (actors/raft-wire.ts).
import { checkMessage, wirePackr as packr, WireError, wireFields } from '../../actors/index.js';
import type { Envelope, RemoteCall } from '../envelope.js';

export { WireError };

const { fail, record, count, text, name, flag, bytes, names } = wireFields;

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
