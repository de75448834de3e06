// Moving the commit index: a leader commits what a durable quorum holds, a follower what its
// leader tells it; either way the newly committed entries go to the host to apply.
import type { Member } from './member.js';
import { quorumIndex } from './quorum.js';

/**
 * Commits the highest index a quorum holds durably, but only an entry of the current term
 * (Figure 8). Returns whether the commit moved: what a commit allows is then the caller's to do.
 */
export function commitAtQuorum(member: Member): boolean {
  if (member.role !== 'leader') return false;
  const index = quorumIndex(member.log.config, (node) =>
    node === member.id ? member.durableIndex : (member.progress.get(node)?.match ?? 0),
  );
  if (index <= member.commit || member.log.termAt(index) !== member.term) return false;
  advanceCommit(member, index);
  return true;
}

/**
 * Moves the commit index and hands the newly committed entries to the host. The index is not
 * written down: a member that restarts learns it again from its leader (or, leading, from its
 * quorum), so a commit costs no write of its own. A state write (term or vote) carries it along.
 */
export function advanceCommit(member: Member, index: number): void {
  member.commit = index;
  emitApply(member);
}

export function emitApply(member: Member): void {
  if (member.applied >= member.commit) return;
  member.outputs.push({ type: 'apply', entries: member.log.range(member.applied + 1, member.commit) });
  member.applied = member.commit;
}
