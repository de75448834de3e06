// A Flotilla node: the public API of API.md, and the wiring of what carries it out: this node's
// members (local-members.ts), the router to a group's leader (router.ts), administration of
// groups (group-admin.ts), the server side of calls (call-server.ts), the effects host and the
// transport to the other nodes.
import { join } from 'node:path';
import { EventEmitter } from 'eventemitter3';
import type { Effect, SystemEvent } from '../actors/index.js';
import { type Clock, nodeOf, ShardSet, type ShardSetHost, systemClock } from '../actors/index.js';
import type { NodeId, Write } from '../raft/index.js';
import type { GroupLog } from '../wal/index.js';
import { CallServer } from './call-server.js';
import { type QueryOptions, runQuery, sendCommand } from './client-calls.js';
import type { GroupDirectory } from './directory.js';
import { EffectsHost, type MailboxHandler } from './effects-host.js';
import { asFlotillaError, badArgument, FlotillaError } from './errors.js';
import { GroupAdmin } from './group-admin.js';
import type { CreationNode } from './group-creation.js';
import type { GroupSpec, Members } from './group-spec.js';
import { LeaderCache } from './leader-cache.js';
import { type GroupStatus, LocalMembers } from './local-members.js';
import { MemberLifecycle } from './member-lifecycle.js';
import { type NodeEnvironment, processEnvironment } from './node-environment.js';
import { type NodeOptions, validateNodeOptions } from './options.js';
import { nodeOverview, type Overview } from './overview.js';
import { PendingCalls } from './pending-calls.js';
import { type CallOptions, Router } from './router.js';
import { TcpTransport } from './tcp/tcp-transport.js';
import type { Transport, TransportEvents } from './transport.js';

export type { QueryOptions } from './client-calls.js';
export type { GroupStatus } from './local-members.js';
export type { CallOptions } from './router.js';

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
  private readonly leaders: LeaderCache;
  private readonly admin: GroupAdmin;
  private readonly server: CallServer;
  private readonly lifecycle: MemberLifecycle;
  private readonly transport: Transport;
  private readonly effects: EffectsHost;
  private readonly calls: PendingCalls;
  private closed = false;
  private walCongested = false;
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
    this.leaders = new LeaderCache(this.name, clock, {
      changed: (group, leader, term) => this.emit('leader', group, leader, term),
      leadershipLost: (group) => this.effects.forget(group),
    });
    this.shards = new ShardSet(this.name, options.threads ?? 0, this.shardHost(), clock, {
      // Peers reached in-process only: a node on TCP keeps every message on the network.
      linkInProcess: options.listen === undefined && environment.linkShards === true,
    });
    this.local = new LocalMembers(
      this.name,
      directory,
      wal,
      this.shards,
      {
        changed: (group, up) => this.lifecycle.changed(group, up),
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
    this.transport = this.openTransport(options, this.transportEvents());
    // The parts below see the node through the narrow views their files name.
    this.server = new CallServer({
      local: this.local,
      shards: this.shards,
      effects: this.effects,
      calls: this.calls,
      transport: this.transport,
      isClosed: () => this.closed,
      overview: () => this.overview(),
      deleteMember: (group) => this.lifecycle.deleteMember(group),
    });
    this.router = new Router({
      name: this.name,
      clock,
      calls: this.calls,
      transport: this.transport,
      leaders: this.leaders,
      isLocal: (group) => this.shards.has(group),
      localRecord: (group) => this.local.record(group),
      perform: (call, from, answer) => this.server.perform(call, from, answer),
      toActor: (call, answer, deadline) => this.server.toActor(call, answer, deadline),
    });
    this.lifecycle = new MemberLifecycle({
      local: this.local,
      router: this.router,
      leaders: this.leaders,
      effects: this.effects,
      transport: this.transport,
      isClosed: () => this.closed,
      reportError: (error) => this.reportError(error),
    });
    const creation: CreationNode = {
      name: this.name,
      clock,
      router: this.router,
      transport: this.transport,
      campaign: (group, member) => {
        if (member === this.name) this.shards.deliver(group, { kind: 'campaign' });
        else this.transport.send(member, { kind: 'call', id: 0, call: { op: 'campaign', group } });
      },
    };
    this.admin = new GroupAdmin({
      name: this.name,
      clock,
      router: this.router,
      leaders: this.leaders,
      creation,
      transport: this.transport,
      localRecord: (group) => this.local.record(group),
      isLocal: (group) => this.shards.has(group),
    });
  }

  /** What the shards call on the node: sends, writes, replies and news of the members they run. */
  private shardHost(): ShardSetHost {
    return {
      send: (group, from, to, message) =>
        this.transport.send(nodeOf(to), { kind: 'raft', group, from, message }),
      sendFramed: (to, batch, messages) => this.transport.sendFramed(to, batch, messages),
      refuseFramed: (node, reason) => this.transport.refuse(node, reason),
      persist: (group, seq, write) => this.persist(group, seq, write),
      persistEncoded: (writes) => {
        if (!this.wal.writeEncoded(writes)) this.walCongested = true;
      },
      reply: (request, outcome) => this.calls.settle(request, outcome),
      leaderChanged: (group, leader, term) => this.leaders.reported(group, leader, term),
      effects: (group, effects) => this.runEffects(group, effects),
      report: (group, code, message) =>
        this.reportError(new FlotillaError(code, `group ${group} on ${this.name}: ${message}`)),
      memberFailed: (group, reason) => this.local.memberFailed(group, reason),
      // After the member's turn: it is still running the step that found it out.
      removed: (group) => this.clock.soon(() => this.lifecycle.removed(group)),
      shardFailed: (failure) => this.local.shardFailed(failure),
      ...(this.environment.watch === undefined ? {} : { watch: this.environment.watch }),
    };
  }

  /** What the transport calls on the node: what peers send, what clients ask, peers up and down. */
  private transportEvents(): TransportEvents {
    return {
      receive: (from, envelopes) => this.server.receive(from, envelopes),
      receiveFramed: (from, batch) => this.server.receiveFramed(from, batch),
      clientCall: (call, answer) => {
        // A client watches; it does not take part (it is no peer, so nothing can answer it back).
        if (call.op === 'overview' || call.op === 'status') this.server.perform(call, 'client', answer);
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
    await this.admin.createGroup(name, spec, options);
  }

  async deleteGroup(name: string, options: CallOptions = {}): Promise<void> {
    this.ensureOpen();
    await this.admin.deleteGroup(name, options);
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
      unknownGroup: this.server.unknownGroupMessages,
      groups: this.local.size,
      effects: this.effects,
      failures: this.local.failures,
    });
  }

  // ---- Commands and queries -----------------------------------------------------------------

  command<R = unknown>(name: string, command: unknown, options: CallOptions = {}): Promise<R> {
    try {
      this.ensureOpen();
      return sendCommand(this.router, this.walCongested, name, command, options) as Promise<R>;
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
    return (await runQuery(this.router, this.name, name, query, arg, options)) as T;
  }

  // ---- Membership ---------------------------------------------------------------------------

  async addMember(
    name: string,
    node: string,
    options: CallOptions & { voter?: boolean } = {},
  ): Promise<void> {
    this.ensureOpen();
    await this.admin.addMember(name, node, options);
  }

  async removeMember(name: string, node: string, options: CallOptions = {}): Promise<void> {
    this.ensureOpen();
    await this.admin.removeMember(name, node, options);
  }

  async transferLeadership(name: string, node: string, options: CallOptions = {}): Promise<void> {
    this.ensureOpen();
    await this.admin.transferLeadership(name, node, options);
  }

  async members(name: string, options: CallOptions = {}): Promise<Members> {
    this.ensureOpen();
    return this.admin.members(name, options);
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
    this.leaders.close();
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

  // ---- What the shards ask of the node -------------------------------------------------------

  private persist(group: string, seq: number, write: Write): void {
    if (!this.wal.write(group, seq, write)) this.walCongested = true;
  }

  private runEffects(group: string, effects: readonly Effect[]): void {
    this.effects.run(group, effects);
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

/** Rejects with what a caller may see: a FlotillaError (an internal failure is STOPPED). */
function rethrow(error: unknown): never {
  throw asFlotillaError(error);
}
