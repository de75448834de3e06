// npx flotilla bench density [--groups 1000,10000,100000] [--idle-seconds 10] [--json]: how many
// 3-member groups three in-process nodes carry. For each size: heap and RSS per member (beside
// the same nodes with no groups, measured in the same run), the creation rate, and with every
// group idle the CPU used and the messages sent over a window (beside the empty nodes' idle CPU).
import { cpus } from 'node:os';
import { getHeapStatistics } from 'node:v8';
import { collectGarbage, createGroups, startBenchCluster, until } from './cluster.js';
import { type BenchResult, type Figure, progress, writeResult } from './report.js';

export interface DensityOptions {
  readonly sizes: readonly number[];
  readonly idleSeconds: number;
  readonly resultDirectory: string;
}

interface DensityRun {
  readonly groups: number;
  readonly heapPerMember: number;
  readonly rssPerMember: number;
  readonly creationMsPerGroup: number;
  readonly idleCpuPercent: number;
  readonly baselineCpuPercent: number;
  readonly idleMessages: number;
  readonly quiet: boolean;
}

/** Groups being created at once. */
const creationWindow = 2000;

async function measureIdle(
  seconds: number,
  messages: () => number,
): Promise<{ cpu: number; messages: number }> {
  const cpuBefore = process.cpuUsage();
  const sentBefore = messages();
  const started = performance.now();
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  const cpu = process.cpuUsage(cpuBefore);
  const wall = (performance.now() - started) * 1000;
  return { cpu: ((cpu.user + cpu.system) / wall) * 100, messages: messages() - sentBefore };
}

async function runSize(groups: number, idleSeconds: number): Promise<DensityRun> {
  const cluster = await startBenchCluster(0);
  try {
    const { nodes } = cluster;
    const sent = () => nodes.reduce((sum, node) => sum + node.overview().transport.messages, 0);
    // The empty nodes' idle CPU, once their start-up work is over.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const baseline = await measureIdle(Math.min(2, idleSeconds), sent);
    collectGarbage();
    const before = process.memoryUsage();
    const names = Array.from({ length: groups }, (_, index) => `group-${index}`);
    const seconds = await createGroups(nodes, names, creationWindow, progress);
    progress(
      `${groups.toLocaleString('en-US')} groups created in ${seconds.toFixed(1)} s; waiting for them to go quiet`,
    );
    const quiet = await until(() => nodes.every((node) => node.overview().timersArmed === 0), 120);
    // Then the last acknowledgements land and the WAL files written while creating are flushed:
    // that work belongs to creation, not to idle groups.
    let last = -1;
    await until(() => {
      const now = sent();
      const settled = now === last && nodes.every((node) => node.overview().wal.files === 1);
      last = now;
      return settled;
    }, 120);
    collectGarbage();
    const after = process.memoryUsage();
    // The collection just forced finishes sweeping on background threads, which count as CPU.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    progress(`idle for ${idleSeconds} s`);
    const idle = await measureIdle(idleSeconds, sent);
    const members = groups * 3;
    return {
      groups,
      heapPerMember: (after.heapUsed - before.heapUsed) / members,
      rssPerMember: (after.rss - before.rss) / members,
      creationMsPerGroup: (seconds * 1000) / groups,
      idleCpuPercent: idle.cpu,
      baselineCpuPercent: baseline.cpu,
      idleMessages: idle.messages,
      quiet,
    };
  } finally {
    await cluster.close();
  }
}

export async function benchDensity(options: DensityOptions): Promise<BenchResult> {
  const runs: DensityRun[] = [];
  let skipped: string | null = null;
  for (const groups of options.sizes) {
    const last = runs.at(-1);
    if (last !== undefined) {
      // Leave room: the next size must fit the heap with a third to spare.
      const needed = groups * 3 * Math.max(last.heapPerMember, 1) * 1.5;
      if (needed > getHeapStatistics().heap_size_limit * 0.66) {
        skipped = `${groups.toLocaleString('en-US')} groups would need about ${Math.round(needed / 2 ** 20)} MiB of heap`;
        progress(`stopping: ${skipped}`);
        break;
      }
    }
    progress(`creating ${groups.toLocaleString('en-US')} 3-member groups on 3 in-process nodes`);
    runs.push(await runSize(groups, options.idleSeconds));
  }
  const figures: Figure[] = runs.flatMap((run) => {
    const at = `${run.groups.toLocaleString('en-US')} groups`;
    return [
      {
        name: `heap per member, ${at}`,
        value: run.heapPerMember,
        unit: 'bytes',
        target: { value: 2048, higherIsBetter: false },
      },
      { name: `RSS per member, ${at}`, value: run.rssPerMember, unit: 'bytes' },
      {
        name: `creation time per group, ${at}`,
        value: run.creationMsPerGroup,
        unit: 'ms',
        target: { value: 0.1, higherIsBetter: false },
      },
      {
        name: `idle CPU, ${at}`,
        value: run.idleCpuPercent,
        unit: '% of a core',
        reference: { name: 'the same nodes with no groups', value: run.baselineCpuPercent },
        ...(run.groups >= 100_000 ? { target: { value: 1, higherIsBetter: false } } : {}),
      },
      { name: `messages sent while idle, ${at}`, value: run.idleMessages, unit: 'messages' },
    ] satisfies Figure[];
  });
  const result: BenchResult = {
    bench: 'density',
    startedAt: new Date().toISOString(),
    machine: { cpus: cpus().length, node: process.version },
    figures,
    details: { runs, skipped, idleSeconds: options.idleSeconds },
  };
  writeResult(options.resultDirectory, result);
  return result;
}
