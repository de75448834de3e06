// Role transitions: follower, pre-candidate, candidate, leader, and what each entry and exit
// must do (persist term and vote, reset leader state, fail reads that can no longer be served).

import { noData } from './log.js';
import { type Member, noProgress, noReads, noRounds, noVotes } from './member.js';
import { Progress } from './progress.js';
import { quorumSize } from './quorum.js';
import { announceLeaderGone, broadcastAppend } from './sending.js';
import type { NodeId } from './types.js';

function announce(member: Member): void {
  member.outputs.push({ type: 'role', role: member.role, term: member.term, leader: member.leader });
}

export function becomeFollower(member: Member, term: number, leader: NodeId | null): void {
  const termChanged = term > member.term;
  const previousRole = member.role;
  const previousLeader = member.leader;
  if (termChanged) {
    member.term = term;
    member.vote = null;
    member.persistTermAndVote();
  }
  if (previousRole === 'leader') {
    // Quiet followers would wait on a leader that stepped down of its own accord forever.
    if (!termChanged && member.options.quiesce) announceLeaderGone(member);
    leaveLeadership(member, termChanged);
  }
  member.role = 'follower';
  member.leader = leader;
  if (termChanged || leader !== previousLeader) {
    member.matched = 0;
    member.ackSent = 0;
  }
  member.votes = noVotes;
  member.resetElectionDeadline();
  if (previousRole !== 'follower' || leader !== previousLeader || termChanged) announce(member);
}

function leaveLeadership(member: Member, deposedByHigherTerm: boolean): void {
  const ids: number[] = [...member.readsAwaitingCommit];
  for (const round of member.readRounds) ids.push(...round.ids);
  if (ids.length > 0) member.outputs.push({ type: 'readRejected', ids, leader: null });
  member.readRounds = noRounds;
  member.readsAwaitingCommit = noReads;
  if (member.transfer !== null) {
    // Stepping down for a higher term during a transfer is the transfer taking effect.
    member.outputs.push({ type: 'transferred', id: member.transfer.id, ok: deposedByHigherTerm });
    member.transfer = null;
  }
  member.progress = noProgress;
}

/** Starts an election: a pre-vote round first when enabled, unless a transfer asked for it. */
export function campaign(member: Member, transfer: boolean): void {
  if (member.options.preVote && !transfer) {
    member.role = 'preCandidate';
    member.leader = null;
    member.votes = new Map([[member.id, true]]);
    member.resetElectionDeadline();
    announce(member);
    if (!tallyVotes(member)) requestVotes(member, true, false);
    return;
  }
  becomeCandidate(member, transfer);
}

export function becomeCandidate(member: Member, transfer: boolean): void {
  if (member.role === 'leader') leaveLeadership(member, false);
  member.role = 'candidate';
  member.term += 1;
  member.vote = member.id;
  member.leader = null;
  member.persistTermAndVote();
  member.votes = new Map([[member.id, true]]);
  member.resetElectionDeadline();
  announce(member);
  if (!tallyVotes(member)) requestVotes(member, false, transfer);
}

function requestVotes(member: Member, pre: boolean, transfer: boolean): void {
  const message = {
    type: 'vote' as const,
    term: pre ? member.term + 1 : member.term,
    lastIndex: member.log.lastIndex,
    lastTerm: member.log.lastTerm,
    pre,
    transfer,
  };
  for (const voter of member.log.config.voters) {
    if (voter !== member.id) member.send(voter, message, !pre);
  }
}

/** Counts the votes of this round; acts on a decided outcome and says whether it did. */
export function tallyVotes(member: Member): boolean {
  const voters = member.log.config.voters;
  const needed = quorumSize(voters.length);
  let granted = 0;
  let rejected = 0;
  for (const voter of voters) {
    const vote = member.votes.get(voter);
    if (vote === true) granted += 1;
    else if (vote === false) rejected += 1;
  }
  if (granted >= needed) {
    if (member.role === 'preCandidate') becomeCandidate(member, false);
    else becomeLeader(member);
    return true;
  }
  if (rejected >= needed) {
    becomeFollower(member, member.term, null);
    return true;
  }
  return false;
}

export function becomeLeader(member: Member): void {
  member.role = 'leader';
  member.leader = member.id;
  member.votes = noVotes;
  member.progress = new Map();
  const config = member.log.config;
  for (const peer of [...config.voters, ...config.nonVoters]) {
    if (peer !== member.id) member.progress.set(peer, new Progress(member.log.lastIndex + 1, member.now));
  }
  member.heartbeatSeq = 0;
  member.readRounds = noRounds;
  member.readsAwaitingCommit = noReads;
  member.transfer = null;
  member.heartbeatDeadline = member.now + member.heartbeatPeriod;
  member.checkQuorumDeadline = member.nextQuorumCheck();
  announce(member);
  // An entry of its own term lets the leader learn what is committed (and is what read-index
  // and membership changes wait for).
  member.log.append({
    index: member.log.lastIndex + 1,
    term: member.term,
    kind: 'noop',
    data: noData,
    config: null,
    time: member.now,
  });
  member.termStartIndex = member.log.lastIndex;
  member.persistEntries(member.termStartIndex);
  broadcastAppend(member);
}
