// The core's safety properties, checked on production nodes: an observer of every member's every
// step (the node's ShardWatch) feeds one GroupChecker per group (invariants.ts: election safety,
// log matching, leader completeness, state machine safety, commit never beyond a durable
// quorum, term and vote kept across restarts), and every member's machine state is compared
// index by index. Members are told apart by identity, so a member
// whose disk was replaced is a new one. A violation cannot be thrown from inside a member (the
// scheduler would take it for the member's own failure): the first one is kept, and the seed
// fails on it.

import { encodeState } from '../../actors/entry-codec.js';
import type { CoreObserver, ShardWatch } from '../../actors/index.js';
import { nodeOf } from '../../actors/member-id.js';
import type { Input, Member, Message, NodeId, Options, Output } from '../../raft/index.js';
import { GroupChecker, SafetyViolation } from '../invariants.js';
import type { TraceHash } from '../trace-hash.js';
import type { SimStorage } from './sim-storage.js';

export interface CoreCoverage {
  leaderChanges: number;
  truncations: number;
  snapshotInstalls: number;
  quietLeaders: number;
}

export class CoreChecks implements CoreObserver {
  /** The checker of each group's current incarnation, by name; a group deleted starts afresh. */
  private readonly checkers = new Map<string, GroupChecker>();
  /** The checker of each member, by group and identity: the incarnation it was first seen in. */
  private readonly checkerOf = new Map<string, GroupChecker>();
  /** The last index each member (by group and identity) wrote, to tell a truncation from an append. */
  private readonly written = new Map<string, number>();
  /** Leaders gone quiet (nothing to do), by group and identity. */
  private readonly quiet = new Set<string>();
  /** The machine state at each index applied, per group incarnation, as the first member to apply it held it. */
  private readonly states = new WeakMap<GroupChecker, Map<number, string>>();
  readonly coverage: CoreCoverage = {
    leaderChanges: 0,
    truncations: 0,
    snapshotInstalls: 0,
    quietLeaders: 0,
  };
  violation: string | null = null;
  /** The newest leader seen of each group, by node name. */
  readonly leaders = new Map<string, { readonly node: string; readonly term: number }>();
  /** Told of each new leader the moment it is elected (the seed may cut it off at once). */
  onLeader: ((node: string, group: string) => void) | null = null;
  /**
   * Told the moment a leader appends entries, and whether they hold a membership change (the
   * seed may split the cluster at once).
   */
  onAppend: ((node: string, group: string, change: boolean) => void) | null = null;

  constructor(
    private readonly disk: (node: string) => SimStorage,
    private readonly trace: TraceHash,
  ) {}

  /** The watch to set on every node's members, with the core options the seed drew. */
  watch(options: Partial<Options>): ShardWatch {
    return { observer: this, options };
  }

  stepped(
    group: string,
    member: Member,
    input: Input,
    commitBefore: number,
    outputs: readonly Output[],
  ): void {
    this.guard(() => {
      const checker = this.checker(group, member.id);
      if (input.type === 'start') {
        const node = nodeOf(member.id);
        checker.onRestart(member.id, member, this.disk(node).durableCommit(group, member.id), false);
      }
      for (const output of outputs) this.observe(group, member, output);
      checker.afterStep(member.id, member, commitBefore, outputs);
    });
    const key = memberKey(group, member.id);
    if (member.quiet && member.role === 'leader') {
      if (!this.quiet.has(key)) this.coverage.quietLeaders += 1;
      this.quiet.add(key);
    } else this.quiet.delete(key);
  }

  sent(group: string, member: Member, to: NodeId, message: Message): void {
    this.guard(() => this.checker(group, member.id).onSent(member.id, to, message));
  }

  /** Every member of a group that applied the log to index i holds the same state at i. */
  applied(group: string, member: NodeId, index: number, state: unknown): void {
    const checker = this.checker(group, member);
    let states = this.states.get(checker);
    if (states === undefined) {
      states = new Map();
      this.states.set(checker, states);
    }
    const held = Buffer.from(encodeState(0, state)).toString('base64');
    const known = states.get(index);
    if (known === undefined) states.set(index, held);
    else if (known !== held) {
      this.violation ??= `SafetyViolation: ${group}: ${member} holds a different state at ${index} than another member did`;
    }
  }

  /**
   * Group `group` was deleted on every member: a group created again under its name is another
   * group, with logs of its own from index 1, checked apart from the old one.
   */
  forget(group: string): void {
    this.checkers.delete(group);
    this.leaders.delete(group);
  }

  private observe(group: string, member: Member, output: Output): void {
    if (output.type === 'role') {
      this.trace.add(`r${member.id}${group}${output.role}${output.term}`);
      if (output.role === 'leader') {
        this.coverage.leaderChanges += 1;
        const node = nodeOf(member.id);
        if (output.term >= (this.leaders.get(group)?.term ?? 0))
          this.leaders.set(group, { node, term: output.term });
        this.onLeader?.(node, group);
      }
    } else if (output.type === 'persist') {
      const write = output.write;
      const key = memberKey(group, member.id);
      if (write.kind === 'entries') {
        if (write.from <= (this.written.get(key) ?? 0)) this.coverage.truncations += 1;
        this.written.set(key, write.from + write.entries.length - 1);
        if (member.role === 'leader')
          this.onAppend?.(
            nodeOf(member.id),
            group,
            write.entries.some((entry) => entry.kind === 'config'),
          );
      } else if (write.kind === 'snapshot' && !write.keepLaterEntries) {
        this.coverage.snapshotInstalls += 1;
        this.written.set(key, write.snapshot.index);
      }
    }
  }

  private checker(group: string, member: NodeId): GroupChecker {
    const key = memberKey(group, member);
    const known = this.checkerOf.get(key);
    if (known !== undefined) return known;
    let checker = this.checkers.get(group);
    if (checker === undefined) {
      checker = new GroupChecker(group, {
        holds: (member, name, index, entry) => this.disk(nodeOf(member)).holds(name, member, index, entry),
      });
      this.checkers.set(group, checker);
    }
    this.checkerOf.set(key, checker);
    return checker;
  }

  private guard(check: () => void): void {
    try {
      check();
    } catch (error) {
      if (!(error instanceof SafetyViolation)) throw error;
      this.violation ??= `${error.name}: ${error.message}`;
    }
  }
}

/** A member's key in the maps above: its group and its identity. */
function memberKey(group: string, member: NodeId): string {
  return `${group}\u0000${member}`;
}
