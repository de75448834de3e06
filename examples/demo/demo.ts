// The README's main job: three nodes in one process, thousands of queue groups created through
// the API, then enqueue-and-settle load for a while with a live progress line, and a summary.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type FlotillaNode, startNode } from 'flotilla';
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
  readonly heapBytesPerGroup: number;
  readonly walEntriesPerSync: number;
  readonly timeouts: number;
  readonly overloaded: number;
}

const nodeNames = ['a', 'b', 'c'] as const;
/** Groups being created at once. */
const creationWindow = 500;
/** Messages a consumer may hold unsettled per queue. */
const consumerCredit = 64;

function percentile(sorted: readonly number[], fraction: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))]!;
}

export async function runDemo(options: DemoOptions): Promise<DemoSummary> {
  const { write } = options;
  const dataDir = mkdtempSync(join(tmpdir(), 'flotilla-demo-'));
  const nodes: FlotillaNode[] = [];
  try {
    for (const name of nodeNames)
      nodes.push(await startNode({ name, dataDir: join(dataDir, name), threads: 0 }));
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
    // Each node's consumer settles what it is handed, from the node it runs on.
    nodes.forEach((node) => {
      node.mailbox('consumer', (message) => {
        const delivery = message as Delivery;
        node
          .command(delivery.queue, { settle: { consumer: `${node.name}/consumer`, ids: [delivery.id] } })
          .then(() => {
            commands += 1;
          }, count);
      });
    });

    global.gc?.();
    const heapBefore = process.memoryUsage().heapUsed;
    const creationStarted = performance.now();
    let created = 0;
    let lastShown = 0;
    const createOne = async (name: string, position: number) => {
      const consumer = nodes[position % nodes.length]!;
      await nodes[0]!.createGroup(
        name,
        {
          machine: { module, config: { name } },
          members: [...nodeNames],
        },
        { timeoutMs: 60_000 },
      );
      await consumer.command(
        name,
        { checkout: { node: consumer.name, mailbox: 'consumer', credit: consumerCredit } },
        { timeoutMs: 60_000 },
      );
      created += 1;
      if (performance.now() - lastShown > 1000 || created === names.length) {
        lastShown = performance.now();
        write(`created ${created.toLocaleString('en-US')} / ${names.length.toLocaleString('en-US')} groups`);
      }
    };
    for (let start = 0; start < names.length; start += creationWindow) {
      await Promise.all(
        names.slice(start, start + creationWindow).map((name, offset) => createOne(name, start + offset)),
      );
    }
    const creationSeconds = (performance.now() - creationStarted) / 1000;
    global.gc?.();
    const heapBytesPerGroup = (process.memoryUsage().heapUsed - heapBefore) / options.groups;
    write(
      `${options.groups.toLocaleString('en-US')} groups in ${creationSeconds.toFixed(1)} s; load for ${options.seconds} s`,
    );

    const latencies: number[] = [];
    const syncsBefore = nodes.map((node) => node.overview().wal);
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
        const node = nodes[turn % nodes.length]!;
        const started = performance.now();
        try {
          await node.command(name, { enqueue: { at: Date.now() } }, { timeoutMs: 5000 });
          commands += 1;
          latencies.push(performance.now() - started);
        } catch (error) {
          count(error);
        }
      }
    };
    await Promise.all(Array.from({ length: options.inFlight }, (_, seed) => worker(seed)));
    clearInterval(ticker);
    const elapsed = (performance.now() - loadStarted) / 1000;
    const sorted = latencies.sort((x, y) => x - y);
    let records = 0;
    let syncs = 0;
    nodes.forEach((node, position) => {
      const wal = node.overview().wal;
      syncs += wal.syncs - syncsBefore[position]!.syncs;
      records += wal.records - syncsBefore[position]!.records;
    });
    return {
      groups: options.groups,
      creationSeconds,
      commandsPerSecond: commands / elapsed,
      enqueueP50: percentile(sorted, 0.5),
      enqueueP99: percentile(sorted, 0.99),
      heapBytesPerGroup,
      walEntriesPerSync: syncs === 0 ? 0 : records / syncs,
      timeouts,
      overloaded,
    };
  } finally {
    for (const node of nodes) await node.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
