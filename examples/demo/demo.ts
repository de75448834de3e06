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
  const { write } = options;
  write('starting three node processes on loopback');
  const cluster = await NodeProcesses.start();
  const watchers: NodeClient[] = [];
  try {
    const { driver } = cluster;
    for (const name of cluster.names)
      watchers.push(await NodeClient.connect({ address: cluster.addresses[name]!, secret: cluster.secret }));
    const overviews = () => Promise.all(watchers.map((watcher) => watcher.overview()));
    const module = new URL('../queue/queue-machine.js', import.meta.url).href;
    const names = Array.from({ length: options.groups }, (_, index) => `queue-${index}`);
    let commands = 0;
    let timeouts = 0;
    let overloaded = 0;
    const count = (error: unknown) => {
      const code = (error as { code?: string }).code;
      if (code === 'TIMEOUT') timeouts += 1;
      else if (code === 'OVERLOADED') overloaded += 1;
      else throw error;
    };
    // The consumer runs here: the queues' leaders deliver to it over TCP, and it settles.
    driver.mailbox('consumer', (message) => {
      const delivery = message as Delivery;
      driver
        .command(delivery.queue, { settle: { consumer: 'driver/consumer', ids: [delivery.id] } })
        .then(() => {
          commands += 1;
        }, count);
    });

    const rssBefore = (await overviews()).reduce((sum, overview) => sum + overview.memory.rss, 0);
    const creationStarted = performance.now();
    let created = 0;
    let lastShown = 0;
    const createOne = async (name: string) => {
      await driver.createGroup(
        name,
        { machine: { module, config: { name } }, members: [...cluster.names] },
        { timeoutMs: 60_000 },
      );
      await driver.command(
        name,
        { checkout: { node: 'driver', mailbox: 'consumer', credit: consumerCredit } },
        { timeoutMs: 60_000 },
      );
      created += 1;
      if (performance.now() - lastShown > 1000 || created === names.length) {
        lastShown = performance.now();
        write(`created ${created.toLocaleString('en-US')} / ${names.length.toLocaleString('en-US')} groups`);
      }
    };
    for (let start = 0; start < names.length; start += creationWindow)
      await Promise.all(names.slice(start, start + creationWindow).map(createOne));
    const creationSeconds = (performance.now() - creationStarted) / 1000;
    const rssAfter = (await overviews()).reduce((sum, overview) => sum + overview.memory.rss, 0);
    const rssBytesPerGroup = (rssAfter - rssBefore) / options.groups;

    const led = new Map<string, string[]>();
    for (let start = 0; start < names.length; start += 1000) {
      await Promise.all(
        names.slice(start, start + 1000).map(async (name) => {
          const { leader } = await driver.members(name, { timeoutMs: 10_000 });
          if (leader !== null) led.set(leader, [...(led.get(leader) ?? []), name]);
        }),
      );
    }
    const [killed, victimGroups] = [...led].sort((x, y) => y[1].length - x[1].length)[0]!;
    write(
      `${options.groups.toLocaleString('en-US')} groups in ${creationSeconds.toFixed(1)} s; leaders ` +
        `${[...led].map(([node, groups]) => `${node} ${groups.length.toLocaleString('en-US')}`).join(', ')}; load for ${options.seconds} s`,
    );

    const latencies: number[] = [];
    const walBefore = (await overviews()).map((overview) => overview.wal);
    const loadStarted = performance.now();
    const loadEnds = loadStarted + options.seconds * 1000;
    let commandsAtLastLine = 0;
    let lineAt = loadStarted;
    const ticker = setInterval(() => {
      const now = performance.now();
      const rate = ((commands - commandsAtLastLine) * 1000) / (now - lineAt);
      const recent = latencies.slice(-20_000).sort((x, y) => x - y);
      commandsAtLastLine = commands;
      lineAt = now;
      write(
        `${((now - loadStarted) / 1000).toFixed(0).padStart(3)} s  ${Math.round(rate).toLocaleString('en-US').padStart(9)} commands/s` +
          `  enqueue p50 ${percentile(recent, 0.5).toFixed(1)} ms  p99 ${percentile(recent, 0.99).toFixed(1)} ms` +
          `  timeouts ${timeouts}  overloaded ${overloaded}`,
      );
    }, 1000);
    const worker = async (seed: number) => {
      for (let turn = seed; performance.now() < loadEnds; turn += options.inFlight) {
        const name = names[(turn * 7919) % names.length]!;
        const started = performance.now();
        try {
          await driver.command(name, { enqueue: { at: Date.now() } }, { timeoutMs: 5000 });
          commands += 1;
          latencies.push(performance.now() - started);
        } catch (error) {
          count(error);
        }
      }
    };

    // A third of the way in, the node leading the most groups is killed; two thirds in, it restarts.
    const faults = (async () => {
      await sleep(options.seconds * 333);
      write(
        `SIGKILL ${killed} (pid ${cluster.processes.get(killed)?.pid}), which leads ${victimGroups.length.toLocaleString('en-US')} groups`,
      );
      const killedAt = performance.now();
      await cluster.kill(killed);
      const elected: number[] = [];
      await Promise.all(
        victimGroups.map(async (name) => {
          for (;;) {
            const view = await driver.members(name, { timeoutMs: 1000 }).catch(() => null);
            if (view?.leader != null && view.leader !== killed) break;
            await sleep(50);
          }
          elected.push(performance.now() - killedAt);
        }),
      );
      elected.sort((x, y) => x - y);
      write(
        `every group ${killed} led has a new leader ${(elected.at(-1)! / 1000).toFixed(2)} s after the kill (p50 ${(percentile(elected, 0.5) / 1000).toFixed(2)} s)`,
      );
      await sleep(Math.max(0, loadStarted + options.seconds * 667 - performance.now()));
      const restartMs = await cluster.startProcess(killed);
      const restartedAt = performance.now();
      write(`${killed} restarted and listening in ${(restartMs / 1000).toFixed(2)} s; catching up`);
      return { elected, restartMs, restartedAt };
    })();
    await Promise.all(Array.from({ length: options.inFlight }, (_, seed) => worker(seed)));
    clearInterval(ticker);
    const elapsed = (performance.now() - loadStarted) / 1000;
    const { elected, restartMs, restartedAt } = await faults;

    // Catching up: the restarted node's members of sampled groups apply what their leaders have.
    const restarted = await NodeClient.connect({
      address: cluster.addresses[killed]!,
      secret: cluster.secret,
    });
    watchers[cluster.names.indexOf(killed)]!.close();
    watchers[cluster.names.indexOf(killed)] = restarted;
    const sample = names.filter(
      (_, index) => index % Math.max(1, Math.floor(names.length / catchUpSample)) === 0,
    );
    for (const name of sample) {
      const { leader } = await driver.members(name, { timeoutMs: 10_000 });
      const leaderWatcher = watchers[cluster.names.indexOf(leader ?? killed)]!;
      const target = (await leaderWatcher.status(name)).commitIndex;
      for (let waited = 0; (await restarted.status(name)).appliedIndex < target; waited += 1) {
        if (waited > 600) throw new Error(`${killed} did not catch up on ${name} in 30 s`);
        await sleep(50);
      }
    }
    const catchUpSeconds = (performance.now() - restartedAt) / 1000;
    write(
      `${killed} caught up on ${sample.length} sampled groups ${catchUpSeconds.toFixed(2)} s after its restart`,
    );

    const sorted = latencies.sort((x, y) => x - y);
    const walAfter = (await overviews()).map((overview) => overview.wal);
    let records = 0;
    let syncs = 0;
    walAfter.forEach((wal, position) => {
      // The restarted node's counters began again from zero.
      const before = cluster.names[position] === killed ? { records: 0, syncs: 0 } : walBefore[position]!;
      syncs += wal.syncs - before.syncs;
      records += wal.records - before.records;
    });
    return {
      groups: options.groups,
      creationSeconds,
      commandsPerSecond: commands / elapsed,
      enqueueP50: percentile(sorted, 0.5),
      enqueueP99: percentile(sorted, 0.99),
      rssBytesPerGroup,
      walEntriesPerSync: syncs === 0 ? 0 : records / syncs,
      timeouts,
      overloaded,
      killed,
      groupsLedByKilled: victimGroups.length,
      failoverSeconds: elected.at(-1)! / 1000,
      failoverP50Seconds: percentile(elected, 0.5) / 1000,
      restartSeconds: restartMs / 1000,
      catchUpSeconds,
    };
  } finally {
    for (const watcher of watchers) watcher.close();
    await cluster.close();
  }
}
