// Raft's safety properties, checked after every step of every member of one group: election
// safety, log matching, leader completeness, state machine safety, and that commit indexes
// neither go backwards nor pass what a quorum holds durably. Term and vote never go backwards
// across a restart. A violation throws, which fails the seed.
import type { Entry, Member, NodeId, Output } from '../raft/index.js';

/** What the disks hold durably: whether member `member`'s disk holds `entry` at `index` (or a snapshot past it). */
export interface DurableView {
  holds(member: NodeId, group: string, index: number, entry: Entry | undefined): boolean;
}

/** The same entry: the very object, or one carried over a wire or a disk with the same content. */
export function sameEntry(a: Entry | undefined, b: Entry | undefined): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined) return false;
  if (a.index !== b.index || a.term !== b.term || a.kind !== b.kind || a.time !== b.time) return false;
  if (a.data.length !== b.data.length) return false;
  for (let byte = 0; byte < a.data.length; byte += 1) if (a.data[byte] !== b.data[byte]) return false;
  return true;
}

export class SafetyViolation extends Error {
  override readonly name = 'SafetyViolation';
}

function fail(group: string, message: string): never {
  throw new SafetyViolation(`${group}: ${message}`);
}

interface Created {
  readonly entry: Entry;
  readonly prevTerm: number;
  readonly creator: NodeId;
}

export class GroupChecker {
  private readonly leaders = new Map<number, NodeId>();
  private readonly created = new Map<string, Created>();
  private readonly committed = new Map<number, Entry>();
  /** The term of the member that first committed each index. */
  private readonly committedInTerm = new Map<number, number>();
  private maxCommitted = 0;
  /** Per node: the highest term it sent, and whom it granted a vote in each term. */
  private readonly sentTerm = new Map<NodeId, number>();
  private readonly grants = new Map<NodeId, Map<number, NodeId>>();

  constructor(
    readonly group: string,
    private readonly durable: DurableView,
  ) {}

  /** Call after each step with the member's commit before it and the step's outputs. */
  afterStep(node: NodeId, member: Member, commitBefore: number, outputs: readonly Output[]): void {
    if (member.commit < commitBefore)
      fail(this.group, `${node} commit went back from ${commitBefore} to ${member.commit}`);
    if (member.commit > commitBefore) this.checkCommitted(node, member, commitBefore);
    for (const output of outputs) {
      if (output.type === 'persist' && output.write.kind === 'entries')
        this.checkWritten(member, output.write.entries);
      else if (output.type === 'role' && output.role === 'leader') this.checkNewLeader(node, member);
      else if (output.type === 'apply') this.checkApplied(node, output.entries);
    }
  }

  /** Log matching, by induction: every entry stored is one a leader created, after the entry it was created after. */
  private checkWritten(member: Member, entries: readonly Entry[]): void {
    for (const entry of entries) {
      const key = `${entry.index}:${entry.term}`;
      const known = this.created.get(key);
      const prevTerm = member.log.termAt(entry.index - 1);
      if (known === undefined) {
        if (member.role !== 'leader' || entry.term !== member.term) {
          fail(this.group, `${member.id} stored ${key}, which no leader created`);
        }
        this.created.set(key, { entry, prevTerm, creator: member.id });
        continue;
      }
      if (!sameEntry(known.entry, entry)) fail(this.group, `two different entries at ${key}`);
      if (prevTerm >= 0 && prevTerm !== known.prevTerm) {
        fail(this.group, `${member.id} holds ${key} after term ${prevTerm}, created after ${known.prevTerm}`);
      }
    }
  }

  private checkNewLeader(node: NodeId, member: Member): void {
    const other = this.leaders.get(member.term);
    if (other !== undefined && other !== node)
      fail(this.group, `two leaders in term ${member.term}: ${other}, ${node}`);
    this.leaders.set(member.term, node);
    // Leader completeness: the new leader's log holds every entry committed in an earlier term.
    for (let index = member.log.snapshotIndex + 1; index <= this.maxCommitted; index += 1) {
      const entry = this.committed.get(index);
      const term = this.committedInTerm.get(index) ?? Number.POSITIVE_INFINITY;
      if (entry !== undefined && term < member.term && !sameEntry(member.log.entryAt(index), entry)) {
        fail(this.group, `leader ${node} of term ${member.term} lacks committed entry ${index}`);
      }
    }
  }

  private checkCommitted(node: NodeId, member: Member, commitBefore: number): void {
    const log = member.log;
    for (let index = Math.max(commitBefore, log.snapshotIndex) + 1; index <= member.commit; index += 1) {
      const entry = log.entryAt(index);
      if (entry === undefined) fail(this.group, `${node} committed ${index} beyond its log`);
      const known = this.committed.get(index);
      if (known !== undefined && !sameEntry(known, entry))
        fail(this.group, `${node} committed a different entry at ${index}`);
      if (known === undefined) {
        this.committed.set(index, entry);
        this.committedInTerm.set(index, member.term);
      }
    }
    if (member.commit > this.maxCommitted) this.maxCommitted = member.commit;
    if (member.role !== 'leader') return;
    const entry = log.entryAt(member.commit);
    let holders = 0;
    for (const voter of log.config.voters) {
      if (this.durable.holds(voter, this.group, member.commit, entry)) holders += 1;
    }
    if (holders < Math.floor(log.config.voters.length / 2) + 1) {
      fail(
        this.group,
        `leader ${node} committed ${member.commit} held durably by ${holders} of ${log.config.voters.length}`,
      );
    }
  }

  /** State machine safety: every member applies the same entry at each index. */
  private checkApplied(node: NodeId, entries: readonly Entry[]): void {
    for (const entry of entries) {
      const known = this.committed.get(entry.index);
      if (known === undefined) fail(this.group, `${node} applied ${entry.index}, which was never committed`);
      if (!sameEntry(known, entry)) fail(this.group, `${node} applied a different entry at ${entry.index}`);
    }
  }

  /** A message left the node: what it says about term and vote must survive any crash. */
  onSent(
    node: NodeId,
    to: NodeId,
    message: {
      readonly type: string;
      readonly term: number;
      readonly granted?: boolean;
      readonly pre?: boolean;
    },
  ): void {
    if (message.type === 'voteResponse' && message.pre === true) return;
    if (message.type === 'vote' && message.pre === true) return;
    if (message.term > (this.sentTerm.get(node) ?? 0)) this.sentTerm.set(node, message.term);
    if (message.type === 'voteResponse' && message.granted === true) {
      let grants = this.grants.get(node);
      if (grants === undefined) {
        grants = new Map();
        this.grants.set(node, grants);
      }
      grants.set(message.term, to);
    }
    if (message.type === 'vote') {
      let grants = this.grants.get(node);
      if (grants === undefined) {
        grants = new Map();
        this.grants.set(node, grants);
      }
      grants.set(message.term, node);
    }
  }

  /** After a restart: term, vote and commit are where the node left them durable, never behind. */
  onRestart(node: NodeId, member: Member, durableCommit: number, fresh: boolean): void {
    // A fresh member (its data deleted on removal) starts with nothing to keep or to lose.
    if (fresh) return;
    this.forgetLostTerms(node, member.term);
    const sent = this.sentTerm.get(node) ?? 0;
    if (member.term < sent)
      fail(this.group, `${node} restarted at term ${member.term} after sending term ${sent}`);
    const granted = this.grants.get(node)?.get(member.term);
    if (granted !== undefined && member.vote !== granted) {
      fail(
        this.group,
        `${node} restarted in term ${member.term} with vote ${member.vote}, having voted ${granted}`,
      );
    }
    if (member.commit < durableCommit)
      fail(this.group, `${node} restarted with commit ${member.commit} below ${durableCommit}`);
  }

  /**
   * A leader that crashed before its term was durable sent nothing in that term (messages wait
   * for it), and its entries of that term were lost with it: the term may be won again, by
   * anyone, with other entries.
   */
  private forgetLostTerms(node: NodeId, restoredTerm: number): void {
    for (const [term, leader] of this.leaders)
      if (leader === node && term > restoredTerm) this.leaders.delete(term);
    for (const [key, created] of this.created) {
      if (created.creator === node && created.entry.term > restoredTerm) this.created.delete(key);
    }
  }

  /** A member whose data is deleted (removed from the group) starts its record afresh. */
  forget(node: NodeId): void {
    this.sentTerm.delete(node);
    this.grants.delete(node);
  }

  get committedIndex(): number {
    return this.maxCommitted;
  }
}
