// The follower's side of replication: accept or reject appends, truncate a conflicting
// suffix, learn the commit index, and acknowledge only what is durable.
import { invariant } from './assert.js';
import { advanceCommit } from './commit.js';
import type { Member } from './member.js';
import type { Entry, Message, NodeId } from './types.js';

export function handleAppend(
  member: Member,
  from: NodeId,
  message: Extract<Message, { type: 'append' }>,
): void {
  if (member.stalled) {
    replyStalled(member, from);
    return;
  }
  const log = member.log;
  let prevIndex = message.prevIndex;
  let entries: readonly Entry[] = message.entries;
  if (prevIndex < log.snapshotIndex) {
    // Our snapshot already covers the start of this message: everything in it is committed.
    const skip = Math.min(entries.length, log.snapshotIndex - prevIndex);
    entries = entries.slice(skip);
    prevIndex += skip;
    if (prevIndex < log.snapshotIndex) {
      acknowledge(member, from, log.snapshotIndex);
      return;
    }
  }
  const prevTerm =
    prevIndex === message.prevIndex
      ? message.prevTerm
      : message.entries[prevIndex - message.prevIndex - 1]!.term;
  if (log.termAt(prevIndex) !== prevTerm) {
    sendAppendResponse(member, from, false, 0, message.prevIndex, rejectionHint(member, prevIndex), false);
    return;
  }
  const firstWritten = appendMatching(member, entries);
  const lastMatching = prevIndex + entries.length;
  if (lastMatching > member.matched) member.matched = lastMatching;
  const commit = Math.min(message.commit, lastMatching);
  if (commit > member.commit) advanceCommit(member, commit);
  if (firstWritten === null && (message.entries.length > 0 || message.probe))
    acknowledge(member, from, Math.min(member.durableIndex, member.matched));
}

/** Appends the entries not already present; truncates at the first conflict. Returns the first index written. */
function appendMatching(member: Member, entries: readonly Entry[]): number | null {
  const log = member.log;
  let position = 0;
  while (position < entries.length) {
    const entry = entries[position]!;
    const existing = log.termAt(entry.index);
    if (existing < 0) break;
    if (existing !== entry.term) {
      invariant(entry.index > member.commit, `conflict at committed index ${entry.index}`);
      log.truncateFrom(entry.index);
      member.forgetFrom(entry.index);
      break;
    }
    position += 1;
  }
  if (position === entries.length) return null;
  const first = entries[position]!.index;
  for (; position < entries.length; position += 1) log.append(entries[position]!);
  member.persistEntries(first);
  return first;
}

/** Where the leader should retry: before the run of the conflicting term, or our end of log. */
function rejectionHint(member: Member, prevIndex: number): number {
  const log = member.log;
  if (prevIndex > log.lastIndex) return log.lastIndex;
  const conflictTerm = log.termAt(prevIndex);
  let index = prevIndex - 1;
  while (index > member.commit && index > log.snapshotIndex && log.termAt(index) === conflictTerm) index -= 1;
  return index;
}

function replyStalled(member: Member, to: NodeId): void {
  sendAppendResponse(member, to, false, 0, 0, 0, true);
}

/** Every append response goes through here; only the durable-ack path sets `success`. */
export function sendAppendResponse(
  member: Member,
  to: NodeId,
  success: boolean,
  match: number,
  rejectIndex: number,
  hintIndex: number,
  stalled: boolean,
): void {
  const response: Message = {
    type: 'appendResponse',
    term: member.term,
    success,
    match,
    rejectIndex,
    hintIndex,
    stalled,
  };
  member.send(to, member.hostVersion > 0 ? { ...response, version: member.hostVersion } : response);
}

function acknowledge(member: Member, to: NodeId, match: number): void {
  sendAppendResponse(member, to, true, match, 0, 0, false);
  if (match > member.ackSent) member.ackSent = match;
}

/** Once new entries are durable, the leader hears how far this member durably matches it. */
export function acknowledgeDurable(member: Member): void {
  if (member.role !== 'follower' || member.leader === null) return;
  const match = Math.min(member.durableIndex, member.matched);
  if (match > member.ackSent) acknowledge(member, member.leader, match);
}

export function handleHeartbeat(
  member: Member,
  from: NodeId,
  message: Extract<Message, { type: 'heartbeat' }>,
): void {
  if (member.stalled) {
    replyStalled(member, from);
    return;
  }
  const commit = Math.min(message.commit, member.log.lastIndex);
  if (commit > member.commit) advanceCommit(member, commit);
  const match = Math.min(member.durableIndex, member.matched);
  const response: Message = { type: 'heartbeatResponse', term: member.term, seq: message.seq, match };
  member.send(from, member.hostVersion > 0 ? { ...response, version: member.hostVersion } : response);
}
