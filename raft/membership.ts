// Single-server membership changes: one at a time, only once the leader has committed an entry
// of its term; new voters join as non-voters and are promoted once caught up.

import { noData } from './log.js';
import type { Member } from './member.js';
import { Progress } from './progress.js';
import { hasQuorum, isMember } from './quorum.js';
import { becomeFollower } from './roles.js';
import { broadcastAppend, sendHeartbeat, sendRemoved } from './sending.js';
import type { Config, MembershipChange, NodeId, RejectReason } from './types.js';

export function handleChangeMembers(member: Member, id: number, change: MembershipChange): void {
  const refusal = changeRefusal(member);
  if (refusal !== null) {
    member.outputs.push({ type: 'rejected', id, reason: refusal, leader: member.leader });
    return;
  }
  const config = nextConfig(member.log.config, change);
  if (config === null) {
    member.outputs.push({ type: 'rejected', id, reason: 'badArgument', leader: member.leader });
    return;
  }
  if (leavesNoLiveQuorum(member, change, config)) {
    member.outputs.push({ type: 'rejected', id, reason: 'noQuorum', leader: member.leader });
    return;
  }
  const index = appendConfig(member, config);
  member.outputs.push({ type: 'accepted', id, index, term: member.term });
}

/**
 * Whether `change` removes a voter and leaves `config` without a quorum of voters that answer
 * (etcd's strict reconfiguration check). Such a removal is refused: while another voter is down,
 * or its data is lost for good, the group could never commit again, not even the change that
 * brings the lost one back. A voter answers if it was heard within an election timeout and the
 * failure detector (with quiesce) does not report its node down. A quiet group has heard nothing
 * lately, so the voters not heard are asked, at most once a heartbeat period: the caller's retry
 * finds them alive. A replacement is never refused so: the identity it takes out is gone (its
 * node answers as another), so the voters left can do no less than before.
 */
function leavesNoLiveQuorum(member: Member, change: MembershipChange, config: Config): boolean {
  if (change.kind !== 'remove' || !member.log.config.voters.includes(change.node)) return false;
  const since = member.now - member.options.electionTimeout;
  const answers = (node: NodeId) =>
    node === member.id ||
    (!member.downPeers.has(node) &&
      (member.progress.get(node)?.heardAt ?? Number.NEGATIVE_INFINITY) >= since);
  if (hasQuorum(config, answers)) return false;
  for (const voter of config.voters) {
    const progress = member.progress.get(voter);
    if (progress === undefined || answers(voter) || member.now - progress.askedAt < member.heartbeatPeriod)
      continue;
    progress.askedAt = member.now;
    sendHeartbeat(member, voter);
  }
  return true;
}

function changeRefusal(member: Member): RejectReason | null {
  if (member.role !== 'leader') return 'notLeader';
  if (member.transfer !== null) return 'transferring';
  if (member.commit < member.termStartIndex || member.log.configIndex > member.commit) return 'busy';
  return null;
}

function without(nodes: readonly NodeId[], node: NodeId): NodeId[] {
  return nodes.filter((candidate) => candidate !== node);
}

/** The configuration after `change`, or null when the change makes no sense for this one. */
export function nextConfig(config: Config, change: MembershipChange): Config | null {
  const { voters, nonVoters, promote } = config;
  if (change.kind === 'replace') {
    if (!isMember(config, change.old) || isMember(config, change.node)) return null;
    const remaining = without(voters, change.old);
    if (remaining.length === 0) return null;
    const voted = voters.includes(change.old) || promote.includes(change.old);
    const promoted = without(promote, change.old);
    return {
      voters: remaining,
      nonVoters: [...without(nonVoters, change.old), change.node],
      promote: voted ? [...promoted, change.node] : promoted,
    };
  }
  if (change.kind === 'remove') {
    if (!isMember(config, change.node)) return null;
    if (voters.length === 1 && voters[0] === change.node) return null;
    return {
      voters: without(voters, change.node),
      nonVoters: without(nonVoters, change.node),
      promote: without(promote, change.node),
    };
  }
  if (voters.includes(change.node)) return null;
  if (nonVoters.includes(change.node)) {
    if (!change.voter || promote.includes(change.node)) return null;
    return { voters, nonVoters, promote: [...promote, change.node] };
  }
  return {
    voters,
    nonVoters: [...nonVoters, change.node],
    promote: change.voter ? [...promote, change.node] : promote,
  };
}

/** Appends a config entry; it takes effect on append, so replication state follows at once. */
function appendConfig(member: Member, config: Config): number {
  const log = member.log;
  const index = log.lastIndex + 1;
  log.append({ index, term: member.term, kind: 'config', data: noData, config, time: member.now });
  member.persistEntries(index);
  for (const peer of [...config.voters, ...config.nonVoters]) {
    if (peer !== member.id && !member.progress.has(peer)) {
      member.progress.set(peer, new Progress(log.lastIndex, member.now));
    }
  }
  broadcastAppend(member);
  return index;
}

/**
 * Peers a committed configuration left out stop being replicated to, and are told they are out.
 * Until then they keep receiving entries.
 */
export function forgetRemovedPeers(member: Member): void {
  if (member.log.configIndex > member.commit) return;
  for (const peer of [...member.progress.keys()]) {
    if (isMember(member.log.config, peer)) continue;
    member.progress.delete(peer);
    // It may never hear otherwise (a quiet follower waits on a live leader): tell it it is out.
    sendRemoved(member, peer);
  }
}

/**
 * A leader whose removal is committed leaves, and the remaining voters elect a successor. Its own
 * log is the group's: it knows, as nobody else could tell it, that it is out. Returns whether it left.
 */
export function leaveIfRemoved(member: Member): boolean {
  const config = member.log.config;
  if (member.log.configIndex > member.commit || config.voters.includes(member.id)) return false;
  becomeFollower(member, member.term, null);
  if (!isMember(config, member.id)) markRemoved(member);
  return true;
}

/** Promotes a non-voter marked for promotion once it holds everything committed. */
export function promoteCaughtUp(member: Member): void {
  if (changeRefusal(member) !== null) return;
  const config = member.log.config;
  for (const node of config.promote) {
    const progress = member.progress.get(node);
    if (progress === undefined || progress.match < member.commit) continue;
    appendConfig(member, {
      voters: [...config.voters, node],
      nonVoters: without(config.nonVoters, node),
      promote: without(config.promote, node),
    });
    return;
  }
}

/**
 * A `removed` notice applies to a member with data whose latest configuration is no later than
 * the leader's committed one that left it out. (Only a leader's log tells: a member catching up
 * may hold, as its latest, an old configuration that left it out before it was added again.)
 */
export function removedByNotice(member: Member, configIndex: number, about: NodeId): boolean {
  return about === member.id && !member.stalled && !member.removed && member.log.configIndex <= configIndex;
}

/** The member is out of the group: it campaigns no more, and the host hears it may delete it. */
export function markRemoved(member: Member): void {
  member.removed = true;
  member.outputs.push({ type: 'removed' });
}

/**
 * A leader asked for its vote by a member outside its committed configuration tells it so: a
 * member that was removed while cut off learns it when it next campaigns, rather than
 * campaigning forever. The request itself is ignored.
 */
export function answerNonMember(member: Member, from: NodeId): boolean {
  if (member.role !== 'leader' || member.progress.has(from) || isMember(member.log.config, from))
    return false;
  if (member.log.configIndex > member.commit) return false;
  sendRemoved(member, from);
  return true;
}
