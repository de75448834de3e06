// Quiescence (the `quiesce` option): an idle group sends nothing and arms no timer. A leader
// goes quiet once every live follower holds and has committed everything; a follower stays
// quiet while its leader's node is alive. The host's failure detector stands in for the
// heartbeats: peerDown starts an election (after the usual randomised timeout, so the groups
// of a lost node do not all campaign in the same millisecond) and peerUp makes a leader probe
// the returning peer.
import { type Member, noPeers } from './member.js';
import { hasQuorum, isVoter } from './quorum.js';
import { becomeFollower } from './roles.js';
import { sendHeartbeat } from './sending.js';
import type { NodeId } from './types.js';

/**
 * Whether a follower may take its leader's silence for health: the failure detector reports the
 * leader's node up, and its configuration still names the leader a voter (a leader that removed
 * itself falls silent for good while its node, and the detector's news of it, stay up).
 */
export function leaderVouchedFor(member: Member): boolean {
  return (
    member.leader !== null &&
    !member.downPeers.has(member.leader) &&
    isVoter(member.log.config, member.leader)
  );
}

export function isQuiet(member: Member): boolean {
  if (!member.options.quiesce) return false;
  if (member.role === 'follower') return leaderVouchedFor(member);
  if (member.role !== 'leader') return false;
  if (member.transfer !== null || member.readRounds.length > 0 || member.readsAwaitingCommit.length > 0)
    return false;
  const last = member.log.lastIndex;
  if (member.commit !== last || member.durableIndex < last) return false;
  for (const [peer, progress] of member.progress) {
    if (member.downPeers.has(peer)) continue;
    const caughtUp =
      progress.state === 'replicate' &&
      progress.match === last &&
      progress.inflightLast.length === 0 &&
      progress.commitSent >= member.commit;
    if (!caughtUp) return false;
  }
  return true;
}

export function handlePeerDown(member: Member, node: NodeId): void {
  if (!member.options.quiesce || node === member.id) return;
  if (member.downPeers === noPeers) member.downPeers = new Set();
  member.downPeers.add(node);
  if (member.role === 'follower' && member.leader === node) {
    becomeFollower(member, member.term, null);
    member.electionDeadline = member.now + failoverDelay(member);
  } else if (member.role === 'leader') {
    const reachable = hasQuorum(
      member.log.config,
      (peer) => peer === member.id || !member.downPeers.has(peer),
    );
    if (!reachable) becomeFollower(member, member.term, null);
  }
}

/**
 * How long a follower whose leader's node was lost waits to campaign. The detector has already
 * waited out the silence, so there is no full election timeout: the surviving voters take turns
 * of half an election timeout each, in an order both compute from the term so that the groups
 * of a lost node split their new leaders between the survivors. Each stands at a random moment
 * in the first half of its turn, which keeps thousands of groups from campaigning in the same
 * millisecond and leaves the second half clear: one survivor's election has a quarter of an
 * election timeout to finish before the next may start, so the two do not split the vote.
 */
function failoverDelay(member: Member): number {
  const window = Math.floor(member.options.electionTimeout / 2);
  const survivors = member.log.config.voters.filter((voter) => !member.downPeers.has(voter)).sort();
  const position = survivors.indexOf(member.id);
  if (position < 0) return member.electionDeadline - member.now;
  const turn = (position + member.term) % survivors.length;
  return turn * window + Math.floor(member.random() * (window / 2));
}

export function handlePeerUp(member: Member, node: NodeId): void {
  if (!member.options.quiesce || !member.downPeers.delete(node)) return;
  if (member.role === 'leader') sendHeartbeat(member, node);
}

/** A quiet leader's timers are stale when work arrives: it starts them afresh. */
export function wake(member: Member): void {
  if (member.role !== 'leader') return;
  member.heartbeatDeadline = member.now + member.heartbeatPeriod;
  member.checkQuorumDeadline = member.nextQuorumCheck();
  for (const progress of member.progress.values()) progress.recentActive = false;
}
