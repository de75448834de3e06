// The one entry point: step(member, now, input) advances a member and returns what the host
// must do. Time comes in as `now`; nothing here reads a clock or performs I/O.

import { commitAtQuorum, emitApply } from './commit.js';
import { handleTimeoutNow, handleVoteRequest, handleVoteResponse, inLeaderLease } from './election.js';
import { acknowledgeDurable, handleAppend, handleHeartbeat, sendAppendResponse } from './follower.js';
import { canCampaign, type Member, noOutputs } from './member.js';
import {
  answerNonMember,
  forgetRemovedPeers,
  handleChangeMembers,
  leaveIfRemoved,
  markRemoved,
  removedByNotice,
} from './membership.js';
import { handlePeerDown, handlePeerUp, isQuiet, wake } from './quiescence.js';
import { hasQuorum } from './quorum.js';
import { confirmReads, handleRead, startReadsAwaitingCommit } from './read-index.js';
import { continueReplication, handleAppendResponse, handleHeartbeatResponse } from './replication.js';
import { becomeFollower, campaign } from './roles.js';
import {
  announceLeaderGone,
  broadcastAppend,
  broadcastHeartbeat,
  sendCommitNotices,
  sendHeartbeat,
} from './sending.js';
import { handleSnapshotChunk, handleSnapshotResponse, takeSnapshot } from './snapshot.js';
import { expireTransfer, handleTransfer } from './transfer.js';
import type { Entry, Input, Message, NodeId, Output, Proposal } from './types.js';

export function step(member: Member, now: number, input: Input): Output[] {
  if (now > member.now) member.now = now;
  member.outputs = [];
  switch (input.type) {
    case 'start':
      start(member);
      break;
    case 'timeout':
      onTimeout(member);
      break;
    case 'campaign':
      if (member.role === 'follower' && member.leader === null && canCampaign(member))
        campaign(member, false);
      break;
    case 'message':
      receive(member, input.from, input.message);
      break;
    case 'propose':
      propose(member, input.proposals);
      break;
    case 'read':
      handleRead(member, input.ids);
      break;
    case 'changeMembers':
      handleChangeMembers(member, input.id, input.change);
      break;
    case 'transfer':
      handleTransfer(member, input.id, input.target);
      break;
    case 'durable':
      if (member.markDurable(input.seq)) {
        if (member.role === 'leader') commitAndFollowUp(member);
        else acknowledgeDurable(member);
      }
      break;
    case 'snapshot':
      takeSnapshot(member, input.index, input.data);
      break;
    case 'peerDown':
      handlePeerDown(member, input.node);
      break;
    case 'peerUp':
      handlePeerUp(member, input.node);
      break;
    case 'hostStatus':
      member.hostVersion = input.version;
      member.eligible = input.eligible;
      // A leader whose host cannot carry on leading hands the group to the others.
      if (!input.eligible && member.role === 'leader') becomeFollower(member, member.term, null);
      break;
    default: {
      const exhausted: never = input;
      throw new Error(`unknown input ${JSON.stringify(exhausted)}`);
    }
  }
  const wasQuiet = member.quiet;
  member.quiet = isQuiet(member);
  if (wasQuiet && !member.quiet) wake(member);
  const deadline = member.nextDeadline();
  if (deadline !== member.timerArmedAt) {
    member.timerArmedAt = deadline;
    member.outputs.push({ type: 'timer', at: deadline });
  }
  const outputs = member.outputs;
  member.outputs = noOutputs;
  return outputs;
}

/** A leader commits what a durable quorum holds, then does, in this order, what the commit allows. */
function commitAndFollowUp(member: Member): void {
  if (!commitAtQuorum(member)) return;
  startReadsAwaitingCommit(member);
  confirmReads(member);
  if (leaveIfRemoved(member)) return;
  sendCommitNotices(member);
  forgetRemovedPeers(member);
}

/** After a (re)start the host restores the snapshot and re-applies the committed entries. */
function start(member: Member): void {
  const snapshot = member.log.snapshot;
  if (snapshot !== null) member.outputs.push({ type: 'restore', snapshot });
  emitApply(member);
  member.resetElectionDeadline();
  member.outputs.push({ type: 'role', role: member.role, term: member.term, leader: member.leader });
}

function onTimeout(member: Member): void {
  const now = member.now;
  if (member.role !== 'leader') {
    if (now < member.electionDeadline) return;
    if (canCampaign(member)) campaign(member, false);
    else if (member.options.quiesce && member.role === 'follower' && member.leader === null) {
      // A member that led and cannot campaign (it removed itself) repeats its notice, in case it was lost.
      if (member.term > 0 && member.vote === member.id) announceLeaderGone(member);
      member.resetElectionDeadline();
    }
    return;
  }
  if (now >= member.checkQuorumDeadline) {
    member.checkQuorumDeadline = member.nextQuorumCheck();
    if (member.options.checkQuorum && !recentQuorum(member)) {
      becomeFollower(member, member.term, null);
      return;
    }
  }
  expireTransfer(member);
  if (now >= member.heartbeatDeadline) {
    member.heartbeatDeadline = now + member.heartbeatPeriod;
    broadcastHeartbeat(member, false);
  }
}

/** Whether a quorum answered since the last check; resets the marks for the next round. */
function recentQuorum(member: Member): boolean {
  const active = hasQuorum(member.log.config, (node) =>
    node === member.id ? true : member.progress.get(node)?.recentActive === true,
  );
  for (const progress of member.progress.values()) progress.recentActive = false;
  return active;
}

function receive(member: Member, from: NodeId, message: Message): void {
  // A vote of an earlier term is answered as stale, below; the stale member learns the term first.
  if (message.type === 'vote' && message.term >= member.term && answerNonMember(member, from)) return;
  // A vote request from our own leader means it leads no more (quiet followers hear nothing else).
  if (
    message.type === 'vote' &&
    member.options.quiesce &&
    member.role === 'follower' &&
    member.leader === from
  )
    becomeFollower(member, member.term, null);
  if (message.term > member.term) {
    if (message.type === 'vote') {
      // Within a leader's lease a vote request is ignored outright, so a rejoining member with an
      // inflated term cannot depose a healthy leader.
      if (!message.transfer && inLeaderLease(member)) {
        // A quiet leader may be news to a member that restarted: tell it who leads.
        if (member.role === 'leader' && member.options.quiesce) sendHeartbeat(member, from);
        return;
      }
      if (!message.pre) {
        const wasFollower = member.role === 'follower';
        const deadline = member.electionDeadline;
        becomeFollower(member, message.term, null);
        // The election timer restarts on granting a vote, not on refusing one: a follower more
        // up to date than this candidate keeps its own moment to stand, rather than waiting a
        // whole new timeout while nobody else can win.
        const refuses = !member.log.isUpToDate(message.lastIndex, message.lastTerm);
        if (wasFollower && refuses && deadline > member.now) member.electionDeadline = deadline;
      }
    } else if (message.type === 'voteResponse' && message.pre && message.granted) {
      // A pre-vote grant names the term we would campaign in; nothing to adopt.
    } else {
      const fromLeader =
        message.type === 'append' || message.type === 'heartbeat' || message.type === 'snapshot';
      becomeFollower(member, message.term, fromLeader ? from : null);
    }
  } else if (message.term < member.term) {
    member.staleMessages += 1;
    answerStale(member, from, message);
    return;
  }
  dispatch(member, from, message);
}

/** A stale leader learns the newer term from the rejection; a stale pre-candidate from the refusal. */
function answerStale(member: Member, from: NodeId, message: Message): void {
  if (message.type === 'append' || message.type === 'heartbeat' || message.type === 'snapshot') {
    sendAppendResponse(member, from, false, 0, 0, 0, false);
  } else if (message.type === 'vote' && message.pre) {
    member.send(from, { type: 'voteResponse', term: member.term, granted: false, pre: true });
  }
}

function dispatch(member: Member, from: NodeId, message: Message): void {
  switch (message.type) {
    case 'append':
    case 'heartbeat':
    case 'snapshot':
      if (member.role !== 'follower' || member.leader !== from) becomeFollower(member, member.term, from);
      member.leaderContactAt = member.now;
      member.resetElectionDeadline();
      if (message.type === 'append') handleAppend(member, from, message);
      else if (message.type === 'heartbeat') handleHeartbeat(member, from, message);
      else handleSnapshotChunk(member, from, message);
      return;
    case 'appendResponse':
      if (member.role === 'leader' && handleAppendResponse(member, from, message)) {
        commitAndFollowUp(member);
        if (member.role === 'leader') continueReplication(member, from);
      }
      return;
    case 'heartbeatResponse':
      if (member.role === 'leader') handleHeartbeatResponse(member, from, message);
      return;
    case 'snapshotResponse':
      if (member.role === 'leader') handleSnapshotResponse(member, from, message);
      return;
    case 'vote':
      handleVoteRequest(member, from, message);
      return;
    case 'voteResponse':
      handleVoteResponse(member, from, message);
      return;
    case 'timeoutNow':
      handleTimeoutNow(member, from);
      return;
    case 'leaderGone':
      if (member.role === 'follower' && member.leader === from) becomeFollower(member, member.term, null);
      return;
    case 'removed':
      // The leader's committed configuration, at least as late as ours, leaves us out.
      if (removedByNotice(member, message.configIndex, message.member)) markRemoved(member);
      return;
    default: {
      const exhausted: never = message;
      throw new Error(`unknown message ${JSON.stringify(exhausted)}`);
    }
  }
}

function propose(member: Member, proposals: readonly Proposal[]): void {
  if (member.role !== 'leader' || member.transfer !== null) {
    const reason = member.role !== 'leader' ? 'notLeader' : 'transferring';
    for (const proposal of proposals) {
      member.outputs.push({ type: 'rejected', id: proposal.id, reason, leader: member.leader });
    }
    return;
  }
  if (proposals.length === 0) return;
  const first = member.log.lastIndex + 1;
  for (const proposal of proposals) {
    const entry: Entry = {
      index: member.log.lastIndex + 1,
      term: member.term,
      kind: 'command',
      data: proposal.data,
      config: null,
      time: member.now,
    };
    member.log.append(entry);
    member.outputs.push({ type: 'accepted', id: proposal.id, index: entry.index, term: entry.term });
  }
  // The leader's own write and the appends to followers proceed side by side; the leader
  // counts itself toward a quorum only once its write is reported durable.
  member.persistEntries(first);
  broadcastAppend(member);
}
