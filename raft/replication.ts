// The leader's side of log replication: responses that move a peer forward or send it back to
// probing, and resending to a peer whose messages went unanswered. Commit is step()'s to call.
import type { Member } from './member.js';
import { promoteCaughtUp } from './membership.js';
import type { Progress } from './progress.js';
import { confirmReads } from './read-index.js';
import { sendAppend, sendSnapshotChunk } from './sending.js';
import { maybeSendTimeoutNow } from './transfer.js';
import type { Message, NodeId } from './types.js';

/** Returns whether the peer acknowledged entries: the leader may then commit, and carry on with it. */
export function handleAppendResponse(
  member: Member,
  from: NodeId,
  message: Extract<Message, { type: 'appendResponse' }>,
): boolean {
  const progress = member.progress.get(from);
  if (progress === undefined) return false;
  progress.recentActive = true;
  if (message.version !== undefined) progress.version = message.version;
  if (message.stalled) {
    // A stalled member answers heartbeats this way too, so this is also where a lost chunk is resent.
    if (progress.state !== 'snapshot') {
      progress.becomeSnapshot(member.log.snapshotIndex, member.now);
      sendSnapshotChunk(member, from, progress);
    } else if (member.now - progress.snapshotSentAt >= member.options.retransmitTimeout) {
      sendSnapshotChunk(member, from, progress);
    }
    return false;
  }
  progress.heardAt = member.now;
  if (!message.success) {
    handleRejection(member, from, progress, message.rejectIndex, message.hintIndex);
    return false;
  }
  if (progress.state === 'snapshot') return false;
  if (message.match > progress.match) {
    progress.match = message.match;
    progress.lastProgressAt = member.now;
    progress.acknowledge(message.match);
  }
  if (progress.state === 'probe') progress.becomeReplicate();
  progress.next = Math.max(progress.next, progress.match + 1);
  return true;
}

/** After an acknowledgement, and the commit it allowed: promote, hand over, send the peer what follows. */
export function continueReplication(member: Member, peer: NodeId): void {
  promoteCaughtUp(member);
  maybeSendTimeoutNow(member, peer);
  const progress = member.progress.get(peer);
  if (progress !== undefined) sendAppend(member, peer, progress.commitSent < member.commit);
}

function handleRejection(
  member: Member,
  peer: NodeId,
  progress: Progress,
  rejectIndex: number,
  hintIndex: number,
): void {
  // A rejection of an append sent before the latest probe or below the known match is stale.
  if (progress.state === 'replicate' && rejectIndex <= progress.match) return;
  if (progress.state === 'probe' && rejectIndex !== progress.next - 1) return;
  if (progress.state === 'snapshot') return;
  progress.becomeProbe(member.now);
  progress.next = Math.max(progress.match + 1, Math.min(rejectIndex, hintIndex + 1));
  sendAppend(member, peer, true);
}

export function handleHeartbeatResponse(
  member: Member,
  from: NodeId,
  message: Extract<Message, { type: 'heartbeatResponse' }>,
): void {
  const progress = member.progress.get(from);
  if (progress === undefined) return;
  progress.recentActive = true;
  progress.heardAt = member.now;
  if (message.version !== undefined) progress.version = message.version;
  if (message.seq > progress.ackedSeq) progress.ackedSeq = message.seq;
  confirmReads(member);
  retransmitIfStuck(member, from, progress);
}

/** Resends to a peer whose appends or snapshot chunks went unanswered (lost or dropped). */
function retransmitIfStuck(member: Member, peer: NodeId, progress: Progress): void {
  const silentFor = member.now - progress.lastProgressAt;
  const timeout = member.options.retransmitTimeout;
  switch (progress.state) {
    case 'probe':
      progress.probeSent = false;
      if (progress.match < member.log.lastIndex) sendAppend(member, peer, true);
      return;
    case 'replicate':
      if (progress.inflightLast.length > 0 && silentFor >= timeout) {
        progress.becomeProbe(member.now);
        sendAppend(member, peer, true);
      } else if (progress.match < member.log.lastIndex) {
        sendAppend(member, peer, false);
      }
      return;
    case 'snapshot':
      if (member.now - progress.snapshotSentAt >= timeout) sendSnapshotChunk(member, peer, progress);
      return;
    default: {
      const exhausted: never = progress.state;
      throw new Error(`unknown progress state ${exhausted}`);
    }
  }
}
