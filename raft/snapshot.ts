// Snapshots: taking one locally at a release cursor (the log behind it is dropped), sending
// one to a peer in chunks, and receiving one chunk by chunk so a restart resumes it.
import { invariant } from './assert.js';
import type { Member } from './member.js';
import { sendAppend, sendSnapshotChunk } from './sending.js';
import type { Message, NodeId, PartialSnapshot, Snapshot } from './types.js';

/** The host's machine state at `index` (already applied) becomes the log's base. */
export function takeSnapshot(member: Member, index: number, data: Uint8Array): void {
  const log = member.log;
  if (member.stalled || index <= log.snapshotIndex) return;
  invariant(index <= member.applied, `snapshot at ${index} beyond applied ${member.applied}`);
  const snapshot: Snapshot = { index, term: log.termAt(index), config: log.configAt(index), data };
  log.compact(snapshot);
  member.persist({ kind: 'snapshot', snapshot, keepLaterEntries: true });
}

export function handleSnapshotResponse(
  member: Member,
  from: NodeId,
  message: Extract<Message, { type: 'snapshotResponse' }>,
): void {
  const progress = member.progress.get(from);
  if (progress === undefined) return;
  progress.recentActive = true;
  if (message.installed) {
    if (message.index > progress.match) progress.match = message.index;
    if (progress.state === 'snapshot' && message.index >= progress.snapshotIndex) {
      progress.becomeProbe(member.now);
      sendAppend(member, from, true);
    }
    return;
  }
  if (progress.state !== 'snapshot' || message.index !== progress.snapshotIndex) return;
  if (message.received !== progress.snapshotOffset) {
    progress.snapshotOffset = message.received;
    progress.lastProgressAt = member.now;
  }
  sendSnapshotChunk(member, from, progress);
}

export function handleSnapshotChunk(
  member: Member,
  from: NodeId,
  message: Extract<Message, { type: 'snapshot' }>,
): void {
  if (!member.stalled && message.index <= member.commit) {
    // Everything in it is already committed here.
    replySnapshot(member, from, message.index, message.size, true);
    return;
  }
  let partial = member.partial;
  if (partial === null || partial.index !== message.index || partial.term !== message.snapshotTerm) {
    if (message.offset !== 0) {
      replySnapshot(member, from, message.index, 0, false);
      return;
    }
    partial = {
      index: message.index,
      term: message.snapshotTerm,
      config: message.config,
      size: message.size,
      chunks: [],
      received: 0,
    };
  }
  if (message.offset !== partial.received) {
    replySnapshot(member, from, message.index, partial.received, false);
    return;
  }
  partial = {
    ...partial,
    chunks: [...partial.chunks, message.chunk],
    received: partial.received + message.chunk.byteLength,
  };
  invariant(partial.received <= partial.size, 'snapshot chunks exceed the announced size');
  if (partial.received < partial.size) {
    member.partial = partial;
    member.persist({
      kind: 'chunk',
      index: partial.index,
      term: partial.term,
      config: partial.config,
      size: partial.size,
      offset: message.offset,
      data: message.chunk,
    });
    replySnapshot(member, from, partial.index, partial.received, false);
    return;
  }
  install(member, partial);
  replySnapshot(member, from, partial.index, partial.size, true);
}

function install(member: Member, partial: PartialSnapshot): void {
  const data = new Uint8Array(partial.size);
  let offset = 0;
  for (const chunk of partial.chunks) {
    data.set(chunk, offset);
    offset += chunk.byteLength;
  }
  const snapshot: Snapshot = { index: partial.index, term: partial.term, config: partial.config, data };
  const log = member.log;
  const wasStalled = member.stalled;
  member.partial = null;
  if (!member.stalled && log.termAt(snapshot.index) === snapshot.term) {
    // Entries after the snapshot match the leader (and may have been acknowledged): keep them.
    log.compact(snapshot);
    member.persist({ kind: 'snapshot', snapshot, keepLaterEntries: true });
  } else {
    // One write, so a crash cannot leave the new snapshot followed by the old, divergent tail.
    member.forgetFrom(Math.min(member.commit, log.lastIndex) + 1);
    log.install(snapshot);
    member.persistSnapshotInstall(snapshot);
  }
  if (snapshot.index > member.matched) member.matched = snapshot.index;
  // Not written: a restart takes the commit to be at least the stored snapshot's index.
  if (snapshot.index > member.commit) member.commit = snapshot.index;
  if (member.applied < snapshot.index || wasStalled) {
    member.outputs.push({ type: 'restore', snapshot });
    member.applied = snapshot.index;
  }
}

function replySnapshot(
  member: Member,
  to: NodeId,
  index: number,
  received: number,
  installed: boolean,
): void {
  // Progress is reported only once the chunks it covers are durable.
  member.send(to, { type: 'snapshotResponse', term: member.term, index, received, installed }, true);
}
