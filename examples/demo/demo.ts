// The README's main job: three node processes (`flotilla node`, from this package) on loopback,
// and this process joined to them as a fourth node that creates thousands of queue groups,
// drives enqueue-and-settle load with a live progress line, kills the node leading the most
// groups with SIGKILL, shows how soon every group it led has a new leader, restarts it, shows
// it catching up, and prints a summary. Every process it starts ends with it.
import { NodeProcesses } from '../../runtime/local-cluster.js';
import { NodeClient } from '../../runtime/tcp/node-client.js';
import type { Delivery } from '../queue/queue-machine.js';

export interface DemoOptions {
  readonly groups: number;
  readonly seconds: number;
  /** Enqueues in flight at once across all groups. */
  readonly inFlight: number;
  readonly write: (line: string) => void;
}

export interface DemoSummary {
  readonly groups: number;
  readonly creationSeconds: number;
  readonly commandsPerSecond: number;
  readonly enqueueP50: number;
  readonly enqueueP99: number;
  /** Growth of the three node processes' RSS while the groups were created, per group. */
  readonly rssBytesPerGroup: number;
  readonly walEntriesPerSync: number;
  readonly timeouts: number;
  readonly overloaded: number;
  readonly killed: string;
  readonly groupsLedByKilled: number;
  /** Seconds from the SIGKILL until every group the node led had a new leader. */
  readonly failoverSeconds: number;
  readonly failoverP50Seconds: number;
  readonly restartSeconds: number;
  /** Seconds from the restart until the node's members of sampled groups applied what their leaders had. */
  readonly catchUpSeconds: number;
}

/** Groups being created at once. */
const creationWindow = 500;
/** Messages a consumer may hold unsettled per queue. */
const consumerCredit = 64;
/** Groups whose restarted member is checked for catching up. */
const catchUpSample = 200;

function percentile(sorted: readonly number[], fraction: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))]!;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function runDemo(options: DemoOptions): Promise<DemoSummary> {
  options.write('starting three node processes on loopback');
  const cluster = await NodeProcesses.start();
  const demo = new Demo(cluster, options);
  try {
    return await demo.run();
  } finally {
    demo.close();
    await cluster.close();
  }
}

/** One run of the demo: its phases in order, sharing the counters they add to. */
class Demo {
  private readonly names: string[];
  private readonly watchers: NodeClient[] = [];
  private readonly latencies: number[] = [];
  private commands = 0;
  private timeouts = 0;
  private overloaded = 0;

  constructor(
    private readonly cluster: NodeProcesses,
    private readonly options: DemoOptions,
  ) {
    this.names = Array.from({ length: options.groups }, (_, index) => `queue-${index}`);
  }

  async run(): Promise<DemoSummary> {
    const { cluster, options } = this;
    for (const name of cluster.names)
      this.watchers.push(
        await NodeClient.connect({ address: cluster.addresses[name]!, secret: cluster.secret }),
      );
    this.consume();
    const rssBefore = await this.rss();
    const creationSeconds = await this.createQueues();
    const rssBytesPerGroup = ((await this.rss()) - rssBefore) / options.groups;
    const led = await cluster.leadersByNode(this.names);
    const [killed, victimGroups] = [...led].sort((x, y) => y[1].length - x[1].length)[0]!;
    options.write(
      `${options.groups.toLocaleString('en-US')} groups in ${creationSeconds.toFixed(1)} s; leaders ` +
        `${[...led].map(([node, groups]) => `${node} ${groups.length.toLocaleString('en-US')}`).join(', ')}; load for ${options.seconds} s`,
    );
    const walBefore = (await this.overviews()).map((overview) => overview.wal);
    const loadStarted = performance.now();
    const faults = this.faults(killed, victimGroups, loadStarted);
    await this.load(loadStarted);
    const elapsed = (performance.now() - loadStarted) / 1000;
    const { elected, restartMs, restartedAt } = await faults;
    const catchUpSeconds = await this.catchUp(killed, restartedAt);
    const sorted = this.latencies.sort((x, y) => x - y);
    return {
      groups: options.groups,
      creationSeconds,
      commandsPerSecond: this.commands / elapsed,
      enqueueP50: percentile(sorted, 0.5),
      enqueueP99: percentile(sorted, 0.99),
      rssBytesPerGroup,
      walEntriesPerSync: await this.entriesPerSync(walBefore, killed),
      timeouts: this.timeouts,
      overloaded: this.overloaded,
      killed,
      groupsLedByKilled: victimGroups.length,
      failoverSeconds: elected.at(-1)! / 1000,
      failoverP50Seconds: percentile(elected, 0.5) / 1000,
      restartSeconds: restartMs / 1000,
      catchUpSeconds,
    };
  }

  close(): void {
    for (const watcher of this.watchers) watcher.close();
  }

  private overviews() {
    return Promise.all(this.watchers.map((watcher) => watcher.overview()));
  }

  private async rss(): Promise<number> {
    return (await this.overviews()).reduce((sum, overview) => sum + overview.memory.rss, 0);
  }

  private count(error: unknown): void {
    const code = (error as { code?: string }).code;
    if (code === 'TIMEOUT') this.timeouts += 1;
    else if (code === 'OVERLOADED') this.overloaded += 1;
    else throw error;
  }

  /** The consumer runs here: the queues' leaders deliver to it over TCP, and it settles. */
  private consume(): void {
    const { driver } = this.cluster;
    driver.mailbox('consumer', (message) => {
      const delivery = message as Delivery;
      driver.command(delivery.queue, { settle: { consumer: 'driver/consumer', ids: [delivery.id] } }).then(
        () => {
          this.commands += 1;
        },
        (error: unknown) => this.count(error),
      );
    });
  }

  /** Creates the queues and checks the consumer out of each; returns the seconds it took. */
  private async createQueues(): Promise<number> {
    const { driver, names: members } = this.cluster;
    const module = new URL('../queue/queue-machine.js', import.meta.url).href;
    const started = performance.now();
    let created = 0;
    let lastShown = 0;
    const createOne = async (name: string) => {
      await driver.createGroup(
        name,
        { machine: { module, config: { name } }, members: [...members] },
        { timeoutMs: 60_000 },
      );
      const checkout = { checkout: { node: 'driver', mailbox: 'consumer', credit: consumerCredit } };
      await driver.command(name, checkout, { timeoutMs: 60_000 });
      created += 1;
      if (performance.now() - lastShown > 1000 || created === this.names.length) {
        lastShown = performance.now();
        this.options.write(
          `created ${created.toLocaleString('en-US')} / ${this.names.length.toLocaleString('en-US')} groups`,
        );
      }
    };
    for (let start = 0; start < this.names.length; start += creationWindow)
      await Promise.all(this.names.slice(start, start + creationWindow).map(createOne));
    return (performance.now() - started) / 1000;
  }

  /** Enqueues from `inFlight` clients until the load time is up, with a progress line a second. */
  private async load(started: number): Promise<void> {
    const { options } = this;
    const ends = started + options.seconds * 1000;
    let commandsAtLastLine = 0;
    let lineAt = started;
    const ticker = setInterval(() => {
      const now = performance.now();
      const rate = ((this.commands - commandsAtLastLine) * 1000) / (now - lineAt);
      const recent = this.latencies.slice(-20_000).sort((x, y) => x - y);
      commandsAtLastLine = this.commands;
      lineAt = now;
      options.write(
        `${((now - started) / 1000).toFixed(0).padStart(3)} s  ${Math.round(rate).toLocaleString('en-US').padStart(9)} commands/s` +
          `  enqueue p50 ${percentile(recent, 0.5).toFixed(1)} ms  p99 ${percentile(recent, 0.99).toFixed(1)} ms` +
          `  timeouts ${this.timeouts}  overloaded ${this.overloaded}`,
      );
    }, 1000);
    const worker = async (seed: number) => {
      for (let turn = seed; performance.now() < ends; turn += options.inFlight) {
        const name = this.names[(turn * 7919) % this.names.length]!;
        const sent = performance.now();
        try {
          await this.cluster.driver.command(name, { enqueue: { at: Date.now() } }, { timeoutMs: 5000 });
          this.commands += 1;
          this.latencies.push(performance.now() - sent);
        } catch (error) {
          this.count(error);
        }
      }
    };
    await Promise.all(Array.from({ length: options.inFlight }, (_, seed) => worker(seed)));
    clearInterval(ticker);
  }

  /** A third of the way in, the node leading the most groups is killed; two thirds in, it restarts. */
  private async faults(killed: string, victimGroups: readonly string[], loadStarted: number) {
    const { cluster, options } = this;
    await sleep(options.seconds * 333);
    options.write(
      `SIGKILL ${killed} (pid ${cluster.processes.get(killed)?.pid}), which leads ${victimGroups.length.toLocaleString('en-US')} groups`,
    );
    const killedAt = performance.now();
    await cluster.kill(killed);
    const { times: elected, unresolved } = await cluster.whenLedAgain(victimGroups, killed, killedAt);
    if (unresolved > 0) options.write(`${unresolved} groups ${killed} led had no new leader after 60 s`);
    options.write(
      `every group ${killed} led has a new leader ${(elected.at(-1)! / 1000).toFixed(2)} s after the kill (p50 ${(percentile(elected, 0.5) / 1000).toFixed(2)} s)`,
    );
    await sleep(Math.max(0, loadStarted + options.seconds * 667 - performance.now()));
    const restartMs = await cluster.startProcess(killed);
    const restartedAt = performance.now();
    options.write(`${killed} restarted and listening in ${(restartMs / 1000).toFixed(2)} s; catching up`);
    return { elected, restartMs, restartedAt };
  }

  /** Seconds from the restart until the node's members of sampled groups applied what their leaders have. */
  private async catchUp(killed: string, restartedAt: number): Promise<number> {
    const { cluster } = this;
    const restarted = await NodeClient.connect({
      address: cluster.addresses[killed]!,
      secret: cluster.secret,
    });
    const position = cluster.names.indexOf(killed);
    this.watchers[position]!.close();
    this.watchers[position] = restarted;
    const every = Math.max(1, Math.floor(this.names.length / catchUpSample));
    const sample = this.names.filter((_, index) => index % every === 0);
    for (const name of sample) {
      const { leader } = await cluster.driver.members(name, { timeoutMs: 10_000 });
      const target = (await this.watchers[cluster.names.indexOf(leader ?? killed)]!.status(name)).commitIndex;
      for (let waited = 0; (await restarted.status(name)).appliedIndex < target; waited += 1) {
        if (waited > 600) throw new Error(`${killed} did not catch up on ${name} in 30 s`);
        await sleep(50);
      }
    }
    const seconds = (performance.now() - restartedAt) / 1000;
    this.options.write(
      `${killed} caught up on ${sample.length} sampled groups ${seconds.toFixed(2)} s after its restart`,
    );
    return seconds;
  }

  private async entriesPerSync(
    before: readonly { entries: number; syncs: number }[],
    killed: string,
  ): Promise<number> {
    let entries = 0;
    let syncs = 0;
    (await this.overviews()).forEach(({ wal }, position) => {
      // The restarted node's counters began again from zero.
      const from = this.cluster.names[position] === killed ? { entries: 0, syncs: 0 } : before[position]!;
      syncs += wal.syncs - from.syncs;
      entries += wal.entries - from.entries;
    });
    return syncs === 0 ? 0 : entries / syncs;
  }
}
