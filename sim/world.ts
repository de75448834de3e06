// One seed's world: nodes, disks, network, clients and the event loop that drives them on a
// simulated clock. Everything random comes from one seeded generator, so a seed replays exactly.
import {
  bootstrapStoredMember,
  type Member,
  type Message,
  type NodeId,
  type Options,
  type Output,
} from '../raft/index.js';
import { type ClientPort, SimClient } from './client.js';
import { type Coverage, emptyCoverage } from './coverage.js';
import { type GroupId, SimDisk } from './disk.js';
import { EventQueue } from './event-queue.js';
import { type DetectorWorld, SimFailureDetector } from './failure-detector.js';
import { GroupChecker } from './invariants.js';
import { KvMachine } from './kv-machine.js';
import { SimNetwork } from './network.js';
import { Prng } from './prng.js';
import { type Environment, type Reply, SimNode } from './sim-node.js';
import type { SwarmParameters } from './swarm.js';
import { TraceHash } from './trace-hash.js';

type Event =
  | {
      readonly kind: 'deliver';
      readonly from: NodeId;
      readonly to: NodeId;
      readonly group: GroupId;
      readonly message: Message;
    }
  | { readonly kind: 'timer'; readonly node: NodeId; readonly group: GroupId; readonly generation: number }
  | { readonly kind: 'sync'; readonly node: NodeId; readonly epoch: number }
  | { readonly kind: 'action'; readonly action: () => void };

/** Core timing for simulated groups: short, so a seed covers many elections in little work. */
export const simOptions: Partial<Options> = {
  electionTimeout: 300,
  heartbeatInterval: 60,
  retransmitTimeout: 150,
  transferTimeout: 600,
};

export interface GroupState {
  readonly id: GroupId;
  readonly checker: GroupChecker;
  /** Nodes that host a member of the group. */
  readonly hosts: Set<NodeId>;
  readonly clients: SimClient[];
  /** When each node last lost its member of the group (its data deleted). */
  readonly removedAt: Map<NodeId, number>;
  /** Fresh members whose addition has not shown up in a committed configuration yet, by start time. */
  readonly joining: Map<NodeId, number>;
}

export class World implements Environment, ClientPort, DetectorWorld {
  now = 0;
  readonly prng: Prng;
  readonly options: Partial<Options>;
  readonly snapshotEvery: number;
  readonly trace = new TraceHash();
  readonly coverage: Coverage = emptyCoverage();
  readonly network: SimNetwork;
  readonly nodes = new Map<NodeId, SimNode>();
  readonly nodeIds: NodeId[];
  readonly groups = new Map<GroupId, GroupState>();
  private readonly queue = new EventQueue<Event>();
  /** Set by the nemesis to strike at leaders the moment they are elected. */
  onNewLeader: ((node: NodeId) => void) | null = null;
  private readonly disks = new Map<NodeId, SimDisk>();
  private operationIds = 0;
  private steps = 0;
  private readonly detector: SimFailureDetector | null;

  constructor(
    seed: number,
    nodeCount: number,
    groupCount: number,
    readonly swarm: SwarmParameters,
    prng = new Prng(seed),
    quiesce = false,
  ) {
    this.prng = prng;
    this.snapshotEvery = swarm.snapshotEvery;
    this.options = {
      ...simOptions,
      maxEntriesPerMessage: swarm.maxEntriesPerMessage,
      maxInflightMessages: swarm.maxInflightMessages,
      snapshotChunkBytes: swarm.snapshotChunkBytes,
      quiesce,
    };
    this.detector = quiesce ? new SimFailureDetector(this) : null;
    this.network = new SimNetwork(prng, swarm.maxDelay);
    this.network.loss = swarm.loss;
    this.network.duplicate = swarm.duplicate;
    this.nodeIds = Array.from({ length: nodeCount }, (_, index) => `n${index + 1}`);
    for (const id of this.nodeIds) {
      const disk = new SimDisk();
      this.disks.set(id, disk);
      this.nodes.set(id, new SimNode(id, disk, this));
    }
    for (let index = 0; index < groupCount; index += 1) this.createGroup(`g${index + 1}`);
    this.detector?.start();
  }

  // DetectorWorld, for the failure detector of quiescent groups.

  hears(observer: NodeId, target: NodeId): boolean {
    return this.running(target) && !this.network.isBlocked(target, observer);
  }

  running(node: NodeId): boolean {
    const simNode = this.nodes.get(node)!;
    return simNode.up && this.now >= simNode.pausedUntil;
  }

  report(observer: NodeId, target: NodeId, alive: boolean): void {
    this.trace.add(`f${observer}${target}${alive ? 1 : 0}`);
    if (!alive) this.coverage.peersReportedDown += 1;
    this.nodes.get(observer)!.peerChanged(target, alive);
  }

  private createGroup(id: GroupId): void {
    const voters = [...this.nodeIds]
      .sort(() => this.prng.next() - 0.5)
      .slice(0, 3)
      .sort();
    const group: GroupState = {
      id,
      checker: new GroupChecker(id, {
        holds: (member, group, index, entry) => this.disks.get(member)?.holds(group, index, entry) === true,
      }),
      hosts: new Set(voters),
      clients: [],
      removedAt: new Map(),
      joining: new Map(),
    };
    this.groups.set(id, group);
    const stored = bootstrapStoredMember({ voters, nonVoters: [], promote: [] }, new KvMachine().encode());
    for (const voter of voters) {
      this.disks.get(voter)!.install(id, stored);
      this.nodes.get(voter)!.startMember(id);
    }
    const timing = { attemptTimeout: 800, operationDeadline: 4000, thinkTime: this.swarm.thinkTime };
    for (let index = 0; index < this.swarm.clientsPerGroup; index += 1) {
      const client = new SimClient(
        this.groups.size * 100 + index,
        id,
        this,
        timing,
        () => ++this.operationIds,
      );
      group.clients.push(client);
      client.start();
    }
  }

  // Environment, for nodes.

  send(from: NodeId, to: NodeId, group: GroupId, message: Message): void {
    for (const delay of this.network.delays(from, to)) {
      this.queue.push(this.now + delay, { kind: 'deliver', from, to, group, message });
    }
  }

  armTimer(node: NodeId, group: GroupId, at: number, generation: number): void {
    this.queue.push(Math.max(at, this.now), { kind: 'timer', node, group, generation });
  }

  diskWritten(node: NodeId): void {
    const disk = this.disks.get(node)!;
    if (!disk.idle) return;
    disk.startSync();
    this.queue.push(this.now + this.swarm.syncLatency * (0.5 + this.prng.next()), {
      kind: 'sync',
      node,
      epoch: disk.epoch,
    });
  }

  checker(group: GroupId): GroupChecker {
    return this.groups.get(group)!.checker;
  }

  observe(node: NodeId, group: GroupId, _member: Member, output: Output): void {
    if (output.type === 'role') {
      this.trace.add(`r${node}${group}${output.role}${output.term}`);
      if (output.role === 'leader') {
        this.coverage.leaderChanges += 1;
        this.onNewLeader?.(node);
      }
    } else if (output.type === 'persist') {
      const write = output.write;
      if (write.kind === 'snapshot' && !write.keepLaterEntries) this.coverage.snapshotInstalls += 1;
    } else if (output.type === 'transferred' && output.ok) {
      this.coverage.transfers += 1;
    }
  }

  quietLeader(): void {
    this.coverage.quietLeaders += 1;
  }

  truncated(node: NodeId, group: GroupId): void {
    this.trace.add(`t${node}${group}`);
    this.coverage.truncations += 1;
  }

  // ClientPort, for clients.

  put(
    node: NodeId,
    group: GroupId,
    client: number,
    seq: number,
    key: string,
    value: string,
    reply: (reply: Reply) => void,
  ): boolean {
    const simNode = this.nodes.get(node)!;
    const wake = simNode.up ? this.wakeTime(node) : null;
    if (wake !== null) {
      // A paused process still accepts connections; it handles the request when it wakes.
      this.later(wake - this.now, () => {
        if (!this.put(node, group, client, seq, key, value, reply)) reply({ kind: 'rejected', leader: null });
      });
      return true;
    }
    return simNode.command(group, { client, seq, op: 'put', key, value }, reply);
  }

  get(node: NodeId, group: GroupId, key: string, reply: (reply: Reply) => void): boolean {
    const simNode = this.nodes.get(node)!;
    const wake = simNode.up ? this.wakeTime(node) : null;
    if (wake !== null) {
      this.later(wake - this.now, () => {
        if (!this.get(node, group, key, reply)) reply({ kind: 'rejected', leader: null });
      });
      return true;
    }
    const member = simNode.member(group);
    if (member?.role === 'leader' && simNode.up) {
      if (this.cutOffFromMajority(node, member)) this.coverage.readIndexUnderPartition += 1;
      const newest = this.leaderOf(group);
      if (newest !== null && newest.member.term > member.term) this.coverage.deposedLeaderReads += 1;
    }
    return simNode.read(group, key, reply);
  }

  later(delay: number, action: () => void): void {
    this.queue.push(this.now + delay, { kind: 'action', action });
  }

  private cutOffFromMajority(node: NodeId, member: Member): boolean {
    let reachable = 0;
    for (const voter of member.log.config.voters) {
      const peer = this.nodes.get(voter);
      if (
        voter === node ||
        (peer?.up === true && !this.network.isBlocked(node, voter) && !this.network.isBlocked(voter, node))
      ) {
        reachable += 1;
      }
    }
    return reachable < Math.floor(member.log.config.voters.length / 2) + 1;
  }

  // The loop.

  /** Runs events until `until` (simulated ms); throws on a safety violation or a runaway. */
  runUntil(until: number, maxSteps: number): void {
    for (;;) {
      const at = this.queue.peekTime();
      if (at === undefined || at > until) break;
      const scheduled = this.queue.pop()!;
      this.now = scheduled.at;
      this.steps += 1;
      if (this.steps > maxSteps) throw new Error(`runaway: more than ${maxSteps} events`);
      this.dispatch(scheduled.event);
    }
    this.now = until;
  }

  private dispatch(event: Event): void {
    switch (event.kind) {
      case 'deliver':
        if (this.network.isBlocked(event.from, event.to)) return;
        if (this.deferWhilePaused(event.to, event)) return;
        this.trace.add(`d${event.from}${event.to}${event.group}${event.message.type}${event.message.term}`);
        this.nodes.get(event.to)!.receive(event.group, event.from, event.message);
        return;
      case 'timer':
        if (this.deferWhilePaused(event.node, event)) return;
        this.nodes.get(event.node)!.timer(event.group, event.generation);
        return;
      case 'sync': {
        const disk = this.disks.get(event.node)!;
        const node = this.nodes.get(event.node)!;
        if (disk.epoch !== event.epoch || !node.up || this.deferWhilePaused(event.node, event)) return;
        this.trace.add(`s${event.node}`);
        node.synced(disk.completeSync());
        if (disk.hasUnsynced) this.diskWritten(event.node);
        return;
      }
      case 'action':
        event.action();
        return;
      default: {
        const exhausted: never = event;
        throw new Error(`unknown event ${JSON.stringify(exhausted)}`);
      }
    }
  }

  /**
   * Events for a paused node wait until it wakes, then arrive in no particular order, as data
   * waiting on several sockets does: a client's read may be handled before the news of a new term.
   */
  private deferWhilePaused(node: NodeId, event: Event): boolean {
    const wake = this.wakeTime(node);
    if (wake === null) return false;
    this.queue.push(wake, event);
    return true;
  }

  private wakeTime(node: NodeId): number | null {
    const pausedUntil = this.nodes.get(node)!.pausedUntil;
    return this.now >= pausedUntil ? null : pausedUntil + this.prng.next();
  }

  pause(node: NodeId, duration: number): void {
    const simNode = this.nodes.get(node)!;
    if (!simNode.up) return;
    simNode.pausedUntil = Math.max(simNode.pausedUntil, this.now + duration);
    this.trace.add(`z${node}${duration}`);
  }

  crash(node: NodeId): void {
    const simNode = this.nodes.get(node)!;
    if (!simNode.up) return;
    simNode.crash();
    this.trace.add(`c${node}`);
    if (this.disks.get(node)!.crash(this.prng, this.swarm.tearProbability))
      this.coverage.tornTailRecoveries += 1;
  }

  restart(node: NodeId): void {
    const simNode = this.nodes.get(node)!;
    if (simNode.up) return;
    simNode.up = true;
    this.trace.add(`u${node}`);
    this.detector?.forget(node);
    for (const group of this.groups.values()) if (group.hosts.has(node)) simNode.startMember(group.id);
  }

  /** The up member that leads `group` in the highest term, if any. */
  leaderOf(group: GroupId): { readonly node: SimNode; readonly member: Member } | null {
    let best: { node: SimNode; member: Member } | null = null;
    for (const node of this.nodes.values()) {
      const member = node.up ? node.member(group) : undefined;
      if (member?.role === 'leader' && (best === null || member.term > best.member.term))
        best = { node, member };
    }
    return best;
  }
}
