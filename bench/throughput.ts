// npx flotilla bench throughput [--groups 1,100,1000,10000] [--seconds S] [--threads N]
// [--processes] [--json]: committed commands/s and latency for K active 3-member groups, with
// 100-byte commands and fsync on, from a closed loop of clients. On three in-process nodes each
// command is sent from its group's leader's node; with --processes the nodes are three node
// processes over TCP, and the commands come from this process, a fourth node.
import { cpus } from 'node:os';
import type { FlotillaNode } from 'flotilla';
import { NodeProcesses } from '../runtime/local-cluster.js';
import { NodeClient } from '../runtime/tcp/node-client.js';
import { createGroups, startBenchCluster } from './cluster.js';
import { LatencySample } from './latency.js';
import { type BenchResult, type Figure, progress, writeResult } from './report.js';

export interface ThroughputOptions {
  readonly sizes: readonly number[];
  readonly seconds: number;
  readonly threads: number;
  /** Three node processes over TCP rather than three nodes in this process. */
  readonly processes: boolean;
  readonly resultDirectory: string;
}

interface ThroughputRun {
  readonly groups: number;
  readonly inFlight: number;
  readonly commandsPerSecond: number;
  readonly latencyP50: number;
  readonly latencyP99: number;
  readonly entriesPerSync: number;
  readonly failures: number;
}

const command = 'x'.repeat(100);

/** Commands in flight per group: every one of the K groups is active, at every K. */
const perGroup = 8;

/**
 * Commands in flight: the same few per group at every size, so the figures compare groups
 * equally busy (with a fixed window, 10,000 groups would have less than one command each);
 * at least 256 so one group still batches.
 */
function windowFor(groups: number): number {
  return Math.max(256, groups * perGroup);
}

/** Where the load runs: who each group's commands are sent from, and the nodes' WAL counters. */
interface Setup {
  readonly callers: readonly FlotillaNode[];
  wal(): Promise<{ readonly records: number; readonly syncs: number }[]>;
  close(): Promise<void>;
}

/** Three nodes in this process; each command is sent from its group's leader's node. */
async function inProcess(names: readonly string[], threads: number): Promise<Setup> {
  const cluster = await startBenchCluster(threads);
  const { nodes } = cluster;
  await createGroups(nodes, names, 2000, progress);
  const callers: FlotillaNode[] = [];
  for (const name of names) {
    const { leader } = await nodes[0]!.members(name);
    callers.push(nodes.find((node) => node.name === leader) ?? nodes[0]!);
  }
  return {
    callers,
    wal: async () => nodes.map((node) => node.overview().wal),
    close: () => cluster.close(),
  };
}

/** Three node processes; the commands come from this process, a node that leads nothing. */
async function acrossProcesses(names: readonly string[]): Promise<Setup> {
  const cluster = await NodeProcesses.start();
  try {
    await createGroups([cluster.driver], names, 2000, progress);
    const clients = await Promise.all(
      cluster.names.map((name) =>
        NodeClient.connect({ address: cluster.addresses[name]!, secret: cluster.secret }),
      ),
    );
    return {
      callers: names.map(() => cluster.driver),
      wal: async () =>
        (await Promise.all(clients.map((client) => client.overview()))).map((overview) => overview.wal),
      close: async () => {
        for (const client of clients) client.close();
        await cluster.close();
      },
    };
  } catch (error) {
    await cluster.close();
    throw error;
  }
}

async function runSize(
  groups: number,
  seconds: number,
  threads: number,
  processes: boolean,
): Promise<ThroughputRun> {
  const names = Array.from({ length: groups }, (_, index) => `group-${index}`);
  const setup = processes ? await acrossProcesses(names) : await inProcess(names, threads);
  try {
    const leaders = setup.callers;
    const inFlight = windowFor(groups);
    progress(`${inFlight} commands in flight over ${groups.toLocaleString('en-US')} groups for ${seconds} s`);
    const latencies = new LatencySample();
    const walBefore = await setup.wal();
    let done = 0;
    let failures = 0;
    const started = performance.now();
    const ends = started + seconds * 1000;
    await Promise.all(
      Array.from({ length: inFlight }, async (_, client) => {
        for (let turn = client; performance.now() < ends; turn += inFlight) {
          const group = turn % groups;
          const sent = performance.now();
          try {
            await leaders[group]!.command(names[group]!, command, { timeoutMs: 10_000 });
            done += 1;
            latencies.add(performance.now() - sent);
          } catch {
            failures += 1;
          }
        }
      }),
    );
    const elapsed = (performance.now() - started) / 1000;
    let records = 0;
    let syncs = 0;
    (await setup.wal()).forEach((wal, position) => {
      records += wal.records - walBefore[position]!.records;
      syncs += wal.syncs - walBefore[position]!.syncs;
    });
    return {
      groups,
      inFlight,
      commandsPerSecond: done / elapsed,
      latencyP50: latencies.percentile(0.5),
      latencyP99: latencies.percentile(0.99),
      entriesPerSync: syncs === 0 ? 0 : records / syncs,
      failures,
    };
  } finally {
    await setup.close();
  }
}

export async function benchThroughput(options: ThroughputOptions): Promise<BenchResult> {
  const runs: ThroughputRun[] = [];
  for (const groups of options.sizes) {
    const where = options.processes ? 'three node processes' : `threads: ${options.threads}`;
    progress(`throughput with ${groups.toLocaleString('en-US')} active groups (${where})`);
    runs.push(await runSize(groups, options.seconds, options.threads, options.processes));
  }
  const thousand = runs.find((run) => run.groups === 1000);
  const figures: Figure[] = runs.flatMap((run) => {
    const at = `${run.groups.toLocaleString('en-US')} groups`;
    const rate: Figure =
      run.groups === 1000
        ? {
            name: `commands/s, ${at}`,
            value: run.commandsPerSecond,
            unit: '/s',
            target: { value: 200_000, higherIsBetter: true },
          }
        : run.groups === 10_000 && thousand !== undefined
          ? {
              name: `commands/s, ${at}`,
              value: run.commandsPerSecond,
              unit: '/s',
              reference: { name: '1,000 groups in this run', value: thousand.commandsPerSecond },
              target: { value: 0.8 * thousand.commandsPerSecond, higherIsBetter: true },
            }
          : { name: `commands/s, ${at}`, value: run.commandsPerSecond, unit: '/s' };
    return [
      rate,
      { name: `latency p50, ${at}`, value: run.latencyP50, unit: 'ms' },
      { name: `latency p99, ${at}`, value: run.latencyP99, unit: 'ms' },
      { name: `WAL entries per fsync, ${at}`, value: run.entriesPerSync, unit: 'entries' },
      { name: `failed commands, ${at}`, value: run.failures, unit: 'commands' },
      { name: `commands in flight, ${at}`, value: run.inFlight, unit: 'commands' },
    ];
  });
  const result: BenchResult = {
    bench: 'throughput',
    startedAt: new Date().toISOString(),
    machine: { cpus: cpus().length, node: process.version },
    figures,
    details: { runs, threads: options.threads, processes: options.processes, seconds: options.seconds },
  };
  writeResult(options.resultDirectory, result);
  return result;
}
