// The leader's side of log replication: pipelined appends under per-peer flow control,
// responses that move a peer forward or send it back to probing, heartbeats, and commit.
import type { Member } from './member.js';
import { forgetRemovedPeers, markRemoved, promoteCaughtUp } from './membership.js';
import type { Progress } from './progress.js';
import { isMember, quorumIndex } from './quorum.js';
import { confirmReads, startReadsAwaitingCommit } from './read-index.js';
import { becomeFollower } from './roles.js';
import { sendSnapshotChunk } from './snapshot.js';
import { maybeSendTimeoutNow } from './transfer.js';
import type { Entry, Message, NodeId } from './types.js';

/** Sends what the peer's window allows; `allowEmpty` sends an append even with no entries (probe, commit). */
export function sendAppend(member: Member, peer: NodeId, allowEmpty: boolean): void {
  const progress = member.progress.get(peer);
  if (progress === undefined) return;
  const options = member.options;
  for (;;) {
    if (progress.state === 'snapshot') return;
    if (progress.state === 'probe' && progress.probeSent) return;
    if (
      progress.state === 'replicate' &&
      progress.windowFull(options.maxInflightMessages, options.maxInflightBytes)
    ) {
      return;
    }
    const prevIndex = progress.next - 1;
    const prevTerm = member.log.termAt(prevIndex);
    if (prevTerm < 0) {
      // The entries this peer needs were compacted into the snapshot.
      progress.becomeSnapshot(member.log.snapshotIndex, member.now);
      sendSnapshotChunk(member, peer, progress);
      return;
    }
    const entries: Entry[] =
      progress.next <= member.log.lastIndex
        ? member.log.slice(progress.next, options.maxEntriesPerMessage, options.maxBytesPerMessage)
        : [];
    if (entries.length === 0 && !allowEmpty) return;
    member.send(peer, {
      type: 'append',
      term: member.term,
      prevIndex,
      prevTerm,
      entries,
      commit: member.commit,
      probe: progress.state === 'probe',
    });
    progress.commitSent = member.commit;
    if (progress.state === 'probe') {
      progress.probeSent = true;
      return;
    }
    if (entries.length === 0) return;
    let bytes = 0;
    for (const entry of entries) bytes += entry.data.byteLength;
    const last = entries[entries.length - 1]!.index;
    progress.recordSent(last, bytes);
    progress.next = last + 1;
    allowEmpty = false;
  }
}

export function broadcastAppend(member: Member): void {
  for (const peer of member.progress.keys()) sendAppend(member, peer, false);
}

/** Heartbeats carry the commit (capped at what the peer holds) and the read-index sequence. */
export function broadcastHeartbeat(member: Member, votersOnly: boolean): void {
  for (const peer of member.progress.keys()) {
    if (votersOnly && !member.log.config.voters.includes(peer)) continue;
    sendHeartbeat(member, peer);
  }
}

export function sendHeartbeat(member: Member, peer: NodeId): void {
  const progress = member.progress.get(peer);
  if (progress === undefined) return;
  member.send(peer, {
    type: 'heartbeat',
    term: member.term,
    commit: Math.min(progress.match, member.commit),
    seq: member.heartbeatSeq,
  });
}

export function handleAppendResponse(
  member: Member,
  from: NodeId,
  message: Extract<Message, { type: 'appendResponse' }>,
): void {
  const progress = member.progress.get(from);
  if (progress === undefined) return;
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
    return;
  }
  progress.heardAt = member.now;
  if (!message.success) {
    handleRejection(member, from, progress, message.rejectIndex, message.hintIndex);
    return;
  }
  if (progress.state === 'snapshot') return;
  if (message.match > progress.match) {
    progress.match = message.match;
    progress.lastProgressAt = member.now;
    progress.acknowledge(message.match);
  }
  if (progress.state === 'probe') progress.becomeReplicate();
  progress.next = Math.max(progress.next, progress.match + 1);
  maybeCommit(member);
  if (member.role !== 'leader') return;
  promoteCaughtUp(member);
  maybeSendTimeoutNow(member, from);
  sendAppend(member, from, progress.commitSent < member.commit);
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

/** Commits the highest index a quorum holds durably, but only an entry of the current term (Figure 8). */
export function maybeCommit(member: Member): void {
  if (member.role !== 'leader') return;
  const config = member.log.config;
  const index = quorumIndex(config, (node) =>
    node === member.id ? member.durableIndex : (member.progress.get(node)?.match ?? 0),
  );
  if (index <= member.commit || member.log.termAt(index) !== member.term) return;
  advanceCommit(member, index);
  startReadsAwaitingCommit(member);
  confirmReads(member);
  if (member.log.configIndex <= member.commit && !config.voters.includes(member.id)) {
    // This leader's removal is committed: it leaves, and the remaining voters elect a successor.
    // Its own log is the group's: it knows, as nobody else could tell it, that it is out.
    becomeFollower(member, member.term, null);
    if (!isMember(config, member.id)) markRemoved(member);
    return;
  }
  for (const [peer, progress] of member.progress) {
    if (progress.state === 'replicate' && progress.commitSent < member.commit) sendAppend(member, peer, true);
  }
  forgetRemovedPeers(member);
}

/** Moves the commit index, persists it and hands the newly committed entries to the host. */
export function advanceCommit(member: Member, index: number): void {
  member.commit = index;
  member.persistState(false);
  emitApply(member);
}

export function emitApply(member: Member): void {
  if (member.applied >= member.commit) return;
  member.outputs.push({ type: 'apply', entries: member.log.range(member.applied + 1, member.commit) });
  member.applied = member.commit;
}
