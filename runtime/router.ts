// Routing a node's calls: to this node or a peer, with a deadline, and client calls to a group's
// leader, following leader hints. A call is tried again only when the answer says nothing was
// appended (not the leader, a member stopped) or that its entry was replaced before it applied.
import { type Clock, type Outcome, sleep } from '../actors/index.js';
import type { GroupRecord } from './directory.js';
import type { RemoteCall } from './envelope.js';
import { badArgument, FlotillaError } from './errors.js';
import { checkGroupName } from './group-spec.js';
import type { LeaderCache } from './leader-cache.js';
import { errorOf } from './outcomes.js';
import type { PendingCalls } from './pending-calls.js';
import type { Transport } from './transport.js';

/** How long a call waits by default before TIMEOUT. */
export const defaultTimeoutMs = 5000;
/** Records of groups with no member here kept at most: the cache starts over past this. */
const maxRemoteRecords = 10_000;
/** Pause before asking again when no leader is known yet. */
export const noLeaderBackoffMs = 20;

/**
 * Waits a back-off before a call is asked again, or, when that would pass `deadline`, throws
 * TIMEOUT with `why`: every retry loop of a node waits this way, so none outlives its deadline.
 */
export async function backOff(clock: Clock, deadline: number, why: () => string): Promise<void> {
  if (clock.now() + noLeaderBackoffMs >= deadline) throw new FlotillaError('TIMEOUT', why());
  await sleep(clock, noLeaderBackoffMs);
}

export interface CallOptions {
  readonly timeoutMs?: number;
}

/** The calls a group's member answers itself. */
export type ActorCall = Extract<RemoteCall, { op: 'command' | 'query' | 'changeMembers' | 'transfer' }>;

function isActorCall(call: RemoteCall): call is ActorCall {
  return (
    call.op === 'command' || call.op === 'query' || call.op === 'changeMembers' || call.op === 'transfer'
  );
}

/** What the router needs of its node. */
export interface RouterNode {
  readonly name: string;
  readonly clock: Clock;
  readonly calls: PendingCalls;
  readonly transport: Transport;
  /** The leader each group was last heard to have: answers here keep it up to date. */
  readonly leaders: LeaderCache;
  /** Whether this node runs a member of the group now. */
  isLocal(group: string): boolean;
  /** This node's record of the group, if it holds one. */
  localRecord(group: string): GroupRecord | undefined;
  /** Runs a call that is not a member's on this node. */
  perform(call: RemoteCall, from: string, answer: (outcome: Outcome) => void): void;
  /** Hands a call to this node's member of the group; TIMEOUT at `deadline` when one is given. */
  toActor(call: ActorCall, answer: (outcome: Outcome) => void, deadline: number | null): void;
}

export class Router {
  private readonly leaders: LeaderCache;
  /** Records of groups with no member here, learned from peers. */
  private readonly remoteRecords = new Map<string, GroupRecord>();

  constructor(private readonly node: RouterNode) {
    this.leaders = node.leaders;
  }

  /** The deadline of a call made now with `options`. */
  deadline(options: CallOptions): number {
    const timeout = options.timeoutMs ?? defaultTimeoutMs;
    if (!(typeof timeout === 'number' && timeout > 0 && Number.isFinite(timeout)))
      throw badArgument('timeoutMs must be a positive number');
    return this.node.clock.now() + timeout;
  }

  /**
   * Sends `call` to the group's leader, following leader hints. The first try is made at once:
   * a caller whose group and leader are known pays for one call and nothing more.
   */
  routed(name: string, call: RemoteCall, deadline: number): Promise<unknown> {
    const record = this.node.localRecord(name) ?? this.remoteRecords.get(name);
    if (record === undefined)
      return this.recordFor(name, deadline).then((found) =>
        this.followed(name, call, deadline, found.members, null),
      );
    const target = this.leaders.get(name) ?? (this.node.isLocal(name) ? this.node.name : record.members[0]!);
    // One promise per call: the answer resolves it with the value, or with the retries' promise.
    return new Promise((resolve) =>
      this.callWith(target, call, deadline, (outcome) =>
        resolve(
          outcome.kind === 'ok'
            ? outcome.value
            : this.followed(name, call, deadline, record.members, { target, outcome }),
        ),
      ),
    );
  }

  /** The rest of `routed`: from the answer of a first try, if one was made, until an answer is final. */
  private async followed(
    name: string,
    call: RemoteCall,
    deadline: number,
    members: readonly string[],
    tried: { readonly target: string; readonly outcome: Outcome } | null,
  ): Promise<unknown> {
    let candidates = members;
    let target =
      tried?.target ?? this.leaders.get(name) ?? (this.node.isLocal(name) ? this.node.name : members[0]!);
    let outcome = tried?.outcome ?? (await this.callOn(target, call, deadline));
    for (;;) {
      if (outcome.kind === 'ok') return outcome.value;
      if (outcome.kind === 'error') {
        // A member stopped or gone here appended nothing: another may lead.
        const elsewhere = outcome.code === 'NO_SUCH_GROUP' || outcome.code === 'STOPPED';
        if (!elsewhere || candidates.length <= 1) {
          // A group deleted since its record was learned from a peer must be looked up afresh.
          if (outcome.code === 'NO_SUCH_GROUP') this.remoteRecords.delete(name);
          throw errorOf(outcome);
        }
        this.leaders.forget(name);
        candidates = candidates.filter((candidate) => candidate !== target);
        target = candidates[0]!;
      } else if (outcome.kind === 'notLeader' && outcome.leader !== null && outcome.leader !== target) {
        this.leaders.set(name, outcome.leader);
        target = outcome.leader;
      } else {
        // No leader known (or an entry replaced in an election): wait a moment, then ask around.
        this.leaders.forget(name);
        await backOff(this.node.clock, deadline, () => `no leader of ${name} answered in time`);
        candidates = [...candidates.slice(1), candidates[0]!];
        target = candidates[0]!;
      }
      outcome = await this.callOn(target, call, deadline);
    }
  }

  /** Runs `call` on `node` (this one or another), resolving with its outcome or TIMEOUT at `deadline`. */
  callOn(node: string, call: RemoteCall, deadline: number): Promise<Outcome> {
    return new Promise<Outcome>((resolve) => this.callWith(node, call, deadline, resolve));
  }

  /** callOn without a promise: `answer` hears the outcome. */
  callWith(node: string, call: RemoteCall, deadline: number, answer: (outcome: Outcome) => void): void {
    const { calls, transport } = this.node;
    if (calls.full) {
      answer({ kind: 'error', code: 'OVERLOADED', message: 'too many calls in flight' });
      return;
    }
    // A call on a local member is one request: the member's reply settles the caller directly.
    if (node === this.node.name && isActorCall(call)) {
      this.node.toActor(call, answer, deadline);
      return;
    }
    if (node === this.node.name) {
      const id = calls.add(answer, deadline);
      this.node.perform(call, this.node.name, (outcome) => calls.settle(id, outcome));
    } else if (!transport.isUp(node)) {
      answer({ kind: 'notLeader', leader: null });
    } else {
      const handle = calls.add(answer, deadline, node);
      transport.send(node, { kind: 'call', id: calls.wireId(handle), call });
    }
  }

  /**
   * The group's record: from this node's directory or, for a group with no member here, from
   * the first peer that knows it, so calls can be made from any node. NO_SUCH_GROUP only once
   * every node of the cluster has answered that it knows no such group: a node that cannot
   * reach them all (just started, or cut off) waits for them, to the deadline, and then TIMEOUT.
   */
  async recordFor(name: string, deadline = this.node.clock.now() + defaultTimeoutMs): Promise<GroupRecord> {
    checkGroupName(name);
    for (;;) {
      const record = this.node.localRecord(name) ?? this.remoteRecords.get(name);
      if (record !== undefined) return record;
      const unknown = new Set<string>();
      for (const peer of this.node.transport.peers()) {
        const outcome = await this.callOn(peer, { op: 'record', group: name }, deadline);
        if (outcome.kind === 'error' && outcome.code === 'NO_SUCH_GROUP') unknown.add(peer);
        if (outcome.kind !== 'ok') continue;
        if (this.remoteRecords.size >= maxRemoteRecords) this.remoteRecords.clear();
        this.remoteRecords.set(name, outcome.value as GroupRecord);
        return outcome.value as GroupRecord;
      }
      if (this.node.transport.cluster().every((peer) => unknown.has(peer)))
        throw new FlotillaError('NO_SUCH_GROUP', `no node knows a group ${name}`);
      await backOff(this.node.clock, deadline, () => `no node that could hold group ${name} answered`);
    }
  }

  /** The group is gone (deleted here): what was learned of it is forgotten. */
  forget(name: string): void {
    this.leaders.forget(name);
    this.remoteRecords.delete(name);
  }
}
