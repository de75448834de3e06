// A Flotilla node: the public API of API.md over a shard of group actors, the shared WAL, the
// directory of groups and the transport to the other nodes. Client calls are routed to the
// group's leader, retried only where the command is known not to have been appended.
import { join } from 'node:path';
import { EventEmitter } from 'eventemitter3';
import type { Effect, SystemEvent } from '../actors/index.js';
import {
  type Consistency,
  encodeCommand,
  groupHash,
  type MemberSpec,
  type MemberStatus,
  type Outcome,
  plainDataProblem,
  type ShardFailure,
  ShardSet,
  type ShardSetHost,
} from '../actors/index.js';
import type { MembershipChange, Message, NodeId, Write } from '../raft/index.js';
import { SharedLog } from '../wal/index.js';
import { Directory, type GroupRecord } from './directory.js';
import { EffectsHost, type MailboxHandler } from './effects-host.js';
import type { Envelope, RemoteCall } from './envelope.js';
import { badArgument, FlotillaError } from './errors.js';
import {
  allMembers,
  checkGroupName,
  type GroupSpec,
  type Members,
  recordOf,
  sameSpec,
} from './group-spec.js';
import { InProcessTransport } from './in-process-transport.js';
import { LeaderNews } from './leader-news.js';
import { type NodeOptions, validateNodeOptions } from './options.js';
import { actorInput, errorOf, localValue, outcomeOf, throwIfFailed } from './outcomes.js';
import { nodeOverview, type Overview } from './overview.js';
import { PendingCalls } from './pending-calls.js';
import { TcpTransport } from './tcp/tcp-transport.js';
import type { Transport, TransportEvents } from './transport.js';

/** How long a call waits by default before TIMEOUT. */
export const defaultTimeoutMs = 5000;
/** Records of groups with no member here kept at most: the cache starts over past this. */
const maxRemoteRecords = 10_000;
/** Pause before asking again when no leader is known yet. */
const noLeaderBackoffMs = 20;

/**
 * A member's status as status() reports it: a stopped member reports role 'stopped' and zeros,
 * a failed one (it could not open, it broke an invariant, its thread died) 'failed' and why.
 */
export interface GroupStatus extends Omit<MemberStatus, 'role'> {
  readonly group: string;
  readonly node: string;
  readonly role: MemberStatus['role'] | 'stopped' | 'failed';
  /** Why the member failed, for role 'failed'; null otherwise. */
  readonly failure: string | null;
}

export interface CallOptions {
  readonly timeoutMs?: number;
}

export interface QueryOptions extends CallOptions {
  readonly consistency?: Consistency;
}

/** The calls a group's member answers itself. */
type ActorCall = Extract<RemoteCall, { op: 'command' | 'query' | 'changeMembers' | 'transfer' }>;

function isActorCall(call: RemoteCall): call is ActorCall {
  return (
    call.op === 'command' || call.op === 'query' || call.op === 'changeMembers' || call.op === 'transfer'
  );
}

export interface NodeEvents {
  leader: (group: string, node: NodeId | null, term: number) => void;
  down: (node: string) => void;
  up: (node: string) => void;
  error: (error: Error) => void;
}

export class FlotillaNode extends EventEmitter<NodeEvents> {
  readonly name: string;
  private readonly shards: ShardSet;
  private readonly transport: Transport;
  private readonly effects: EffectsHost;
  private readonly calls = new PendingCalls();
  private readonly leaders = new Map<string, NodeId>();
  private readonly leaderNews = new LeaderNews();
  /** Records of groups with no member here, learned from peers. */
  private readonly remoteRecords = new Map<string, GroupRecord>();
  private closed = false;
  private walCongested = false;
  /** Raft messages dropped because no member of their group runs here. */
  private unknownGroupMessages = 0;
  /** Members here that failed (could not open, broke an invariant, lost their thread), and why. */
  private readonly failures = new Map<string, string>();

  private constructor(
    readonly options: NodeOptions,
    private readonly wal: SharedLog,
    private readonly directory: Directory,
  ) {
    super();
    this.name = options.name;
    const host: ShardSetHost = {
      send: (group, to, message) => this.transport.send(to, { kind: 'raft', group, message }),
      persist: (group, seq, write) => this.persist(group, seq, write),
      reply: (request, outcome) => this.calls.settle(request, outcome),
      leaderChanged: (group, leader, term) => this.leaderChanged(group, leader, term),
      effects: (group, effects) => this.runEffects(group, effects),
      report: (group, code, message) =>
        this.emit('error', new FlotillaError(code, `group ${group} on ${this.name}: ${message}`)),
      memberFailed: (group, reason) => this.memberFailed(group, reason),
      shardFailed: (failure) => this.shardFailed(failure),
    };
    this.shards = new ShardSet(this.name, options.threads ?? 0, host);
    this.effects = new EffectsHost({
      name: this.name,
      isUp: (node) => this.transport.isUp(node),
      sendRemote: (node, mailbox, message) =>
        this.transport.send(node, { kind: 'call', id: 0, call: { op: 'mailbox', mailbox, message } }),
      mailboxGone: (mailbox) => {
        for (const peer of this.transport.peers())
          this.transport.send(peer, { kind: 'call', id: 0, call: { op: 'mailboxGone', mailbox } });
      },
      system: (group, event) => this.shards.deliver(group, { kind: 'system', event }),
      error: (error) => this.emit('error', error),
    });
    const events: TransportEvents = {
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
    };
    this.transport =
      options.listen === undefined
        ? new InProcessTransport(this.name, events)
        : new TcpTransport(
            {
              name: this.name,
              listen: options.listen,
              peers: options.peers ?? {},
              secret: options.secret!,
              ...(options.tls === undefined ? {} : { tls: options.tls }),
              ...options.transport,
              log: (kind, line) =>
                this.emit(
                  'error',
                  new FlotillaError(
                    kind === 'UNAUTHORIZED'
                      ? 'UNAUTHORIZED'
                      : kind === 'UNENCODABLE'
                        ? 'MACHINE_ERROR'
                        : 'BAD_ARGUMENT',
                    line,
                  ),
                ),
            },
            events,
          );
  }

  static async start(input: NodeOptions): Promise<FlotillaNode> {
    const options = validateNodeOptions(input);
    let node: FlotillaNode | undefined;
    let wal: SharedLog | undefined;
    let directory: Directory | undefined;
    try {
      wal = await SharedLog.open({
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
        onError: (error) => node?.emit('error', error),
      });
      directory = new Directory(join(options.dataDir, 'directory'));
      node = new FlotillaNode(options, wal, directory);
      // One group that cannot open does not keep the node, or its other groups, down.
      for (const record of directory.all()) {
        if (record.stopped) continue;
        await node.openMember(record, false).catch((error: unknown) => node!.failed(record.name, error));
      }
      // Listening last: a peer's first messages find every group here already open.
      if (node.transport instanceof TcpTransport) await node.transport.start();
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
    const deadline = this.deadline(options);
    const existing = this.directory.get(name);
    if (existing !== undefined && !sameSpec(existing, record))
      throw badArgument(`group ${name} exists with a different spec`);
    await Promise.all(
      record.members.map(async (member) => {
        for (;;) {
          const outcome = await this.callOn(member, { op: 'createMember', record, founding: true }, deadline);
          // A member's node not connected yet (a cluster starting up) is waited for, to the deadline.
          const unreachable = outcome.kind === 'notLeader' && outcome.leader === null;
          if (unreachable && Date.now() + noLeaderBackoffMs < deadline) {
            await new Promise((resolve) => setTimeout(resolve, noLeaderBackoffMs));
            continue;
          }
          if (unreachable)
            throw new FlotillaError('TIMEOUT', `create ${name}: node ${member} is not reachable`);
          throwIfFailed(outcome, `create ${name} on ${member}`);
          return;
        }
      }),
    );
    if (existing === undefined) {
      // Leaders spread over the members by name; the others would only wait out a timeout.
      const preferred = record.members[groupHash(name) % record.members.length]!;
      if (preferred === this.name) this.shards.deliver(name, { kind: 'campaign' });
      else this.transport.send(preferred, { kind: 'call', id: 0, call: { op: 'campaign', group: name } });
    }
    await this.waitForLeader(name, record.members, deadline);
  }

  async deleteGroup(name: string, options: CallOptions = {}): Promise<void> {
    this.ensureOpen();
    const deadline = this.deadline(options);
    // Where members are: as a running member says, or, when none answers (all failed or
    // stopped), as the group's record says; and always this node, if it holds the group.
    const record = await this.recordFor(name);
    const members = await this.members(name, options).catch(() => null);
    const targets = new Set(members === null ? record.members : allMembers(members));
    if (this.directory.get(name) !== undefined) targets.add(this.name);
    await Promise.all(
      [...targets].map(async (member) => {
        const outcome = await this.callOn(member, { op: 'deleteMember', group: name }, deadline);
        if (outcome.kind === 'error' && outcome.code === 'NO_SUCH_GROUP') return;
        throwIfFailed(outcome, `delete ${name} on ${member}`);
      }),
    );
  }

  groups(): string[] {
    return [...this.directory.all()].map((record) => record.name).sort();
  }

  async stopGroup(name: string): Promise<void> {
    this.ensureOpen();
    const record = this.requireLocal(name);
    await this.closeMember(name);
    await this.directory.put({ ...record, stopped: true });
  }

  async restartGroup(name: string): Promise<void> {
    this.ensureOpen();
    const record = this.requireLocal(name);
    await this.closeMember(name);
    await this.directory.put({ ...record, stopped: false });
    await this.openMember({ ...record, stopped: false }, false);
    await this.tellMembers(name, true);
  }

  /** Closes this node's member of a group and tells the other members not to wait on it. */
  private async closeMember(name: string): Promise<void> {
    if (!this.shards.has(name)) return;
    await this.tellMembers(name, false);
    await this.shards.close(name);
    this.effects.forget(name);
  }

  private async tellMembers(name: string, up: boolean): Promise<void> {
    const view = await this.shards.membership(name).catch(() => undefined);
    const peers = view === undefined ? (this.directory.get(name)?.members ?? []) : allMembers(view);
    for (const peer of peers) {
      if (peer !== this.name && this.transport.isUp(peer))
        this.transport.send(peer, { kind: 'call', id: 0, call: { op: 'memberChanged', group: name, up } });
    }
  }

  async status(name: string): Promise<GroupStatus> {
    this.ensureOpen();
    this.requireLocal(name);
    const status = await this.shards.status(name).catch(() => undefined);
    if (status === undefined) {
      const failure = this.failures.get(name) ?? null;
      return {
        group: name,
        node: this.name,
        role: failure === null ? 'stopped' : 'failed',
        failure,
        term: 0,
        leader: null,
        commitIndex: 0,
        appliedIndex: 0,
        logSize: 0,
        snapshotIndex: 0,
        pendingCommands: 0,
      };
    }
    return { group: name, node: this.name, ...status, failure: null };
  }

  overview(): Overview {
    return nodeOverview({
      node: this.name,
      shards: this.shards,
      wal: this.wal,
      transport: this.transport,
      unknownGroup: this.unknownGroupMessages,
      groups: this.directory.size,
      effects: this.effects,
      failures: this.failures,
    });
  }

  // ---- Commands and queries -----------------------------------------------------------------

  command<R = unknown>(name: string, command: unknown, options: CallOptions = {}): Promise<R> {
    try {
      this.ensureOpen();
      if (this.walCongested) throw new FlotillaError('OVERLOADED', 'the WAL is behind: try later');
      // Encoded now: what the caller does with `command` afterwards cannot change what is applied.
      const data = encodeCommand(command);
      return this.routed(name, { op: 'command', group: name, data }, options) as Promise<R>;
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
    if (consistency === 'local') {
      const outcome = await this.callOn(this.name, call, this.deadline(options));
      return localValue(outcome, name) as T;
    }
    return (await this.routed(name, call, options)) as T;
  }

  async addMember(
    name: string,
    node: string,
    options: CallOptions & { voter?: boolean } = {},
  ): Promise<void> {
    this.ensureOpen();
    if (typeof node !== 'string' || node === '') throw badArgument('a member is a node name');
    const deadline = this.deadline(options);
    const record = await this.recordFor(name);
    const created = await this.callOn(node, { op: 'createMember', record, founding: false }, deadline);
    throwIfFailed(created, `create ${name} on ${node}`);
    const change: MembershipChange = { kind: 'add', node, voter: options.voter ?? true };
    await this.routed(name, { op: 'changeMembers', group: name, change }, options, deadline);
  }

  async removeMember(name: string, node: string, options: CallOptions = {}): Promise<void> {
    this.ensureOpen();
    const deadline = this.deadline(options);
    const change: MembershipChange = { kind: 'remove', node };
    await this.routed(name, { op: 'changeMembers', group: name, change }, options, deadline);
    const removed = await this.callOn(node, { op: 'deleteMember', group: name }, deadline);
    if (removed.kind === 'error' && removed.code !== 'NO_SUCH_GROUP')
      throwIfFailed(removed, `remove ${name}`);
  }

  async transferLeadership(name: string, node: string, options: CallOptions = {}): Promise<void> {
    this.ensureOpen();
    await this.routed(name, { op: 'transfer', group: name, target: node }, options);
  }

  async members(name: string, options: CallOptions = {}): Promise<Members> {
    this.ensureOpen();
    const deadline = this.deadline(options);
    const record = await this.recordFor(name);
    const asked = this.shards.has(name) ? [this.name, ...record.members] : record.members;
    for (const member of new Set(asked)) {
      const outcome = await this.callOn(member, { op: 'members', group: name }, deadline);
      if (outcome.kind === 'ok') return outcome.value as Members;
    }
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
    await this.shards.stop();
    await this.wal.close();
    await this.directory.close();
  }

  // ---- Routing -------------------------------------------------------------------------------

  /**
   * Sends `call` to the group's leader, following leader hints. It tries again only when the
   * answer says nothing was appended (not the leader) or that the entry was replaced before it
   * could apply; anything else is the answer. The first try is made at once: a caller whose
   * group and leader are known pays for one call and nothing more.
   */
  private routed(name: string, call: RemoteCall, options: CallOptions, given?: number): Promise<unknown> {
    const deadline = given ?? this.deadline(options);
    const record = this.directory.get(name) ?? this.remoteRecords.get(name);
    if (record === undefined)
      return this.recordFor(name).then((found) => this.followed(name, call, deadline, found.members, null));
    const target = this.leaders.get(name) ?? (this.shards.has(name) ? this.name : record.members[0]!);
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
    let target = tried?.target ?? this.leaders.get(name) ?? (this.shards.has(name) ? this.name : members[0]!);
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
        this.leaders.delete(name);
        candidates = candidates.filter((candidate) => candidate !== target);
        target = candidates[0]!;
      } else if (outcome.kind === 'notLeader' && outcome.leader !== null && outcome.leader !== target) {
        this.leaders.set(name, outcome.leader);
        target = outcome.leader;
      } else {
        // No leader known (or an entry replaced in an election): wait a moment, then ask around.
        this.leaders.delete(name);
        if (Date.now() + noLeaderBackoffMs >= deadline)
          throw new FlotillaError('TIMEOUT', `no leader of ${name} answered in time`);
        await new Promise((resolve) => setTimeout(resolve, noLeaderBackoffMs));
        candidates = [...candidates.slice(1), candidates[0]!];
        target = candidates[0]!;
      }
      outcome = await this.callOn(target, call, deadline);
    }
  }

  /** Runs `call` on `node` (this one or another), resolving with its outcome or TIMEOUT at `deadline`. */
  private callOn(node: string, call: RemoteCall, deadline: number): Promise<Outcome> {
    return new Promise<Outcome>((resolve) => this.callWith(node, call, deadline, resolve));
  }

  /** callOn without a promise: `answer` hears the outcome. */
  private callWith(
    node: string,
    call: RemoteCall,
    deadline: number,
    answer: (outcome: Outcome) => void,
  ): void {
    if (this.calls.full) {
      answer({ kind: 'error', code: 'OVERLOADED', message: 'too many calls in flight' });
      return;
    }
    // A call on a local member is one request: the member's reply settles the caller directly.
    if (node === this.name && isActorCall(call)) {
      this.toActor(call, answer, deadline);
      return;
    }
    if (node === this.name) {
      const id = this.calls.add(answer, deadline);
      this.perform(call, this.name, (outcome) => this.calls.settle(id, outcome));
    } else if (!this.transport.isUp(node)) {
      answer({ kind: 'notLeader', leader: null });
    } else {
      const id = this.calls.add(answer, deadline, node);
      this.transport.send(node, { kind: 'call', id, call });
    }
  }

  /** Runs a call here; `answer` hears its outcome (a local caller, or a reply to another node). */
  private perform(call: RemoteCall, from: string, answer: (outcome: Outcome) => void): void {
    if (this.closed) {
      answer({ kind: 'error', code: 'STOPPED', message: 'the node is closing' });
      return;
    }
    switch (call.op) {
      case 'createMember':
        this.createMember(call.record, call.founding).then(
          () => answer({ kind: 'ok', value: undefined }),
          (error: unknown) => answer(outcomeOf(error)),
        );
        return;
      case 'deleteMember':
        this.deleteMember(call.group).then(
          () => answer({ kind: 'ok', value: undefined }),
          (error: unknown) => answer(outcomeOf(error)),
        );
        return;
      case 'record': {
        const record = this.directory.get(call.group);
        answer(record === undefined ? this.missing(call.group) : { kind: 'ok', value: record });
        return;
      }
      case 'members':
        this.shards.membership(call.group).then(
          (view) => answer(view === undefined ? this.missing(call.group) : { kind: 'ok', value: view }),
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
      answer(this.missing(call.group));
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
          // A group deleted here, or never created: nothing to tell, as a lost message.
          if (!this.shards.has(envelope.group)) {
            this.unknownGroupMessages += 1;
            break;
          }
          this.shards.deliver(envelope.group, {
            kind: 'message',
            from,
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

  // ---- Members on this node -----------------------------------------------------------------

  private async createMember(record: GroupRecord, founding: boolean): Promise<void> {
    const existing = this.directory.get(record.name);
    if (existing !== undefined) {
      if (!sameSpec(existing, record)) throw badArgument(`group ${record.name} exists with a different spec`);
      if (this.shards.has(record.name) || existing.stopped) return;
    } else {
      await this.directory.put(record);
    }
    await this.openMember(record, founding);
  }

  private async openMember(record: GroupRecord, founding: boolean): Promise<void> {
    const spec: Omit<MemberSpec, 'slot'> = {
      group: record.name,
      module: record.module,
      config: record.config,
      founders: founding ? record.members : null,
    };
    await this.shards.open(spec, this.wal.load(record.name));
    this.failures.delete(record.name);
  }

  private async deleteMember(group: string): Promise<void> {
    if (this.directory.get(group) === undefined)
      throw new FlotillaError('NO_SUCH_GROUP', `no group ${group} here`);
    await this.closeMember(group);
    this.failures.delete(group);
    this.leaders.delete(group);
    this.wal.deleteGroup(group);
    await this.directory.remove(group);
  }

  /** This node's member of `group` could not open: it stays closed, and says why. */
  private failed(group: string, error: unknown): void {
    const reason = error instanceof Error ? error.message : String(error);
    this.failures.set(group, reason);
    this.emit(
      'error',
      new FlotillaError('STOPPED', `the member of ${group} on ${this.name} could not open: ${reason}`),
    );
  }

  /** A member here threw and was closed: its peers stop waiting on it, and the node says so. */
  private memberFailed(group: string, reason: string): void {
    this.failures.set(group, reason);
    this.memberGone(group);
    this.emit(
      'error',
      new FlotillaError('STOPPED', `the member of ${group} on ${this.name} failed and stopped: ${reason}`),
    );
  }

  /**
   * A shard's worker failed with these members on it. The one that was running is taken for the
   * cause and stays failed; the others are opened again from the WAL on the fresh worker.
   */
  private shardFailed(failure: ShardFailure): void {
    for (const group of failure.groups) this.memberGone(group);
    const reopen = failure.restarted ? failure.groups.filter((group) => group !== failure.culprit) : [];
    for (const group of failure.groups) {
      if (reopen.includes(group)) continue;
      this.failures.set(
        group,
        group === failure.culprit
          ? `its machine was running when its shard's thread failed: ${failure.reason}`
          : `its shard's thread failed and was not started again: ${failure.reason}`,
      );
    }
    this.emit(
      'error',
      new FlotillaError(
        'STOPPED',
        `shard ${failure.shard} of node ${this.name} failed (${failure.reason}) with ${failure.groups.length} members;` +
          (failure.restarted ? ` ${reopen.length} reopen on a new thread` : ' it is not started again'),
      ),
    );
    for (const group of reopen) {
      const record = this.directory.get(group);
      if (record === undefined || record.stopped) continue;
      this.openMember(record, false).then(
        () => this.tellPeers(group, true),
        (error: unknown) => this.failed(group, error),
      );
    }
  }

  /** This node's member of `group` closed without being asked: nothing here waits on it any more. */
  private memberGone(group: string): void {
    this.effects.forget(group);
    if (this.leaders.get(group) === this.name) this.leaders.delete(group);
    this.tellPeers(group, false);
  }

  /** Tells every peer node that this node's member of `group` is down (or up again). */
  private tellPeers(group: string, up: boolean): void {
    for (const peer of this.transport.peers())
      this.transport.send(peer, { kind: 'call', id: 0, call: { op: 'memberChanged', group, up } });
  }

  private persist(group: string, seq: number, write: Write): void {
    if (!this.wal.write(group, seq, write)) this.walCongested = true;
  }

  private leaderChanged(group: string, leader: NodeId | null, term: number): void {
    const before = this.leaders.get(group);
    if (leader === null) this.leaders.delete(group);
    else this.leaders.set(group, leader);
    if (leader !== null) this.leaderNews.heard(group);
    if (before === this.name && leader !== this.name) this.effects.forget(group);
    if (leader !== before) this.emit('leader', group, leader, term);
  }

  private runEffects(group: string, effects: readonly Effect[]): void {
    this.effects.run(group, effects);
  }

  private async waitForLeader(name: string, members: readonly string[], deadline: number): Promise<void> {
    if (this.shards.has(name)) {
      // A member here hears of the leader itself: wait for that rather than asking around.
      if (this.leaders.has(name) || (await this.leaderNews.wait(name, deadline))) return;
      throw new FlotillaError('TIMEOUT', `group ${name} has no leader yet`);
    }
    for (;;) {
      for (const member of members) {
        if (member !== this.name && !this.transport.isUp(member)) continue;
        const outcome = await this.callOn(member, { op: 'members', group: name }, deadline);
        if (outcome.kind === 'ok' && (outcome.value as Members).leader !== null) return;
      }
      if (Date.now() + noLeaderBackoffMs >= deadline)
        throw new FlotillaError('TIMEOUT', `group ${name} has no leader yet`);
      await new Promise((resolve) => setTimeout(resolve, noLeaderBackoffMs));
    }
  }

  /**
   * The group's record: from this node's directory or, for a group with no member here, from
   * the first peer that knows it, so calls can be made from any node.
   */
  private async recordFor(name: string): Promise<GroupRecord> {
    checkGroupName(name);
    const record = this.directory.get(name) ?? this.remoteRecords.get(name);
    if (record !== undefined) return record;
    const deadline = Date.now() + defaultTimeoutMs;
    for (const peer of this.transport.peers()) {
      const outcome = await this.callOn(peer, { op: 'record', group: name }, deadline);
      if (outcome.kind !== 'ok') continue;
      if (this.remoteRecords.size >= maxRemoteRecords) this.remoteRecords.clear();
      this.remoteRecords.set(name, outcome.value as GroupRecord);
      return outcome.value as GroupRecord;
    }
    throw new FlotillaError('NO_SUCH_GROUP', `no node knows a group ${name}`);
  }

  private requireLocal(name: string): GroupRecord {
    checkGroupName(name);
    const record = this.directory.get(name);
    if (record === undefined)
      throw new FlotillaError('NO_SUCH_GROUP', `no group ${name} on node ${this.name}`);
    return record;
  }

  private missing(group: string): Outcome {
    const record = this.directory.get(group);
    if (record === undefined)
      return { kind: 'error', code: 'NO_SUCH_GROUP', message: `no group ${group} on ${this.name}` };
    const failure = this.failures.get(group);
    if (failure !== undefined)
      return {
        kind: 'error',
        code: 'STOPPED',
        message: `the member of ${group} on ${this.name} failed: ${failure}`,
      };
    return { kind: 'error', code: 'STOPPED', message: `group ${group} is stopped on ${this.name}` };
  }

  private deadline(options: CallOptions): number {
    const timeout = options.timeoutMs ?? defaultTimeoutMs;
    if (!(typeof timeout === 'number' && timeout > 0 && Number.isFinite(timeout)))
      throw badArgument('timeoutMs must be a positive number');
    return Date.now() + timeout;
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
