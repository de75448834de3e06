// Three node processes on loopback, each `flotilla node --config` from this package, and this
// process joined to them as a node of its own ('driver', a member of no group) that makes the
// calls. For the multi-process benchmarks and the demo. Every process started here is ended
// here, by its PID, also when this process is interrupted.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
// The package as a user installed it (its built files): the node here runs what the node processes run.
import { type FlotillaNode, startNode } from 'flotilla';
import { type LeaderEvent, parseLeaderEvent } from './node-process.js';
import type { TransportOptions } from './options.js';

// The package's `flotilla` command as installed (spawned, not imported: it sits above runtime/).
const packageCli = fileURLToPath(new URL('../cli/flotilla.js', import.meta.url));

export interface LocalClusterOptions {
  /** Tuning of every node's transport and failure detector. */
  readonly transport?: TransportOptions;
  /** The address node `from` is given for peer node `to` (a proxy, say); by default, its own. */
  readonly route?: (from: string, to: string, address: string) => Promise<string> | string;
  /** The `flotilla` CLI the node processes run; by default this package's (dist/cli/flotilla.js). */
  readonly cli?: string;
  /** Worker-thread shards of each node process (startNode's `threads`); by default none. */
  readonly threads?: number;
}

/** Ports tried, at most, before falling back to one the kernel picks. */
const portTries = 100;
/** Ports handed out lately by this process, not handed out again: a cluster's nodes get distinct ones. */
const handedOut: number[] = [];
const handedOutKept = 1024;

/**
 * A port free on 127.0.0.1 now, for a node to listen on (or a test's proxy), taken from below
 * the kernel's ephemeral range where it can find that range: ports there are never handed to an
 * outgoing connection or another `listen(0)`, so a node that binds the port a moment later (or
 * binds it again on restart) does not find it taken by a socket of some other test or process.
 */
export async function freePort(): Promise<number> {
  const below = ephemeralLow();
  if (below !== null) {
    const first = Math.max(1024, below - 16_384);
    for (let attempt = 0; attempt < portTries; attempt += 1) {
      const port = first + Math.floor(Math.random() * (below - first));
      if (handedOut.includes(port) || (await bound(port)) === null) continue;
      if (handedOut.push(port) > handedOutKept) handedOut.shift();
      return port;
    }
  }
  return (await bound(0)) ?? 0;
}

/** The first port of the kernel's ephemeral range (Linux), or null where it cannot be read. */
function ephemeralLow(): number | null {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(low) && low > 2048 ? low : null;
  } catch {
    return null;
  }
}

/** Binds `port` on 127.0.0.1 and lets it go again: the port bound, or null if it was taken. */
function bound(port: number): Promise<number | null> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(null));
    server.listen(port, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : null));
    });
  });
}

/** A leader as the node processes last reported it: the highest term's, and its moment. */
interface ReportedLeader {
  readonly leader: string;
  readonly term: number;
  readonly at: number;
}

export class NodeProcesses {
  readonly processes = new Map<string, ChildProcess>();
  readonly secret = randomBytes(16).toString('hex');
  driver!: FlotillaNode;
  private readonly stderr = new Map<string, string>();
  /** Each group's leader as the processes' leader events named it, for the highest term reported. */
  private readonly reported = new Map<string, ReportedLeader>();
  private readonly leaderListeners = new Set<(group: string) => void>();
  private readonly onExit = () => this.killAll();
  private readonly onSignal = (signal: NodeJS.Signals) => {
    this.killAll();
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };

  private constructor(
    readonly root: string,
    readonly names: readonly string[],
    readonly addresses: Readonly<Record<string, string>>,
    private readonly cli: string,
  ) {}

  static async start(
    names: readonly string[] = ['a', 'b', 'c'],
    options: LocalClusterOptions = {},
  ): Promise<NodeProcesses> {
    const root = mkdtempSync(join(tmpdir(), 'flotilla-processes-'));
    const addresses: Record<string, string> = {};
    for (const name of [...names, 'driver']) addresses[name] = `127.0.0.1:${await freePort()}`;
    const cluster = new NodeProcesses(root, names, addresses, options.cli ?? packageCli);
    process.once('exit', cluster.onExit);
    process.once('SIGINT', cluster.onSignal);
    process.once('SIGTERM', cluster.onSignal);
    try {
      for (const name of names) {
        const peers: Record<string, string> = { driver: addresses.driver! };
        for (const peer of names) {
          if (peer === name) continue;
          peers[peer] = (await options.route?.(name, peer, addresses[peer]!)) ?? addresses[peer]!;
        }
        cluster.writeConfig(name, peers, options);
      }
      await Promise.all(names.map((name) => cluster.startProcess(name)));
      cluster.driver = await startNode({
        name: 'driver',
        dataDir: join(root, 'driver'),
        listen: addresses.driver!,
        peers: Object.fromEntries(names.map((name) => [name, addresses[name]!])),
        secret: cluster.secret,
        ...(options.transport === undefined ? {} : { transport: options.transport }),
      });
      const deadline = Date.now() + 15_000;
      while (cluster.driver.overview().peers.length < names.length) {
        if (Date.now() > deadline) throw new Error('the node processes did not connect in 15 s');
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      return cluster;
    } catch (error) {
      await cluster.close();
      throw error;
    }
  }

  private writeConfig(name: string, peers: Record<string, string>, options: LocalClusterOptions): void {
    const { transport, threads } = options;
    const config = {
      name,
      dataDir: join(this.root, name),
      listen: this.addresses[name],
      peers,
      secret: this.secret,
      ...(transport === undefined ? {} : { transport }),
      ...(threads === undefined ? {} : { threads }),
    };
    writeFileSync(join(this.root, `${name}.json`), JSON.stringify(config));
  }

  /** Starts (or restarts) a node process; resolves once it listens, with the milliseconds it took. */
  startProcess(name: string): Promise<number> {
    const started = performance.now();
    const config = join(this.root, `${name}.json`);
    const child = spawn(process.execPath, [this.cli, 'node', '--config', config, '--leader-events'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.processes.set(name, child);
    child.stderr!.on('data', (chunk: Buffer) => {
      this.stderr.set(name, ((this.stderr.get(name) ?? '') + chunk.toString()).slice(-10_000));
    });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`node ${name} did not start in 120 s`)), 120_000);
      let partial = '';
      child.stdout!.on('data', (chunk: Buffer) => {
        const lines = (partial + chunk.toString()).split('\n');
        partial = lines.pop()!;
        for (const line of lines) {
          const event = parseLeaderEvent(line);
          if (event !== null) this.leaderReported(event);
          else if (line.includes('listening on')) {
            clearTimeout(timer);
            resolve(performance.now() - started);
          }
        }
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`node ${name} exited (${code ?? signal}): ${this.stderr.get(name) ?? ''}`));
      });
    });
  }

  /**
   * Sends `signal` to a node process, by its PID. For SIGKILL and SIGTERM it resolves once the
   * process has exited; a paused process is continued first, or SIGTERM would wait forever.
   */
  async signal(name: string, signal: NodeJS.Signals): Promise<void> {
    const child = this.processes.get(name);
    if (child?.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const ending = signal === 'SIGKILL' || signal === 'SIGTERM';
    const exited = new Promise((resolve) => child.once('exit', resolve));
    if (signal === 'SIGTERM') process.kill(child.pid, 'SIGCONT');
    process.kill(child.pid, signal);
    if (ending) await exited;
  }

  /** Kills a node process with SIGKILL and resolves once it has exited. */
  kill(name: string): Promise<void> {
    return this.signal(name, 'SIGKILL');
  }

  /** Stops a node process with SIGTERM (a clean close) and resolves once it has exited. */
  stop(name: string): Promise<void> {
    return this.signal(name, 'SIGTERM');
  }

  /** The groups each node leads, as their members answer (asked 1,000 groups at a time). */
  async leadersByNode(groups: readonly string[]): Promise<Map<string, string[]>> {
    const led = new Map<string, string[]>();
    for (let start = 0; start < groups.length; start += 1000) {
      await Promise.all(
        groups.slice(start, start + 1000).map(async (group) => {
          const { leader } = await this.driver.members(group, { timeoutMs: 10_000 });
          if (leader !== null) led.set(leader, [...(led.get(leader) ?? []), group]);
        }),
      );
    }
    return led;
  }

  private leaderReported(event: LeaderEvent): void {
    if (event.leader === null) return;
    const known = this.reported.get(event.group);
    // One leader per term: of its reports, the earliest moment counts.
    if (
      known !== undefined &&
      (known.term > event.term || (known.term === event.term && known.at <= event.at))
    )
      return;
    this.reported.set(event.group, { leader: event.leader, term: event.term, at: event.at });
    for (const listener of this.leaderListeners) listener(event.group);
  }

  /**
   * For each group, the milliseconds from `since` (performance.now() here) until a node
   * process reported a leader other than `lost`, from the nodes' own leader events (timed
   * where they happened), sorted; `then` runs for each group as soon as it is led again. A
   * group with no such leader after `giveUpMs` is left out and counted as unresolved.
   */
  whenLedAgain(
    groups: readonly string[],
    lost: string,
    since: number,
    then?: (group: string) => Promise<void>,
    giveUpMs = 60_000,
  ): Promise<{ readonly times: number[]; readonly unresolved: number }> {
    const sinceAt = performance.timeOrigin + since;
    const waiting = new Set(groups);
    const times: number[] = [];
    const resumed: Promise<void>[] = [];
    const check = (group: string) => {
      const known = this.reported.get(group);
      if (!waiting.has(group) || known === undefined || known.leader === lost || known.at < sinceAt) return;
      waiting.delete(group);
      times.push(known.at - sinceAt);
      if (then !== undefined) resumed.push(then(group));
      if (waiting.size === 0) finish();
    };
    let finish = () => {};
    const done = new Promise<void>((resolve) => {
      const timer = setTimeout(() => finish(), giveUpMs);
      finish = () => {
        clearTimeout(timer);
        this.leaderListeners.delete(check);
        resolve();
      };
    });
    this.leaderListeners.add(check);
    for (const group of groups) check(group);
    if (waiting.size === 0) finish();
    return done
      .then(() => Promise.all(resumed))
      .then(() => ({ times: times.sort((x, y) => x - y), unresolved: waiting.size }));
  }

  /** The node each group's leader events last named, for groups whose leader has been reported. */
  reportedLeaders(): ReadonlyMap<string, string> {
    return new Map([...this.reported].map(([group, { leader }]) => [group, leader]));
  }

  /** The last lines a node process wrote to stderr. */
  log(name: string): string {
    return this.stderr.get(name) ?? '';
  }

  private killAll(): void {
    for (const child of this.processes.values()) {
      if (child.pid !== undefined && child.exitCode === null && child.signalCode === null)
        process.kill(child.pid, 'SIGKILL');
    }
  }

  async close(): Promise<void> {
    process.off('exit', this.onExit);
    process.off('SIGINT', this.onSignal);
    process.off('SIGTERM', this.onSignal);
    await this.driver?.close();
    await Promise.all(this.names.map((name) => this.stop(name)));
    rmSync(this.root, { recursive: true, force: true });
  }
}
