// Administration of groups, for the public API: creating and deleting a group on every member,
// adding and removing members, handing leadership over, and asking who leads. Every call runs
// to its deadline, asking again only where an answer says nothing was done.
import { type Clock, type MemberView, type NodeChange, sleep } from '../actors/index.js';
import type { GroupRecord } from './directory.js';
import { badArgument, FlotillaError } from './errors.js';
import { type CreationNode, createJoiner, createMembers } from './group-creation.js';
import {
  allMembers,
  checkGroupName,
  type GroupSpec,
  type Members,
  recordOf,
  sameSpec,
} from './group-spec.js';
import type { LeaderCache } from './leader-cache.js';
import { throwIfFailed } from './outcomes.js';
import { backOff, type CallOptions, noLeaderBackoffMs, type Router } from './router.js';
import type { Transport } from './transport.js';

/** What administration needs of its node. */
export interface AdminNode {
  readonly name: string;
  readonly clock: Clock;
  readonly router: Router;
  readonly leaders: LeaderCache;
  readonly creation: CreationNode;
  readonly transport: Transport;
  /** This node's record of the group, if it holds one. */
  localRecord(group: string): GroupRecord | undefined;
  /** Whether this node runs a member of the group now. */
  isLocal(group: string): boolean;
}

export class GroupAdmin {
  constructor(private readonly node: AdminNode) {}

  async createGroup(name: string, spec: GroupSpec, options: CallOptions): Promise<void> {
    checkGroupName(name);
    const record = recordOf(name, spec);
    const deadline = this.node.router.deadline(options);
    const existing = this.node.localRecord(name);
    if (existing !== undefined && !sameSpec(existing, record))
      throw badArgument(`group ${name} exists with a different spec`);
    await createMembers(this.node.creation, record, deadline);
    await this.waitForLeader(name, record.members, deadline);
  }

  async deleteGroup(name: string, options: CallOptions): Promise<void> {
    const { router } = this.node;
    const deadline = router.deadline(options);
    // Where members may be: as a running member says, and as the group's record says (a member
    // removed while its node was down still holds its data, and no leader is left to tell it
    // it is out once the group is gone); and always this node, if it holds the group.
    const record = await router.recordFor(name, deadline);
    const members = await this.members(name, options).catch(() => null);
    const targets = new Set([...record.members, ...(members === null ? [] : allMembers(members))]);
    if (this.node.localRecord(name) !== undefined) targets.add(this.node.name);
    await Promise.all(
      [...targets].map(async (member) => {
        const outcome = await router.callOn(member, { op: 'deleteMember', group: name }, deadline);
        if (outcome.kind === 'error' && outcome.code === 'NO_SUCH_GROUP') return;
        throwIfFailed(outcome, `delete ${name} on ${member}`);
      }),
    );
  }

  /**
   * Adds `node`'s member: created empty (a new identity, whatever the node held before that is
   * gone), caught up by the leader, and, for a voter, promoted. Resolves once it is a voter
   * (or, with `voter: false`, a non-voter).
   */
  async addMember(name: string, node: string, options: CallOptions & { voter?: boolean }): Promise<void> {
    if (typeof node !== 'string' || node === '') throw badArgument('a member is a node name');
    const voter = options.voter ?? true;
    if (typeof voter !== 'boolean') throw badArgument('voter is true or false');
    const deadline = this.node.router.deadline(options);
    const record = await this.node.router.recordFor(name, deadline);
    const member = await createJoiner(this.node.creation, record, node, deadline);
    const change: NodeChange = { kind: 'add', node, member, voter };
    await this.changeMembers(name, change, deadline);
    if (voter) await this.waitForVoter(name, node, deadline);
  }

  async removeMember(name: string, node: string, options: CallOptions): Promise<void> {
    if (typeof node !== 'string' || node === '') throw badArgument('a member is a node name');
    const { router, clock } = this.node;
    const deadline = router.deadline(options);
    const change: NodeChange = { kind: 'remove', node };
    await this.changeMembers(name, change, deadline);
    // Out of the group now; its data goes too. A node not reachable is asked again until the
    // deadline (its member, out of date, would otherwise keep its data and stand for election).
    for (;;) {
      const removed = await router.callOn(node, { op: 'deleteMember', group: name }, deadline);
      if (removed.kind === 'ok' || (removed.kind === 'error' && removed.code === 'NO_SUCH_GROUP')) return;
      if (removed.kind === 'error' && removed.code !== 'TIMEOUT') throwIfFailed(removed, `remove ${name}`);
      await backOff(
        clock,
        deadline,
        () =>
          `remove ${name}: ${node} is out of the group, but was not reachable to delete its member's data (it deletes it once it hears from a leader)`,
      );
    }
  }

  async transferLeadership(name: string, node: string, options: CallOptions): Promise<void> {
    const { router } = this.node;
    await router.routed(name, { op: 'transfer', group: name, target: node }, router.deadline(options));
  }

  /**
   * The group's leader and members as its leader says, when a leader answers: a member that is
   * cut off, or was removed without knowing it yet, may name no leader or an old one. Without a
   * leader, the first member with data that answers.
   */
  async members(name: string, options: CallOptions): Promise<Members> {
    const { router, leaders } = this.node;
    const deadline = router.deadline(options);
    const record = await router.recordFor(name, deadline);
    const viewOn = async (member: string): Promise<MemberView | null> => {
      const outcome = await router.callOn(member, { op: 'members', group: name }, deadline);
      if (outcome.kind !== 'ok' || (outcome.value as MemberView).stalled) return null;
      return outcome.value as MemberView;
    };
    // The leader last heard of first, then this node's member, then the others; a member that
    // names a leader not asked yet sends the question there next. Known leaders answer in one call.
    const known = leaders.get(name);
    const queue = [
      ...(known === undefined ? [] : [known]),
      ...(this.node.isLocal(name) ? [this.node.name] : []),
      ...record.members,
    ];
    const asked = new Set<string>();
    let fallback: MemberView | null = null;
    for (let member = queue.shift(); member !== undefined; member = queue.shift()) {
      if (asked.has(member)) continue;
      asked.add(member);
      const view = await viewOn(member);
      if (view === null) continue;
      if (view.leader === member) {
        leaders.set(name, member);
        return membersOf(view);
      }
      fallback ??= view;
      if (view.leader !== null && !asked.has(view.leader)) queue.unshift(view.leader);
    }
    if (fallback !== null) return membersOf(fallback);
    throw new FlotillaError('NO_SUCH_GROUP', `no member of ${name} answered`);
  }

  /**
   * A membership change, made at the leader. One change goes at a time, and a new leader takes
   * none before it has committed an entry of its term: a change refused as busy (or for a full
   * mailbox) was not appended, so it waits a moment and is asked again, to the deadline.
   */
  private async changeMembers(name: string, change: NodeChange, deadline: number): Promise<void> {
    const { router, clock } = this.node;
    let refused: FlotillaError | null = null;
    for (;;) {
      try {
        await router.routed(name, { op: 'changeMembers', group: name, change }, deadline);
        return;
      } catch (error) {
        const busy = error instanceof FlotillaError && error.code === 'OVERLOADED';
        // Past the deadline the caller hears the busy group's own answer, not TIMEOUT.
        if (busy && clock.now() + noLeaderBackoffMs < deadline) {
          refused = error;
          await sleep(clock, noLeaderBackoffMs);
          continue;
        }
        // The last ask went unanswered (it may have been taken): TIMEOUT, with why the ones
        // before it were refused.
        if (refused !== null && error instanceof FlotillaError && error.code === 'TIMEOUT')
          throw new FlotillaError(
            'TIMEOUT',
            `${error.message}; asked before, the group answered: ${refused.message}`,
          );
        throw error;
      }
    }
  }

  /** Waits until the leader counts `node` among the voters (a new member is promoted once caught up). */
  private async waitForVoter(name: string, node: string, deadline: number): Promise<void> {
    const { clock } = this.node;
    for (;;) {
      const left = Math.max(1, deadline - clock.now());
      const view = await this.members(name, { timeoutMs: left }).catch(() => null);
      if (view?.voters.includes(node)) return;
      await backOff(
        clock,
        deadline,
        () => `${node} was added to ${name} but is not a voter yet (still catching up)`,
      );
    }
  }

  private async waitForLeader(name: string, members: readonly string[], deadline: number): Promise<void> {
    const { router, transport, clock } = this.node;
    if (this.node.isLocal(name)) {
      // A member here hears of the leader itself: wait for that rather than asking around.
      if (await this.node.leaders.awaitLeader(name, deadline)) return;
      throw new FlotillaError('TIMEOUT', `group ${name} has no leader yet`);
    }
    for (;;) {
      for (const member of members) {
        if (member !== this.node.name && !transport.isUp(member)) continue;
        const outcome = await router.callOn(member, { op: 'members', group: name }, deadline);
        if (outcome.kind === 'ok' && (outcome.value as Members).leader !== null) return;
      }
      await backOff(clock, deadline, () => `group ${name} has no leader yet`);
    }
  }
}

/** What members() answers: the view without what only the node needs. */
function membersOf(view: MemberView): Members {
  return { leader: view.leader, voters: view.voters, nonVoters: view.nonVoters };
}
