// Leadership transfer: catch the target up, then tell it to campaign at once. New commands are
// refused while it runs, and it is abandoned after a bounded time.
import type { Member } from './member.js';
import { sendAppend } from './sending.js';
import type { NodeId } from './types.js';

export function handleTransfer(member: Member, id: number, target: NodeId): void {
  if (member.role !== 'leader') {
    member.outputs.push({ type: 'rejected', id, reason: 'notLeader', leader: member.leader });
    return;
  }
  if (target === member.id) {
    member.outputs.push({ type: 'transferred', id, ok: true });
    return;
  }
  if (!member.log.config.voters.includes(target) || !member.progress.has(target)) {
    member.outputs.push({ type: 'rejected', id, reason: 'badArgument', leader: member.leader });
    return;
  }
  if (member.transfer !== null) {
    member.outputs.push({ type: 'rejected', id, reason: 'transferring', leader: member.leader });
    return;
  }
  member.transfer = {
    id,
    target,
    deadline: member.now + member.options.transferTimeout,
    timeoutNowSent: false,
  };
  maybeSendTimeoutNow(member, target);
  if (member.transfer !== null && !member.transfer.timeoutNowSent) sendAppend(member, target, true);
}

/** Once the target holds the whole log, it is told to start an election without waiting. */
export function maybeSendTimeoutNow(member: Member, peer: NodeId): void {
  const transfer = member.transfer;
  if (transfer === null || transfer.target !== peer || transfer.timeoutNowSent) return;
  const progress = member.progress.get(peer);
  if (progress === undefined || progress.match < member.log.lastIndex) return;
  transfer.timeoutNowSent = true;
  member.send(peer, { type: 'timeoutNow', term: member.term });
}

export function expireTransfer(member: Member): void {
  const transfer = member.transfer;
  if (transfer === null || member.now < transfer.deadline) return;
  member.transfer = null;
  member.outputs.push({ type: 'transferred', id: transfer.id, ok: false });
}
