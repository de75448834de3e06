// Production nodes under simulation: FlotillaNode itself (routing, directory, group lifecycle,
// actors, shard, scheduler, timer wheel, effects host), started by FlotillaNode.start with a
// simulated environment: virtual time and seeded randomness, a simulated disk with the WAL's
// crash semantics, and a simulated network. Clients use the public API. Each node process can
// crash (its clock dies, what its disk had not synced is lost), restart on its disk, or have
// its disk replaced.
import type { ShardWatch } from '../../actors/index.js';
import { loadMachine } from '../../actors/machine.js';
import type { Options } from '../../raft/index.js';
import { FlotillaNode } from '../../runtime/node.js';
import type { NodeEnvironment } from '../../runtime/node-environment.js';
import { Prng } from '../prng.js';
import { TraceHash } from '../trace-hash.js';
import { CoreChecks } from './core-checks.js';
import { type NetworkTiming, SimNetwork } from './sim-network.js';
import { SimStorage } from './sim-storage.js';
import { NodeClock, VirtualTime } from './virtual-time.js';

/** How long peers wait on a paused process before giving it up, in ms (a failure detector's timeout). */
const pausePatience = 1_000;

export interface SimClusterOptions {
  readonly seed: number;
  readonly names?: readonly string[];
  /** Probability that a crash keeps a prefix of the unsynced writes (a torn tail). */
  readonly tearProbability?: number;
  /** Core options for every member (tiny batches and windows expose more interleavings). */
  readonly core?: Partial<Options>;
}

interface Process {
  readonly node: FlotillaNode;
  readonly clock: NodeClock;
  /** Fails a shard of the process as a dying worker thread would (ShardWatch.shardsStarted). */
  readonly failShard: (culprit: string | null, reason: string) => void;
}

export class SimCluster {
  readonly time = new VirtualTime();
  readonly prng: Prng;
  readonly trace = new TraceHash();
  readonly network: SimNetwork;
  readonly names: readonly string[];
  private readonly disks = new Map<string, SimStorage>();
  private readonly processes = new Map<string, Process>();
  private readonly tearProbability: number;
  /** Process starts, crashes and wipes, for coverage. */
  readonly counts = { starts: 0, crashes: 0, wipes: 0, pauses: 0, shardFailures: 0 };
  /** The core's safety properties, checked on every member's every step. */
  readonly checks: CoreChecks;
  /** Members that failed (threw) on any node, as the nodes reported them: each fails the seed. */
  readonly memberFailures: string[] = [];
  /** Promises a node left rejected with nothing to handle them: exceptions that escaped it. */
  readonly escaped: string[] = [];
  /** Per node, the machine code installed in place of a module's (module URL to the URL loaded). */
  private readonly installed = new Map<string, Map<string, string>>();
  /** Mailboxes registered on every node process started here; a handler hears which node received. */
  readonly mailboxes = new Map<string, (node: string, message: unknown) => void>();
  /** What every node process started here sets on its members: the checks and the seed's core options. */
  private readonly watch: ShardWatch;

  constructor(options: SimClusterOptions) {
    this.prng = new Prng(options.seed);
    this.names = options.names ?? ['a', 'b', 'c'];
    this.tearProbability = options.tearProbability ?? 0.3;
    const timing: NetworkTiming = {
      latency: () => this.prng.between(1, 8),
      detection: () => this.prng.between(20, 200),
    };
    this.network = new SimNetwork(this.names, this.time, this.prng, timing, (from, to, envelopes) =>
      this.trace.add(`d${from}${to}${envelopes.length}`),
    );
    this.network.pausedUntil = (name) => this.processes.get(name)?.clock.pausedUntil ?? 0;
    for (const name of this.names) this.disks.set(name, new SimStorage());
    this.checks = new CoreChecks((name) => this.disk(name), this.trace);
    this.watch = this.checks.watch(options.core ?? {});
  }

  /**
   * Loads machine modules before a run: a first import reads files, which simulated time cannot
   * wait for; loaded ones come from the cache in the same turn every time.
   */
  static async preload(modules: readonly string[]): Promise<void> {
    for (const module of modules) await loadMachine(module);
  }

  /** The running node process of `name`; throws if it is down. */
  node(name: string): FlotillaNode {
    const process = this.processes.get(name);
    if (process === undefined) throw new Error(`node ${name} is not running`);
    return process.node;
  }

  running(name: string): boolean {
    return this.processes.has(name);
  }

  disk(name: string): SimStorage {
    return this.disks.get(name)!;
  }

  /** Starts node process `name` on its disk, as startNode would. */
  async start(name: string): Promise<FlotillaNode> {
    if (this.processes.has(name)) throw new Error(`node ${name} is already running`);
    const clock = new NodeClock(this.time, new Prng(this.prng.seed()));
    const disk = this.disks.get(name)!;
    const code = new Map(this.installed.get(name));
    const environment: NodeEnvironment = {
      clock,
      openLog: async (options) => disk.openLog(options, clock, () => this.prng.between(1, 10)),
      openDirectory: () => disk.openDirectory(),
      localTransport: (node, events) => this.network.attach(node, events),
      watch: {
        ...this.watch,
        loadMachine: (module) => loadMachine(code.get(module) ?? module),
        shardsStarted: (fail) => {
          failShard = fail;
        },
      },
    };
    let failShard: Process['failShard'] = () => undefined;
    let started: FlotillaNode | undefined;
    let failure: unknown;
    FlotillaNode.start({ name, dataDir: `/sim/${name}`, threads: 0 }, environment).then(
      (node) => {
        started = node;
      },
      (error: unknown) => {
        failure = error ?? new Error('startNode failed');
      },
    );
    await this.time.runUntil(() => started !== undefined || failure !== undefined, this.time.now + 60_000);
    if (started === undefined) throw failure ?? new Error(`node ${name} did not start in 60 simulated s`);
    started.on('error', (error: Error) => {
      if (/failed and stopped/.test(error.message)) this.memberFailures.push(error.message);
    });
    for (const [mailbox, handler] of this.mailboxes)
      started.mailbox(mailbox, (message) => handler(name, message));
    this.processes.set(name, { node: started, clock, failShard });
    this.counts.starts += 1;
    this.trace.add(`s${name}`);
    return started;
  }

  /**
   * Installs new code for machine `module` on node `name`: its processes started from now on
   * run `replacement` (preloaded) wherever a group names `module`, as a deploy would.
   */
  install(name: string, module: string, replacement: string): void {
    let code = this.installed.get(name);
    if (code === undefined) {
      code = new Map();
      this.installed.set(name, code);
    }
    code.set(module, replacement);
    this.trace.add(`u${name}`);
  }

  /** Kills node process `name`: nothing it armed runs again; what its disk had not synced may be lost. */
  crash(name: string): void {
    const process = this.processes.get(name);
    if (process === undefined) return;
    this.processes.delete(name);
    process.clock.alive = false;
    this.network.detach(name);
    this.disks.get(name)!.crash(this.prng, this.tearProbability);
    this.counts.crashes += 1;
    this.trace.add(`k${name}`);
  }

  /**
   * Fails a shard of node process `name`, as a worker thread dying would: its members are gone
   * at once and the node opens them again from the log, but `culprit`'s, taken for the cause.
   */
  failShard(name: string, culprit: string | null): void {
    const process = this.processes.get(name);
    if (process === undefined) return;
    process.failShard(culprit, 'the simulator failed it');
    this.counts.shardFailures += 1;
    this.trace.add(`f${name}${culprit ?? ''}`);
  }

  /** Stops node process `name` cleanly, as SIGTERM does: what it wrote is synced first. */
  async stop(name: string): Promise<void> {
    const process = this.processes.get(name);
    if (process === undefined) return;
    await this.call(async () => {
      await this.awake(name);
      await process.node.close();
    });
    this.processes.delete(name);
    process.clock.alive = false;
    this.network.detach(name);
    this.trace.add(`t${name}`);
  }

  /**
   * Pauses node process `name` for `ms` (a long GC, a stopped VM): it runs nothing, and what
   * reaches it waits, until it wakes believing nothing happened.
   */
  pause(name: string, ms: number): void {
    const process = this.processes.get(name);
    if (process === undefined) return;
    const clock = process.clock;
    clock.pausedUntil = Math.max(clock.pausedUntil, this.time.now + ms);
    this.counts.pauses += 1;
    this.trace.add(`z${name}${ms}`);
    // Past its peers' patience they give it up, as missed pings make a TCP peer do.
    this.time.at(this.time.now + pausePatience, () => {
      if (clock.alive && clock.pausedUntil > this.time.now) this.network.silence(name);
    });
    const wake = clock.pausedUntil;
    this.time.at(wake, () => {
      if (clock.alive && clock.pausedUntil === wake) this.network.woke(name);
    });
  }

  paused(name: string): boolean {
    return (this.processes.get(name)?.clock.pausedUntil ?? 0) > this.time.now;
  }

  /** Resolves once node process `name` is not paused: a request sent to it is handled then. */
  awake(name: string): Promise<void> {
    const wake = this.processes.get(name)?.clock.pausedUntil ?? 0;
    if (wake <= this.time.now) return Promise.resolve();
    return new Promise((resolve) => this.time.at(wake, resolve));
  }

  /** Replaces node `name`'s disk (it must be down): it restarts with nothing. */
  wipe(name: string): void {
    if (this.processes.has(name)) throw new Error(`node ${name} must be down to replace its disk`);
    this.disks.get(name)!.wipe();
    this.counts.wipes += 1;
    this.trace.add(`w${name}`);
  }

  /** Runs a public-API call to completion in simulated time; its outcome, or TIMEOUT if it never settles. */
  async call<T>(
    what: () => Promise<T>,
    maxMs = 60_000,
  ): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
    let outcome: { ok: true; value: T } | { ok: false; error: unknown } | undefined;
    what().then(
      (value) => {
        outcome = { ok: true, value };
      },
      (error: unknown) => {
        outcome = { ok: false, error };
      },
    );
    await this.time.runUntil(() => outcome !== undefined, this.time.now + maxMs);
    return outcome ?? { ok: false, error: new Error(`no outcome in ${maxMs} simulated ms`) };
  }

  /** Lets simulated time pass. */
  async run(ms: number): Promise<void> {
    await this.time.runUntil(() => false, this.time.now + ms);
  }

  /** Closes every running node (cleanly). */
  async close(): Promise<void> {
    for (const [name, process] of [...this.processes]) {
      await this.call(() => process.node.close());
      this.processes.delete(name);
    }
  }
}
