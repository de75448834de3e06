// A Flotilla node: the public API of API.md over this node's members (local-members.ts), the
// router that takes calls to a group's leader (router.ts), the effects host and the transport to
// the other nodes. What peers send arrives here and is handed to the member or call it is for.
import { join } from 'node:path';
import { EventEmitter } from 'eventemitter3';
import type { Effect, SystemEvent } from '../actors/index.js';
import {
  type Clock,
  type Consistency,
  encodeCommand,
  isOn,
  type MemberView,
  type NodeChange,
  nodeOf,
  type Outcome,
  plainDataProblem,
  ShardSet,
  type ShardSetHost,
  sleep,
  systemClock,
} from '../actors/index.js';
import type { Message, NodeId, Write } from '../raft/index.js';
import type { GroupLog } from '../wal/index.js';
import type { GroupDirectory } from './directory.js';
import { EffectsHost, type MailboxHandler } from './effects-host.js';
import type { Envelope, RemoteCall } from './envelope.js';
import { asFlotillaError, badArgument, FlotillaError } from './errors.js';
import { type CreationNode, createJoiner, createMembers } from './group-creation.js';
import {
  allMembers,
  checkGroupName,
  type GroupSpec,
  type Members,
  recordOf,
  sameSpec,
} from './group-spec.js';
import { LeaderNews } from './leader-news.js';
import { type GroupStatus, LocalMembers } from './local-members.js';
import { type NodeEnvironment, processEnvironment } from './node-environment.js';
import { type NodeOptions, validateNodeOptions } from './options.js';
import { actorInput, localValue, outcomeOf, throwIfFailed } from './outcomes.js';
import { nodeOverview, type Overview } from './overview.js';
import { PendingCalls } from './pending-calls.js';
import { type ActorCall, backOff, type CallOptions, noLeaderBackoffMs, Router } from './router.js';
import { TcpTransport } from './tcp/tcp-transport.js';
import type { Transport, TransportEvents } from './transport.js';

export type { GroupStatus } from './local-members.js';
export type { CallOptions } from './router.js';

export interface QueryOptions extends CallOptions {
  readonly consistency?: Consistency;
}

export interface NodeEvents {
  leader: (group: string, node: NodeId | null, term: number) => void;
  down: (node: string) => void;
  up: (node: string) => void;
  error: (error: Error) => void;
}

export class FlotillaNode extends EventEmitter<NodeEvents> {
  readonly name: string;
  /** Time, timers and randomness: the process's, or the simulator's. */
  readonly clock: Clock;
  private readonly shards: ShardSet;
  private readonly local: LocalMembers;
  private readonly router: Router;
  private readonly creation: CreationNode;
  private readonly transport: Transport;
  private readonly effects: EffectsHost;
  private readonly calls: PendingCalls;
  private readonly leaderNews: LeaderNews;
  private closed = false;
  private walCongested = false;
  /** Raft messages dropped because no member of their group runs here. */
  private unknownGroupMessages = 0;
  /**
   * Errors from while startNode runs (a group that cannot open, a member that stops applying):
   * nobody can listen yet, so they are emitted just after it resolves.
   */
  private startupErrors: Error[] | null = [];

  private constructor(
    readonly options: NodeOptions,
    private readonly wal: GroupLog,
    directory: GroupDirectory,
    private readonly environment: NodeEnvironment,
  ) {
    super();
    const clock = environment.clock;
    this.clock = clock;
    this.name = options.name;
    this.calls = new PendingCalls(clock);
    this.leaderNews = new LeaderNews(clock);
    const host: ShardSetHost = {
      send: (group, from, to, message) =>
        this.transport.send(nodeOf(to), { kind: 'raft', group, from, message }),
      persist: (group, seq, write) => this.persist(group, seq, write),
      reply: (request, outcome) => this.calls.settle(request, outcome),
      leaderChanged: (group, leader, term) => this.leaderChanged(group, leader, term),
      effects: (group, effects) => this.runEffects(group, effects),
      report: (group, code, message) =>
        this.reportError(new FlotillaError(code, `group ${group} on ${this.name}: ${message}`)),
      memberFailed: (group, reason) => this.local.memberFailed(group, reason),
      // After the member's turn: it is still running the step that found it out.
      removed: (group) => clock.soon(() => this.removedHere(group)),
      shardFailed: (failure) => this.local.shardFailed(failure),
      ...(environment.watch === undefined ? {} : { watch: environment.watch }),
    };
    this.shards = new ShardSet(this.name, options.threads ?? 0, host, clock);
    this.local = new LocalMembers(
      this.name,
      directory,
      wal,
      this.shards,
      {
        changed: (group, up) => this.memberChanged(group, up),
        error: (error) => this.reportError(error),
      },
      clock === systemClock ? undefined : (count) => clock.randomBytes(count),
    );
    this.effects = new EffectsHost({
      name: this.name,
      clock,
      isUp: (node) => this.transport.isUp(node),
      sendRemote: (node, mailbox, message) =>
        this.transport.send(node, { kind: 'call', id: 0, call: { op: 'mailbox', mailbox, message } }),
      mailboxGone: (mailbox) => {
        for (const peer of this.transport.peers())
          this.transport.send(peer, { kind: 'call', id: 0, call: { op: 'mailboxGone', mailbox } });
      },
      system: (group, event) => this.shards.deliver(group, { kind: 'system', event }),
      error: (error) => this.reportError(error),
    });
    this.transport = this.openTransport(options, {
      receive: (from, envelopes) => this.receive(from, envelopes),
      clientCall: (call, answer) => {
        // A client watches; it does not take part (it is no peer, so nothing can answer it back).
        if (call.op === 'overview' || call.op === 'status') this.perform(call, 'client', answer);
        else
          answer({
            kind: 'error',
            code: 'BAD_ARGUMENT',
            message: `a client may ask overview or status, not ${call.op}`,
          });
      },
      peerUp: (peer) => {
        this.shards.peerChanged(peer, true);
        this.emit('up', peer);
      },
      peerDown: (peer) => {
        this.calls.lostWith(peer);
        this.shards.peerChanged(peer, false);
        this.effects.nodeDown(peer);
        this.emit('down', peer);
      },
    });
    this.router = new Router({
      name: this.name,
      clock,
      calls: this.calls,
      transport: this.transport,
      isLocal: (group) => this.shards.has(group),
      localRecord: (group) => this.local.record(group),
      perform: (call, from, answer) => this.perform(call, from, answer),
      toActor: (call, answer, deadline) => this.toActor(call, answer, deadline),
    });
    this.creation = {
      name: this.name,
      clock,
      router: this.router,
      transport: this.transport,
      campaign: (group, node) => {
        if (node === this.name) this.shards.deliver(group, { kind: 'campaign' });
        else this.transport.send(node, { kind: 'call', id: 0, call: { op: 'campaign', group } });
      },
    };
  }

  private openTransport(options: NodeOptions, events: TransportEvents): Transport {
    if (options.listen === undefined) return this.environment.localTransport(this.name, events);
    return new TcpTransport(
      {
        name: this.name,
        listen: options.listen,
        peers: options.peers ?? {},
        secret: options.secret!,
        ...(options.tls === undefined ? {} : { tls: options.tls }),
        ...options.transport,
        log: (kind, line) => {
          const code =
            kind === 'UNAUTHORIZED'
              ? 'UNAUTHORIZED'
              : kind === 'UNENCODABLE'
                ? 'MACHINE_ERROR'
                : 'BAD_ARGUMENT';
          this.reportError(new FlotillaError(code, line));
        },
      },
      events,
    );
  }

  /** startNode, in `environment` (the simulator's; by default the process's). */
  static async start(input: NodeOptions, environment = processEnvironment): Promise<FlotillaNode> {
    const options = validateNodeOptions(input);
    let node: FlotillaNode | undefined;
    let wal: GroupLog | undefined;
    let directory: GroupDirectory | undefined;
    try {
      wal = await environment.openLog({
        directory: options.dataDir,
        sync: options.sync ?? true,
        onDurable: (reports) => {
          reports.forEach((seq, group) => {
            node?.shards.deliver(group, { kind: 'durable', seq });
          });
        },
        onDrain: () => {
          if (node !== undefined) node.walCongested = false;
        },
        onError: (error) => node?.reportError(error),
      });
      directory = environment.openDirectory(join(options.dataDir, 'directory'));
      node = new FlotillaNode(options, wal, directory, environment);
      await node.local.openAll();
      // Listening last: a peer's first messages find every group here already open.
      if (node.transport instanceof TcpTransport) await node.transport.start();
      node.started();
      return node;
    } catch (error) {
      if (node !== undefined) await node.close().catch(() => {});
      else {
        await wal?.close().catch(() => {});
        await directory?.close().catch(() => {});
      }
      throw startFailure(options.name, error);
    }
  }

  // ---- Groups -------------------------------------------------------------------------------

  async createGroup(name: string, spec: GroupSpec, options: CallOptions = {}): Promise<void> {
    this.ensureOpen();
    checkGroupName(name);
    const record = recordOf(name, spec);
    const deadline = this.router.deadline(options);
    const existing = this.local.record(name);
    if (existing !== undefined && !sameSpec(existing, record))
      throw badArgument(`group ${name} exists with a different spec`);
    await createMembers(this.creation, record, deadline);
    await this.waitForLeader(name, record.members, deadline);
  }

  async deleteGroup(name: string, options: CallOptions = {}): Promise<void> {
    this.ensureOpen();
    const deadline = this.router.deadline(options);
    // Where members may be: as a running member says, and as the group's record says (a member
    // removed while its node was down still holds its data, and no leader is left to tell it
    // it is out once the group is gone); and always this node, if it holds the group.
    const record = await this.router.recordFor(name, deadline);
    const members = await this.members(name, options).catch(() => null);
    const targets = new Set([...record.members, ...(members === null ? [] : allMembers(members))]);
    if (this.local.record(name) !== undefined) targets.add(this.name);
    await Promise.all(
      [...targets].map(async (member) => {
        const outcome = await this.router.callOn(member, { op: 'deleteMember', group: name }, deadline);
        if (outcome.kind === 'error' && outcome.code === 'NO_SUCH_GROUP') return;
        throwIfFailed(outcome, `delete ${name} on ${member}`);
      }),
    );
  }

  groups(): string[] {
    return this.local.names();
  }

  async stopGroup(name: string): Promise<void> {
    this.ensureOpen();
    await this.local.stop(name).catch(rethrow);
  }

  async restartGroup(name: string): Promise<void> {
    this.ensureOpen();
    await this.local.restart(name).catch(rethrow);
  }

  async status(name: string): Promise<GroupStatus> {
    this.ensureOpen();
    return this.local.status(name).catch(rethrow);
  }

  overview(): Overview {
    return nodeOverview({
      node: this.name,
      shards: this.shards,
      wal: this.wal,
      transport: this.transport,
      unknownGroup: this.unknownGroupMessages,
      groups: this.local.size,
      effects: this.effects,
      failures: this.local.failures,
    });
  }

  // ---- Commands and queries -----------------------------------------------------------------

  command<R = unknown>(name: string, command: unknown, options: CallOptions = {}): Promise<R> {
    try {
      this.ensureOpen();
      if (this.walCongested) throw new FlotillaError('OVERLOADED', 'the WAL is behind: try later');
      // Encoded now: what the caller does with `command` afterwards cannot change what is applied.
      const data = encodeCommand(command);
      return this.router.routed(
        name,
        { op: 'command', group: name, data },
        this.router.deadline(options),
      ) as Promise<R>;
    } catch (error) {
      // Bad input and a closed node are answered as every other failure is: by a rejection.
      return Promise.reject(error);
    }
  }

  async query<T = unknown>(
    name: string,
    query: string,
    arg?: unknown,
    options: QueryOptions = {},
  ): Promise<T> {
    this.ensureOpen();
    if (typeof query !== 'string') throw badArgument('a query is named by a string');
    // The argument crosses to the member's thread or node as it is: it must be plain data.
    const problem = plainDataProblem(arg, 'the query argument');
    if (problem !== null) throw badArgument(problem);
    const consistency = options.consistency ?? 'leader';
    if (!['local', 'leader', 'consistent'].includes(consistency))
      throw badArgument(`consistency must be local, leader or consistent, not ${String(consistency)}`);
    const call: RemoteCall = { op: 'query', group: name, name: query, arg, consistency };
    const deadline = this.router.deadline(options);
    if (consistency === 'local')
      return localValue(await this.router.callOn(this.name, call, deadline), name) as T;
    return (await this.router.routed(name, call, deadline)) as T;
  }

  /**
   * Adds `node`'s member: created empty (a new identity, whatever the node held before that is
   * gone), caught up by the leader, and, for a voter, promoted. Resolves once it is a voter
   * (or, with `voter: false`, a non-voter).
   */
  async addMember(
    name: string,
    node: string,
    options: CallOptions & { voter?: boolean } = {},
  ): Promise<void> {
    this.ensureOpen();
    if (typeof node !== 'string' || node === '') throw badArgument('a member is a node name');
    const voter = options.voter ?? true;
    if (typeof voter !== 'boolean') throw badArgument('voter is true or false');
    const deadline = this.router.deadline(options);
    const record = await this.router.recordFor(name, deadline);
    const member = await createJoiner(this.creation, record, node, deadline);
    const change: NodeChange = { kind: 'add', node, member, voter };
    await this.changeMembers(name, change, deadline);
    if (voter) await this.waitForVoter(name, node, deadline);
  }

  async removeMember(name: string, node: string, options: CallOptions = {}): Promise<void> {
    this.ensureOpen();
    if (typeof node !== 'string' || node === '') throw badArgument('a member is a node name');
    const deadline = this.router.deadline(options);
    const change: NodeChange = { kind: 'remove', node };
    await this.changeMembers(name, change, deadline);
    // Out of the group now; its data goes too. A node not reachable is asked again until the
    // deadline (its member, out of date, would otherwise keep its data and stand for election).
    for (;;) {
      const removed = await this.router.callOn(node, { op: 'deleteMember', group: name }, deadline);
      if (removed.kind === 'ok' || (removed.kind === 'error' && removed.code === 'NO_SUCH_GROUP')) return;
      if (removed.kind === 'error' && removed.code !== 'TIMEOUT') throwIfFailed(removed, `remove ${name}`);
      await backOff(
        this.clock,
        deadline,
        () =>
          `remove ${name}: ${node} is out of the group, but was not reachable to delete its member's data (it deletes it once it hears from a leader)`,
      );
    }
  }

  async transferLeadership(name: string, node: string, options: CallOptions = {}): Promise<void> {
    this.ensureOpen();
    await this.router.routed(
      name,
      { op: 'transfer', group: name, target: node },
      this.router.deadline(options),
    );
  }

  /**
   * The group's leader and members as its leader says, when a leader answers: a member that is
   * cut off, or was removed without knowing it yet, may name no leader or an old one. Without a
   * leader, the first member with data that answers.
   */
  async members(name: string, options: CallOptions = {}): Promise<Members> {
    this.ensureOpen();
    const deadline = this.router.deadline(options);
    const record = await this.router.recordFor(name, deadline);
    const viewOn = async (member: string): Promise<MemberView | null> => {
      const outcome = await this.router.callOn(member, { op: 'members', group: name }, deadline);
      if (outcome.kind !== 'ok' || (outcome.value as MemberView).stalled) return null;
      return outcome.value as MemberView;
    };
    // The leader last heard of first, then this node's member, then the others; a member that
    // names a leader not asked yet sends the question there next. Known leaders answer in one call.
    const known = this.router.leaders.get(name);
    const queue = [
      ...(known === undefined ? [] : [known]),
      ...(this.shards.has(name) ? [this.name] : []),
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
        this.router.leaders.set(name, member);
        return membersOf(view);
      }
      fallback ??= view;
      if (view.leader !== null && !asked.has(view.leader)) queue.unshift(view.leader);
    }
    if (fallback !== null) return membersOf(fallback);
    throw new FlotillaError('NO_SUCH_GROUP', `no member of ${name} answered`);
  }

  mailbox(name: string, handler: MailboxHandler): () => void {
    this.ensureOpen();
    if (typeof name !== 'string' || name === '') throw badArgument('a mailbox needs a name');
    if (typeof handler !== 'function') throw badArgument('a mailbox needs a handler function');
    return this.effects.registerMailbox(name, handler);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.transport.close();
    this.effects.close();
    this.leaderNews.close();
    this.calls.close({ kind: 'error', code: 'STOPPED', message: 'the node is closing' });
    // The directory closes whatever else fails; the first failure is what close() rejects with.
    const failure = await this.shards
      .stop()
      .then(() => this.wal.close())
      .then(
        () => null,
        (error: unknown) => error,
      );
    const closing = await this.local.closeDirectory().then(
      () => null,
      (error: unknown) => error,
    );
    if (failure !== null || closing !== null) rethrow(failure ?? closing);
  }

  // ---- Calls from peers and from this node ---------------------------------------------------

  /** Runs a call here; `answer` hears its outcome (a local caller, or a reply to another node). */
  private perform(call: RemoteCall, from: string, answer: (outcome: Outcome) => void): void {
    if (this.closed) {
      answer({ kind: 'error', code: 'STOPPED', message: 'the node is closing' });
      return;
    }
    const settle = (work: Promise<unknown>) =>
      work.then(
        () => answer({ kind: 'ok', value: undefined }),
        (error: unknown) => answer(outcomeOf(error)),
      );
    switch (call.op) {
      case 'prepareMember':
        this.local.prepare(call.record).then(
          (prepared) => answer({ kind: 'ok', value: prepared }),
          (error: unknown) => answer(outcomeOf(error)),
        );
        return;
      case 'createMember':
        this.local.create(call.record, call.founders, call.member, call.version).then(
          (created) => answer(created === 'stale' ? { kind: 'dropped' } : { kind: 'ok', value: undefined }),
          (error: unknown) => answer(outcomeOf(error)),
        );
        return;
      case 'deleteMember':
        settle(this.deleteMember(call.group));
        return;
      case 'record': {
        const record = this.local.record(call.group);
        answer(record === undefined ? this.local.missing(call.group) : { kind: 'ok', value: record });
        return;
      }
      case 'members':
        this.shards.membership(call.group).then(
          (view) => answer(view === undefined ? this.local.missing(call.group) : { kind: 'ok', value: view }),
          (error: unknown) => answer(outcomeOf(error)),
        );
        return;
      case 'mailbox':
        this.effects.deliver(call.mailbox, call.message);
        return;
      case 'mailboxGone':
        this.effects.targetDown({ node: from, mailbox: call.mailbox }, 'mailboxGone');
        return;
      case 'memberChanged':
        this.shards.deliver(call.group, { kind: 'peer', node: from, up: call.up });
        return;
      case 'campaign':
        this.shards.deliver(call.group, { kind: 'campaign' });
        return;
      case 'overview':
        answer({ kind: 'ok', value: this.overview() });
        return;
      case 'status':
        this.status(call.group).then(
          (status) => answer({ kind: 'ok', value: status }),
          (error: unknown) => answer(outcomeOf(error)),
        );
        return;
      default:
        this.toActor(call, answer, null);
    }
  }

  /**
   * Hands a client call to this node's member of the group; its reply settles `answer`, or
   * TIMEOUT does at `deadline` when one is given (a caller on this node).
   */
  private toActor(call: ActorCall, answer: (outcome: Outcome) => void, deadline: number | null): void {
    if (!this.shards.has(call.group)) {
      answer(this.local.missing(call.group));
      return;
    }
    const request = this.calls.add(answer, deadline);
    if (!this.shards.deliver(call.group, actorInput(call, request))) {
      this.calls.drop(request);
      answer({ kind: 'error', code: 'OVERLOADED', message: `the mailbox of ${call.group} is full` });
    }
  }

  private receive(from: string, envelopes: readonly Envelope[]): void {
    if (this.closed) return;
    for (const envelope of envelopes) {
      switch (envelope.kind) {
        case 'raft':
          // A group deleted here, or never created, or a sender naming a member of another node:
          // nothing to tell, as a lost message.
          if (!this.shards.has(envelope.group) || !isOn(envelope.from, from)) {
            this.unknownGroupMessages += 1;
            break;
          }
          this.shards.deliver(envelope.group, {
            kind: 'message',
            from: envelope.from,
            message: envelope.message as Message,
          });
          break;
        case 'call': {
          const { id } = envelope;
          this.perform(envelope.call, from, (outcome) => {
            if (id !== 0) this.transport.send(from, { kind: 'result', id, outcome });
          });
          break;
        }
        case 'result':
          this.calls.settle(envelope.id, envelope.outcome);
          break;
      }
    }
  }

  // ---- What members here do ------------------------------------------------------------------

  private async deleteMember(group: string): Promise<void> {
    await this.local.delete(group);
    this.router.forget(group);
  }

  /** The member here is out of its group (its removal committed): its state goes. */
  private removedHere(group: string): void {
    if (this.closed || this.local.record(group) === undefined) return;
    this.deleteMember(group).catch((error: unknown) =>
      this.emit(
        'error',
        new FlotillaError('STOPPED', `deleting the removed member of ${group}: ${String(error)}`),
      ),
    );
  }

  /** The member here closed or opened again: effects it owned go, and its peers hear of it. */
  private memberChanged(group: string, up: boolean): void {
    if (!up) {
      this.effects.forget(group);
      if (this.router.leaders.get(group) === this.name) this.router.leaders.delete(group);
    }
    for (const peer of this.transport.peers())
      this.transport.send(peer, { kind: 'call', id: 0, call: { op: 'memberChanged', group, up } });
  }

  private persist(group: string, seq: number, write: Write): void {
    if (!this.wal.write(group, seq, write)) this.walCongested = true;
  }

  private leaderChanged(group: string, leader: NodeId | null, term: number): void {
    const leaders = this.router.leaders;
    const before = leaders.get(group);
    if (leader === null) leaders.delete(group);
    else leaders.set(group, leader);
    if (leader !== null) this.leaderNews.heard(group);
    if (before === this.name && leader !== this.name) this.effects.forget(group);
    if (leader !== before) this.emit('leader', group, leader, term);
  }

  private runEffects(group: string, effects: readonly Effect[]): void {
    this.effects.run(group, effects);
  }

  /**
   * A membership change, made at the leader. One change goes at a time, and a new leader takes
   * none before it has committed an entry of its term: a change refused as busy (or for a full
   * mailbox) was not appended, so it waits a moment and is asked again, to the deadline.
   */
  private async changeMembers(name: string, change: NodeChange, deadline: number): Promise<void> {
    let refused: FlotillaError | null = null;
    for (;;) {
      try {
        await this.router.routed(name, { op: 'changeMembers', group: name, change }, deadline);
        return;
      } catch (error) {
        const busy = error instanceof FlotillaError && error.code === 'OVERLOADED';
        // Past the deadline the caller hears the busy group's own answer, not TIMEOUT.
        if (busy && this.clock.now() + noLeaderBackoffMs < deadline) {
          refused = error;
          await sleep(this.clock, noLeaderBackoffMs);
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
    for (;;) {
      const left = Math.max(1, deadline - this.clock.now());
      const view = await this.members(name, { timeoutMs: left }).catch(() => null);
      if (view?.voters.includes(node)) return;
      await backOff(
        this.clock,
        deadline,
        () => `${node} was added to ${name} but is not a voter yet (still catching up)`,
      );
    }
  }

  private async waitForLeader(name: string, members: readonly string[], deadline: number): Promise<void> {
    if (this.shards.has(name)) {
      // A member here hears of the leader itself: wait for that rather than asking around.
      if (this.router.leaders.has(name) || (await this.leaderNews.wait(name, deadline))) return;
      throw new FlotillaError('TIMEOUT', `group ${name} has no leader yet`);
    }
    for (;;) {
      for (const member of members) {
        if (member !== this.name && !this.transport.isUp(member)) continue;
        const outcome = await this.router.callOn(member, { op: 'members', group: name }, deadline);
        if (outcome.kind === 'ok' && (outcome.value as Members).leader !== null) return;
      }
      await backOff(this.clock, deadline, () => `group ${name} has no leader yet`);
    }
  }

  /** Emits `error`, or keeps it for just after startNode resolves, when listeners can be there. */
  private reportError(error: Error): void {
    if (this.startupErrors === null) this.emit('error', error);
    else this.startupErrors.push(error);
  }

  private started(): void {
    const errors = this.startupErrors ?? [];
    this.startupErrors = null;
    // After the caller's continuation, which is where it adds its listeners.
    if (errors.length > 0)
      this.clock.soon(() => {
        for (const error of errors) this.emit('error', error);
      });
  }

  private ensureOpen(): void {
    if (this.closed) throw new FlotillaError('STOPPED', `node ${this.name} is closed`);
  }
}

export async function startNode(options: NodeOptions): Promise<FlotillaNode> {
  return FlotillaNode.start(options);
}

export type { SystemEvent };

/** System error codes that mean the options point at something this node cannot use. */
const unusableOption = new Set([
  'EACCES',
  'EPERM',
  'ENOTDIR',
  'EEXIST',
  'EROFS',
  'EADDRINUSE',
  'EADDRNOTAVAIL',
]);

/** What startNode rejects with: a FlotillaError, BAD_ARGUMENT where the options are at fault. */
function startFailure(name: string, error: unknown): FlotillaError {
  if (error instanceof FlotillaError) return error;
  const code = (error as { code?: unknown } | null)?.code;
  const message = `node ${name} could not start: ${error instanceof Error ? error.message : String(error)}`;
  return new FlotillaError(
    typeof code === 'string' && unusableOption.has(code) ? 'BAD_ARGUMENT' : 'STOPPED',
    message,
  );
}

/** What members() answers: the view without what only the node needs. */
function membersOf(view: MemberView): Members {
  return { leader: view.leader, voters: view.voters, nonVoters: view.nonVoters };
}

/** Rejects with what a caller may see: a FlotillaError (an internal failure is STOPPED). */
function rethrow(error: unknown): never {
  throw asFlotillaError(error);
}
