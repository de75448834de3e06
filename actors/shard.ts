// A shard: the group actors of one scheduler, their timers on one wheel, and the host (the
// node) they reach the disk, the network and their callers through. With `threads: 0` a node
// runs one shard inline on its own thread. A member that throws is closed and reported, alone.
import {
  emptyStoredMember,
  type Message,
  type NodeId,
  type StoredMember,
  type Write,
} from '../raft/index.js';
import type { ActorInput, MemberStatus, MemberView, Outcome, ShardContext, ShardWatch } from './actor-io.js';
import { type Clock, systemClock } from './clock.js';
import { foundingState } from './entry-codec.js';
import { type ErrorCode, FlotillaError } from './errors.js';
import { GroupActor } from './group-actor.js';
import { type Effect, loadMachine, type Machine } from './machine.js';
import { plainDataProblem } from './plain-data.js';
import { Scheduler } from './scheduler.js';
import { TimerWheel } from './timer-wheel.js';

/** What a shard needs from its node. */
export interface ShardHost {
  send(group: string, from: NodeId, to: NodeId, message: Message): void;
  persist(group: string, seq: number, write: Write): void;
  reply(request: number, outcome: Outcome): void;
  leaderChanged(group: string, leader: string | null, term: number): void;
  effects(group: string, effects: readonly Effect[]): void;
  /** What a member could not do and no caller hears of (a role callback that threw, say). */
  report(group: string, code: ErrorCode, message: string): void;
  /** A member threw (a broken invariant): it is closed here, and stays so until restarted. */
  memberFailed(group: string, reason: string): void;
  /** A member learned it is out of its group: the node deletes it (after this turn). */
  removed(group: string): void;
  /** Set by the simulator only, on inline shards. */
  readonly watch?: ShardWatch;
}

export interface MemberSpec {
  readonly group: string;
  /** This member's identity, as its stored data records it (see member-id.ts). */
  readonly member: NodeId;
  readonly module: string;
  readonly config: unknown;
  /** The founding voters (member identities) when this member starts a new group, or null to join as an empty member. */
  readonly founders: readonly NodeId[] | null;
  /** For a founder: the machine version the group starts at (the lowest the founders' code supports). */
  readonly version: number;
  /** The member's number on its shard, for a watchdog to name the member a thread died in. */
  readonly slot: number;
}

export class Shard implements ShardContext {
  private readonly actors = new Map<string, GroupActor>();
  private readonly scheduler: Scheduler<ActorInput>;
  private readonly timers: TimerWheel<GroupActor>;
  staleMessages = 0;

  /** `running`, when given, holds the slot of the member running now (0 for none), for a watchdog. */
  constructor(
    readonly node: NodeId,
    private readonly host: ShardHost,
    private readonly running: Int32Array | null = null,
    private readonly clock: Clock = systemClock,
  ) {
    this.scheduler = new Scheduler<ActorInput>(
      {
        failed: (actor, error) => this.failed(actor as GroupActor, error),
        ...(running === null
          ? {}
          : { running: (actor) => this.mark((actor as GroupActor | null)?.slot ?? 0) }),
      },
      clock,
    );
    this.timers = new TimerWheel<GroupActor>((due) => {
      for (const actor of due) this.scheduler.deliver(actor, { kind: 'timeout' });
    }, clock);
  }

  get size(): number {
    return this.actors.size;
  }

  get watch(): ShardWatch | null {
    return this.host.watch ?? null;
  }

  private load(module: string): Promise<Machine> {
    return this.host.watch?.loadMachine?.(module) ?? loadMachine(module);
  }

  get armedTimers(): number {
    return this.timers.armed;
  }

  has(group: string): boolean {
    return this.actors.has(group);
  }

  /**
   * Starts this node's member of a group from what the WAL holds (or as a founder or joiner).
   * Rejects with BAD_ARGUMENT when the machine cannot load or its init throws, and with STOPPED
   * when the stored state cannot be stood on (a broken invariant); nothing is left running.
   */
  async open(spec: MemberSpec, stored: StoredMember | undefined): Promise<void> {
    const machine = await this.load(spec.module);
    if (this.actors.has(spec.group)) return;
    this.mark(spec.slot);
    try {
      const initial = initialState(machine, spec);
      let from = stored;
      if (holdsNothing(from) && spec.founders !== null) {
        from = foundingState(initial, spec.founders, spec.version);
        // The founding configuration must survive a restart like everything the member writes later.
        this.host.persist(spec.group, -1, {
          kind: 'snapshot',
          snapshot: from.snapshot!,
          keepLaterEntries: false,
        });
      }
      let actor: GroupActor;
      try {
        actor = new GroupActor(
          spec.group,
          spec.member,
          machine,
          initial,
          from ?? emptyStoredMember,
          (this.clock.random() * 0x7fffffff) | 0,
          this,
          spec.slot,
        );
        this.actors.set(spec.group, actor);
        actor.start();
      } catch (error) {
        this.close(spec.group);
        throw new FlotillaError('STOPPED', `the member of ${spec.group} cannot start: ${String(error)}`);
      }
    } finally {
      this.mark(0);
    }
  }

  /**
   * Loads the machine and runs its init on `config`: what open needs, with nothing written.
   * Resolves with the machine version the code supports.
   */
  async check(module: string, config: unknown): Promise<number> {
    const machine = await this.load(module);
    initialState(machine, { config });
    return machine.version ?? 0;
  }

  /**
   * Queues an input for a group's actor. A request that finds the mailbox full is answered
   * OVERLOADED at once; other inputs are dropped, as a lost message would be.
   */
  deliver(group: string, input: ActorInput): void {
    const actor = this.actors.get(group);
    if (actor !== undefined && this.scheduler.deliver(actor, input)) return;
    if (!('request' in input)) return;
    this.host.reply(
      input.request,
      actor === undefined
        ? { kind: 'error', code: 'STOPPED', message: `no running member of ${group} here` }
        : { kind: 'error', code: 'OVERLOADED', message: `the mailbox of ${group} is full` },
    );
  }

  /** This node's member's view of the group's leader and members. */
  membership(group: string): MemberView | undefined {
    return this.actors.get(group)?.membership();
  }

  status(group: string): MemberStatus | undefined {
    return this.actors.get(group)?.status();
  }

  get leaders(): number {
    let leaders = 0;
    for (const actor of this.actors.values()) if (actor.member.role === 'leader') leaders += 1;
    return leaders;
  }

  /** A peer node went down or came back: every member here hears of it. */
  peerChanged(node: NodeId, up: boolean): void {
    for (const actor of this.actors.values()) this.scheduler.deliver(actor, { kind: 'peer', node, up });
  }

  close(group: string): void {
    const actor = this.actors.get(group);
    if (actor === undefined) return;
    this.actors.delete(group);
    this.timers.cancel(actor);
    this.scheduler.remove(actor);
    const { appended, reads } = actor.abandon();
    // An appended command may still be applied by the other members: its caller cannot know.
    for (const request of appended)
      this.host.reply(request, {
        kind: 'error',
        code: 'TIMEOUT',
        message: `the member of ${group} here stopped`,
      });
    for (const request of reads)
      this.host.reply(request, {
        kind: 'error',
        code: 'STOPPED',
        message: `the member of ${group} here stopped`,
      });
  }

  closeAll(): void {
    for (const group of [...this.actors.keys()]) this.close(group);
    this.timers.stop();
  }

  /** A member threw: it stops here, its callers hear so, and the node reports it. */
  private failed(actor: GroupActor, error: unknown): void {
    if (this.actors.get(actor.group) !== actor) return;
    this.close(actor.group);
    this.host.memberFailed(actor.group, String(error));
  }

  private mark(slot: number): void {
    if (this.running !== null) Atomics.store(this.running, 0, slot);
  }

  // ShardContext: what actors do, passed to the host.
  now(): number {
    return this.clock.now();
  }

  send(group: string, from: NodeId, to: NodeId, message: Message): void {
    this.host.send(group, from, to, message);
  }

  persist(group: string, seq: number, write: Write): void {
    this.host.persist(group, seq, write);
  }

  armTimer(actor: GroupActor, at: number | null): void {
    if (this.actors.get(actor.group) === actor) this.timers.arm(actor, at);
  }

  reply(request: number, outcome: Outcome): void {
    this.host.reply(request, outcome);
  }

  leaderChanged(group: string, leader: string | null, term: number): void {
    this.host.leaderChanged(group, leader, term);
  }

  effects(group: string, effects: readonly Effect[]): void {
    this.host.effects(group, effects);
  }

  report(group: string, code: ErrorCode, message: string): void {
    this.host.report(group, code, message);
  }

  removed(group: string): void {
    this.host.removed(group);
  }
}

/**
 * The machine's init on the group's config. A throw, or a state a snapshot could not hold, is
 * the machine's fault, told as BAD_ARGUMENT.
 */
function initialState(machine: Machine, spec: { readonly config: unknown }): unknown {
  let state: unknown;
  try {
    state = machine.init(spec.config);
  } catch (error) {
    throw new FlotillaError('BAD_ARGUMENT', `the machine's init threw: ${String(error)}`);
  }
  const problem = plainDataProblem(state, "the machine's initial state");
  if (problem !== null) throw new FlotillaError('BAD_ARGUMENT', problem);
  return state;
}

/** Whether stored state has nothing of the Raft log in it: no snapshot, entry, chunk or term. */
function holdsNothing(stored: StoredMember | undefined): boolean {
  return (
    stored === undefined ||
    (stored.snapshot === null && stored.entries.length === 0 && stored.partial === null && stored.term === 0)
  );
}
