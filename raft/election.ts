// Answering vote requests (pre-votes and real ones) and counting the answers.
import { canCampaign, type Member } from './member.js';
import { leaderVouchedFor } from './quiescence.js';
import { campaign, tallyVotes } from './roles.js';
import type { Message, NodeId } from './types.js';

/**
 * Check-quorum's lease: while a leader was heard recently, vote requests are ignored. A leader
 * holds the lease itself until check-quorum retires it.
 */
export function inLeaderLease(member: Member): boolean {
  if (!member.options.checkQuorum) return false;
  if (member.role === 'leader') return true;
  // A quiet follower hears nothing from a healthy leader: the failure detector vouches for it.
  if (member.options.quiesce) return leaderVouchedFor(member);
  return member.leader !== null && member.now - member.leaderContactAt < member.options.electionTimeout;
}

export function handleVoteRequest(
  member: Member,
  from: NodeId,
  message: Extract<Message, { type: 'vote' }>,
): void {
  const upToDate = member.log.isUpToDate(message.lastIndex, message.lastTerm);
  if (message.pre) {
    // A pre-vote changes nothing here: it only asks whether a real election could win.
    const granted = !member.stalled && message.term > member.term && upToDate;
    member.send(from, {
      type: 'voteResponse',
      term: granted ? message.term : member.term,
      granted,
      pre: true,
    });
    return;
  }
  const free = member.vote === from || (member.vote === null && member.leader === null);
  const granted = !member.stalled && message.term === member.term && free && upToDate;
  if (granted && member.vote !== from) {
    member.vote = from;
    member.persistTermAndVote();
  }
  if (granted) member.resetElectionDeadline();
  member.send(from, { type: 'voteResponse', term: member.term, granted, pre: false }, true);
}

export function handleVoteResponse(
  member: Member,
  from: NodeId,
  message: Extract<Message, { type: 'voteResponse' }>,
): void {
  const expected = message.pre ? 'preCandidate' : 'candidate';
  const term = message.pre ? member.term + 1 : member.term;
  if (member.role !== expected) return;
  // A grant counts only for this round's term; a real rejection only from this term.
  if (message.granted ? message.term !== term : !message.pre && message.term !== member.term) return;
  if (!member.votes.has(from)) member.votes.set(from, message.granted);
  tallyVotes(member);
}

export function handleTimeoutNow(member: Member, from: NodeId): void {
  if (member.leader === from && canCampaign(member)) campaign(member, true);
}
