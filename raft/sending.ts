// Everything a member sends to its peers as leader: appends under per-peer flow control,
// heartbeats, snapshot chunks and notices. The steps that decide to send call these; none of
// them changes anything but the peer's progress.
import type { Member } from './member.js';
import type { Progress } from './progress.js';
import type { Entry, NodeId } from './types.js';

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

export function sendSnapshotChunk(member: Member, peer: NodeId, progress: Progress): void {
  const snapshot = member.log.snapshot;
  if (snapshot === null) return;
  if (progress.snapshotIndex !== snapshot.index) {
    // A newer snapshot replaced the one being sent: start it over.
    progress.snapshotIndex = snapshot.index;
    progress.snapshotOffset = 0;
  }
  const offset = progress.snapshotOffset;
  const end = Math.min(snapshot.data.byteLength, offset + member.options.snapshotChunkBytes);
  progress.snapshotSentAt = member.now;
  member.send(peer, {
    type: 'snapshot',
    term: member.term,
    index: snapshot.index,
    snapshotTerm: snapshot.term,
    config: snapshot.config,
    size: snapshot.data.byteLength,
    offset,
    chunk: snapshot.data.subarray(offset, end),
  });
}

/** Tells the peers of the latest configuration this member no longer leads its term. */
export function announceLeaderGone(member: Member): void {
  const config = member.log.config;
  for (const peer of new Set([...config.voters, ...config.nonVoters, ...member.progress.keys()])) {
    if (peer !== member.id) member.send(peer, { type: 'leaderGone', term: member.term });
  }
}

/** After a commit, followers that hold the entries but not the news of their commit are told. */
export function sendCommitNotices(member: Member): void {
  for (const [peer, progress] of member.progress) {
    if (progress.state === 'replicate' && progress.commitSent < member.commit) sendAppend(member, peer, true);
  }
}

/** Tells `peer` that the committed configuration at `member.log.configIndex` leaves it out. */
export function sendRemoved(member: Member, peer: NodeId): void {
  member.send(peer, {
    type: 'removed',
    term: member.term,
    configIndex: member.log.configIndex,
    member: peer,
  });
}
