// npx flotilla bench throughput [--groups 1,100,1000,10000] [--seconds S] [--threads N] [--json]:
// committed commands/s and latency for K active 3-member groups on three in-process nodes, with
// 100-byte commands and fsync on, each sent to its group's leader by a closed loop of clients.
import { cpus } from 'node:os';
import type { FlotillaNode } from 'flotilla';
import { createGroups, startBenchCluster } from './cluster.js';
import { LatencySample } from './latency.js';
import { type BenchResult, type Figure, progress, writeResult } from './report.js';

export interface ThroughputOptions {
  readonly sizes: readonly number[];
  readonly seconds: number;
  readonly threads: number;
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

async function runSize(groups: number, seconds: number, threads: number): Promise<ThroughputRun> {
  const cluster = await startBenchCluster(threads);
  try {
    const { nodes } = cluster;
    const names = Array.from({ length: groups }, (_, index) => `group-${index}`);
    await createGroups(nodes, names, 2000, progress);
    const leaders: FlotillaNode[] = [];
    for (const name of names) {
      const { leader } = await nodes[0]!.members(name);
      leaders.push(nodes.find((node) => node.name === leader) ?? nodes[0]!);
    }
    const inFlight = windowFor(groups);
    progress(`${inFlight} commands in flight over ${groups.toLocaleString('en-US')} groups for ${seconds} s`);
    const latencies = new LatencySample();
    const walBefore = nodes.map((node) => node.overview().wal);
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
    nodes.forEach((node, position) => {
      const wal = node.overview().wal;
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
    await cluster.close();
  }
}

export async function benchThroughput(options: ThroughputOptions): Promise<BenchResult> {
  const runs: ThroughputRun[] = [];
  for (const groups of options.sizes) {
    progress(`throughput with ${groups.toLocaleString('en-US')} active groups (threads: ${options.threads})`);
    runs.push(await runSize(groups, options.seconds, options.threads));
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
    details: { runs, threads: options.threads, seconds: options.seconds },
  };
  writeResult(options.resultDirectory, result);
  return result;
}
