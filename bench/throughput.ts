// npx flotilla bench throughput [--groups 1,100,1000,10000] [--seconds S] [--threads 0,1,2]
// [--from leader,any] [--processes] [--json]: committed commands/s, latency and CPU per command
// for K active 3-member groups, with 100-byte commands and fsync on, from a closed loop of
// clients. On three in-process nodes each command is sent from its group's leader's node
// (--from leader) or from the three nodes in turn (--from any), for each --threads value; with
// --processes the nodes are three node processes over TCP, each with --threads worker shards,
// and the commands come from this process, a fourth node. CPU is read from /proc for every thread and for the main threads alone.
// Each setting runs in a process of its own on a cluster of its own: a run after another in the
// same process would pay for the one before (its heap to collect, its log still moving to LMDB).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FlotillaNode } from 'flotilla';
import { NodeProcesses } from '../runtime/local-cluster.js';
import { NodeClient } from '../runtime/tcp/node-client.js';
import { createGroups, startBenchCluster } from './cluster.js';
import { cpuSince, cpuTimes } from './cpu.js';
import { LatencySample } from './latency.js';
import { type BenchResult, type Figure, progress, writeResult } from './report.js';

/** Where each command is sent from: its group's leader's node, any node in turn, or a fourth node. */
export type Origin = 'leader' | 'any' | 'driver';

export interface ThroughputOptions {
  readonly sizes: readonly number[];
  readonly seconds: number;
  /** Worker threads per node, a run for each. */
  readonly threads: readonly number[];
  /** Where commands are sent from, a run for each (in-process nodes). */
  readonly from: readonly ('leader' | 'any')[];
  /** Three node processes over TCP rather than three nodes in this process. */
  readonly processes: boolean;
  readonly resultDirectory: string;
}

interface ThroughputRun {
  readonly groups: number;
  /** Worker threads per node. */
  readonly threads: number;
  /** 'driver' for node processes over TCP, loaded from a fourth node. */
  readonly from: Origin;
  readonly inFlight: number;
  readonly commandsPerSecond: number;
  readonly latencyP50: number;
  readonly latencyP99: number;
  readonly entriesPerSync: number;
  /** WAL records and peer messages per committed command, over every node. */
  readonly recordsPerCommand: number;
  readonly messagesPerCommand: number;
  readonly failures: number;
  /** CPU per committed command: every thread of every node process (and this one), and main threads alone. */
  readonly cpuUsPerCommand: number;
  readonly mainThreadUsPerCommand: number;
}

const command = 'x'.repeat(100);

/** Load before the measured runs of each cluster, not counted. */
const warmUpSeconds = 1;

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

interface Counters {
  readonly records: number;
  readonly entries: number;
  readonly syncs: number;
  readonly messages: number;
}

function countersOf(overview: ReturnType<FlotillaNode['overview']>): Counters {
  const { wal, transport } = overview;
  // Messages between linked worker shards (threads on in-process nodes) bypass the transport.
  const messages = transport.messages + transport.linked;
  return { records: wal.records, entries: wal.entries, syncs: wal.syncs, messages };
}

/** Where the load runs: the nodes, their leaders, the processes to read CPU of, their counters. */
interface Setup {
  readonly nodes: readonly FlotillaNode[];
  /** Each group's leader's node, or the node that sends every command. */
  readonly leaders: readonly FlotillaNode[];
  /** Node processes besides this one, whose CPU counts. */
  readonly pids: readonly number[];
  /** Each node's WAL records and syncs, and the messages it has sent, so far. */
  counters(): Promise<Counters[]>;
  close(): Promise<void>;
}

/** Three nodes in this process. */
async function inProcess(names: readonly string[], threads: number): Promise<Setup> {
  const cluster = await startBenchCluster(threads);
  const { nodes } = cluster;
  await createGroups(nodes, names, 2000, progress);
  const leaders: FlotillaNode[] = [];
  for (const name of names) {
    const { leader } = await nodes[0]!.members(name);
    leaders.push(nodes.find((node) => node.name === leader) ?? nodes[0]!);
  }
  return {
    nodes,
    leaders,
    pids: [],
    counters: async () => nodes.map((node) => countersOf(node.overview())),
    close: () => cluster.close(),
  };
}

/** Three node processes; the commands come from this process, a node that leads nothing. */
async function acrossProcesses(names: readonly string[], threads: number): Promise<Setup> {
  const cluster = await NodeProcesses.start(undefined, { threads });
  try {
    await createGroups([cluster.driver], names, 2000, progress);
    const clients = await Promise.all(
      cluster.names.map((name) =>
        NodeClient.connect({ address: cluster.addresses[name]!, secret: cluster.secret }),
      ),
    );
    return {
      nodes: [cluster.driver],
      leaders: names.map(() => cluster.driver),
      pids: [...cluster.processes.values()].flatMap((child) => (child.pid === undefined ? [] : [child.pid])),
      counters: async () => (await Promise.all(clients.map((client) => client.overview()))).map(countersOf),
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

/** The closed loop of clients for `seconds`, each command sent from `callers[group]`. */
async function load(
  setup: Setup,
  names: readonly string[],
  callers: readonly FlotillaNode[],
  seconds: number,
  threads: number,
  from: Origin,
): Promise<ThroughputRun> {
  const groups = names.length;
  const inFlight = windowFor(groups);
  const where =
    from === 'driver' ? 'from a fourth node' : from === 'leader' ? 'from the leader' : 'from any node';
  progress(
    `${inFlight} commands in flight over ${groups.toLocaleString('en-US')} groups for ${seconds} s, ${where}`,
  );
  const latencies = new LatencySample();
  const before = await setup.counters();
  const cpuBefore = cpuTimes(setup.pids);
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
          await callers[group]!.command(names[group]!, command, { timeoutMs: 10_000 });
          done += 1;
          latencies.add(performance.now() - sent);
        } catch {
          failures += 1;
        }
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  const cpu = cpuSince(cpuBefore, cpuTimes(setup.pids));
  let records = 0;
  let entries = 0;
  let syncs = 0;
  let messages = 0;
  (await setup.counters()).forEach((after, position) => {
    records += after.records - before[position]!.records;
    entries += after.entries - before[position]!.entries;
    syncs += after.syncs - before[position]!.syncs;
    messages += after.messages - before[position]!.messages;
  });
  return {
    groups,
    threads,
    from,
    inFlight,
    commandsPerSecond: done / elapsed,
    latencyP50: latencies.percentile(0.5),
    latencyP99: latencies.percentile(0.99),
    entriesPerSync: syncs === 0 ? 0 : entries / syncs,
    recordsPerCommand: done === 0 ? Number.NaN : records / done,
    messagesPerCommand: done === 0 ? Number.NaN : messages / done,
    failures,
    cpuUsPerCommand: done === 0 ? Number.NaN : cpu.allUs / done,
    mainThreadUsPerCommand: done === 0 ? Number.NaN : cpu.mainUs / done,
  };
}

/** One cluster of `groups` groups, loaded from `from` (across processes, from a fourth node). */
async function runSetting(
  groups: number,
  seconds: number,
  threads: number,
  from: Origin,
): Promise<ThroughputRun> {
  const names = Array.from({ length: groups }, (_, index) => `group-${index}`);
  const setup = from === 'driver' ? await acrossProcesses(names, threads) : await inProcess(names, threads);
  try {
    // A first second of load, not counted: the runs compared should all meet compiled code.
    await load(setup, names, setup.leaders, warmUpSeconds, threads, from === 'driver' ? 'driver' : 'leader');
    if (from === 'driver') return await load(setup, names, setup.leaders, seconds, threads, 'driver');
    const callers =
      from === 'leader' ? setup.leaders : names.map((_, index) => setup.nodes[index % setup.nodes.length]!);
    return await load(setup, names, callers, seconds, threads, from);
  } finally {
    await setup.close();
  }
}

// The package's `flotilla` command as installed: each setting of a run is one invocation of it.
const packageCli = fileURLToPath(new URL('../cli/flotilla.js', import.meta.url));

/** One setting in a process of its own: `flotilla bench throughput` for it alone, read back as JSON. */
async function runApart(
  groups: number,
  seconds: number,
  threads: number,
  from: Origin,
): Promise<ThroughputRun> {
  const out = mkdtempSync(join(tmpdir(), 'flotilla-throughput-'));
  const args = [packageCli, 'bench', 'throughput', '--groups', String(groups), '--seconds', String(seconds)];
  args.push('--threads', String(threads), ...(from === 'driver' ? ['--processes'] : ['--from', from]));
  args.push('--json', '--out', out);
  try {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    const last = stdout.trim().split('\n').at(-1) ?? '';
    if (code !== 0 || !last.startsWith('{'))
      throw new Error(`the run of ${groups} groups (threads ${threads}, from ${from}) failed (exit ${code})`);
    const result = JSON.parse(last) as BenchResult & { details: { runs: ThroughputRun[] } };
    return result.details.runs[0]!;
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

function label(run: ThroughputRun): string {
  const at = `${run.groups.toLocaleString('en-US')} groups`;
  if (run.from === 'driver') return `${at}, three node processes, threads ${run.threads}`;
  return `${at}, threads ${run.threads}, from ${run.from === 'leader' ? 'the leader' : 'any node'}`;
}

/** Commands/s beside what the same run measured that it should beat, and the target. */
function rateFigure(run: ThroughputRun, runs: readonly ThroughputRun[]): Figure {
  const name = `commands/s, ${label(run)}`;
  const base = { name, value: run.commandsPerSecond, unit: '/s' };
  const find = (groups: number, threads: number, from: Origin) =>
    runs.find((other) => other.groups === groups && other.threads === threads && other.from === from);
  if (run.from === 'driver') {
    const inline = find(run.groups, 0, 'driver');
    const target = { value: 200_000, higherIsBetter: true };
    return {
      ...base,
      ...(run.threads > 0 && inline !== undefined
        ? { reference: { name: 'threads 0 in this run', value: inline.commandsPerSecond } }
        : {}),
      ...(run.groups === 1000 ? { target } : {}),
    };
  }
  if (run.from === 'any') {
    const leader = find(run.groups, run.threads, 'leader');
    if (leader !== undefined)
      return {
        ...base,
        reference: { name: 'from the leader in this run', value: leader.commandsPerSecond },
        target: { value: 0.9 * leader.commandsPerSecond, higherIsBetter: true },
      };
  }
  if (run.threads > 0) {
    const inline = find(run.groups, 0, run.from);
    if (inline !== undefined)
      return {
        ...base,
        reference: { name: 'threads 0 in this run', value: inline.commandsPerSecond },
        ...(run.threads === 2
          ? { target: { value: 1.3 * inline.commandsPerSecond, higherIsBetter: true } }
          : {}),
      };
  }
  const thousand = find(1000, run.threads, run.from);
  if (run.groups === 10_000 && thousand !== undefined)
    return {
      ...base,
      reference: { name: '1,000 groups in this run', value: thousand.commandsPerSecond },
      target: { value: 0.8 * thousand.commandsPerSecond, higherIsBetter: true },
    };
  if (run.groups === 1000 && run.threads === 0 && run.from === 'leader')
    return { ...base, target: { value: 150_000, higherIsBetter: true } };
  return base;
}

/** CPU per command, every thread and the main threads alone; the latter beside threads 0's. */
function cpuFigures(run: ThroughputRun, runs: readonly ThroughputRun[]): Figure[] {
  const inline = runs.find(
    (other) => other.groups === run.groups && other.threads === 0 && other.from === run.from,
  );
  const main: Figure = {
    name: `main-thread CPU per command, ${label(run)}`,
    value: run.mainThreadUsPerCommand,
    unit: 'µs',
    ...(run.threads > 0 && inline !== undefined
      ? { reference: { name: 'threads 0 in this run', value: inline.mainThreadUsPerCommand } }
      : {}),
    ...(run.threads === 2 ? { target: { value: 3, higherIsBetter: false } } : {}),
  };
  return [
    {
      name: `CPU per command, every thread, ${label(run)}`,
      value: run.cpuUsPerCommand,
      unit: 'µs',
      target: { value: 10, higherIsBetter: false },
    },
    main,
  ];
}

export async function benchThroughput(options: ThroughputOptions): Promise<BenchResult> {
  const runs: ThroughputRun[] = [];
  const settings: { groups: number; threads: number; from: Origin }[] = [];
  for (const groups of options.sizes)
    for (const threads of options.threads)
      if (options.processes) settings.push({ groups, threads, from: 'driver' });
      else for (const from of options.from) settings.push({ groups, threads, from });
  // One setting runs here; several run each in a process of its own.
  for (const { groups, threads, from } of settings) {
    const where =
      from === 'driver'
        ? `three node processes, threads: ${threads}`
        : `threads: ${threads}, from ${from === 'leader' ? 'the leader' : 'any node'}`;
    const apart = settings.length === 1 ? '' : ', in a process of its own';
    progress(`throughput with ${groups.toLocaleString('en-US')} active groups (${where})${apart}`);
    runs.push(
      settings.length === 1
        ? await runSetting(groups, options.seconds, threads, from)
        : await runApart(groups, options.seconds, threads, from),
    );
  }
  const figures: Figure[] = runs.flatMap((run) => [
    rateFigure(run, runs),
    ...cpuFigures(run, runs),
    { name: `latency p50, ${label(run)}`, value: run.latencyP50, unit: 'ms' },
    { name: `latency p99, ${label(run)}`, value: run.latencyP99, unit: 'ms' },
    { name: `WAL entries per fsync, ${label(run)}`, value: run.entriesPerSync, unit: 'entries' },
    { name: `WAL records per command, ${label(run)}`, value: run.recordsPerCommand, unit: 'records' },
    { name: `peer messages per command, ${label(run)}`, value: run.messagesPerCommand, unit: 'messages' },
    { name: `failed commands, ${label(run)}`, value: run.failures, unit: 'commands' },
    { name: `commands in flight, ${label(run)}`, value: run.inFlight, unit: 'commands' },
  ]);
  const result: BenchResult = {
    bench: 'throughput',
    startedAt: new Date().toISOString(),
    machine: { cpus: cpus().length, node: process.version },
    figures,
    details: { runs, processes: options.processes, seconds: options.seconds },
  };
  writeResult(options.resultDirectory, result);
  return result;
}
