// Read-index: a consistent read is served at the commit index the leader had when the read
// arrived, once a quorum has confirmed in a heartbeat round that it is still the leader, and
// only after it has committed an entry of its own term.
import { type Member, noReads, noRounds } from './member.js';
import { hasQuorum } from './quorum.js';
import { broadcastHeartbeat } from './sending.js';

export function handleRead(member: Member, ids: readonly number[]): void {
  if (ids.length === 0) return;
  if (member.role !== 'leader') {
    member.outputs.push({ type: 'readRejected', ids, leader: member.leader });
    return;
  }
  if (member.commit < member.termStartIndex) {
    if (member.readsAwaitingCommit === noReads) member.readsAwaitingCommit = [];
    member.readsAwaitingCommit.push(...ids);
    return;
  }
  startRound(member, ids);
}

function startRound(member: Member, ids: readonly number[]): void {
  member.heartbeatSeq += 1;
  if (member.readRounds === noRounds) member.readRounds = [];
  member.readRounds.push({ seq: member.heartbeatSeq, index: member.commit, ids });
  broadcastHeartbeat(member, true);
  confirmReads(member);
}

export function startReadsAwaitingCommit(member: Member): void {
  if (member.readsAwaitingCommit.length === 0 || member.commit < member.termStartIndex) return;
  const ids = member.readsAwaitingCommit;
  member.readsAwaitingCommit = noReads;
  startRound(member, ids);
}

/** Serves, in order, every round a quorum of voters has echoed. */
export function confirmReads(member: Member): void {
  if (member.role !== 'leader') return;
  while (member.readRounds.length > 0) {
    const round = member.readRounds[0]!;
    const confirmed = hasQuorum(member.log.config, (node) =>
      node === member.id ? true : (member.progress.get(node)?.ackedSeq ?? 0) >= round.seq,
    );
    if (!confirmed) return;
    member.readRounds.shift();
    member.outputs.push({ type: 'readReady', ids: round.ids, index: round.index });
  }
  if (member.readRounds.length === 0) member.readRounds = noRounds;
}
