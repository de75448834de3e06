// npx flotilla bench failover [--groups 10000] [--json]: G 3-member groups on three node
// processes, leaders spread over them; the node leading the most is killed with SIGKILL. For
// each group it led: the time until a surviving member names a new leader, and until a command
// commits again. The node's own failure detection (its peers' 'down') is reported beside them.
import { cpus } from 'node:os';
import { NodeProcesses } from '../runtime/local-cluster.js';
import { NodeClient } from '../runtime/tcp/node-client.js';
import { createGroups, machineModule } from './cluster.js';
import { LatencySample } from './latency.js';
import { type BenchResult, type Figure, progress, writeResult } from './report.js';

export interface FailoverOptions {
  readonly groups: number;
  readonly resultDirectory: string;
}

/** A group that takes longer than this is reported as failed over at this bound. */
const giveUpMs = 60_000;

/** The transport's default heartbeat: a quiet link pings once per interval, each way. */
const heartbeatMs = 100;
const idleSeconds = 10;

/**
 * With every group idle: the pings each pair of nodes exchanges per heartbeat interval (both
 * ways together, whatever the number of groups; the bench's own node is one of the nodes), and
 * the batches of group messages all nodes send.
 */
async function idleTraffic(
  cluster: NodeProcesses,
): Promise<{ readonly pingsPerPairPerInterval: number; readonly batchesPerSecond: number }> {
  progress(`every group idle: counting what the nodes send for ${idleSeconds} s`);
  // Quiet first: the last commits reach the followers, and leaders stop their timers.
  await new Promise((resolve) => setTimeout(resolve, 3000));
  const clients = await Promise.all(
    cluster.names.map((name) =>
      NodeClient.connect({ address: cluster.addresses[name]!, secret: cluster.secret }),
    ),
  );
  try {
    const read = async () => [
      ...(await Promise.all(clients.map((client) => client.overview()))).map(
        (overview) => overview.transport,
      ),
      cluster.driver.overview().transport,
    ];
    const before = await read();
    await new Promise((resolve) => setTimeout(resolve, idleSeconds * 1000));
    const after = await read();
    let pings = 0;
    let batches = 0;
    after.forEach((transport, position) => {
      pings += transport.pings - before[position]!.pings;
      // The bench's node answers the overview calls themselves: its batches are not counted.
      if (position < clients.length) batches += transport.frames - before[position]!.frames;
    });
    const nodes = cluster.names.length + 1;
    const pairs = (nodes * (nodes - 1)) / 2;
    return {
      pingsPerPairPerInterval: pings / pairs / ((idleSeconds * 1000) / heartbeatMs),
      batchesPerSecond: batches / idleSeconds,
    };
  } finally {
    for (const client of clients) client.close();
  }
}

export async function benchFailover(options: FailoverOptions): Promise<BenchResult> {
  progress('starting three node processes');
  const cluster = await NodeProcesses.start();
  try {
    const groups = Array.from({ length: options.groups }, (_, index) => `group-${index}`);
    progress(`creating ${groups.length.toLocaleString('en-US')} 3-member groups`);
    const creationSeconds = await createGroups([cluster.driver], groups, 1000, progress, machineModule);
    const led = await cluster.leadersByNode(groups);
    const [victim, victimGroups] = [...led].sort((x, y) => y[1].length - x[1].length)[0]!;
    progress(
      `leaders: ${[...led].map(([node, list]) => `${node} ${list.length}`).join(', ')}; killing ${victim}`,
    );
    // Every group answers a command first, so the driver knows each leader before the kill.
    await Promise.all(
      victimGroups.map((group) => cluster.driver.command(group, 'warm', { timeoutMs: 30_000 })),
    );
    const idle = await idleTraffic(cluster);

    let detectedMs = Number.NaN;
    const killedAt = performance.now();
    cluster.driver.once('down', () => {
      detectedMs = performance.now() - killedAt;
    });
    await cluster.kill(victim);
    const resumed = new LatencySample();
    const { times, unresolved } = await cluster.whenLedAgain(
      victimGroups,
      victim,
      killedAt,
      async (group) => {
        await cluster.driver.command(group, 'after', { timeoutMs: giveUpMs });
        resumed.add(performance.now() - killedAt);
      },
      giveUpMs,
    );
    const elected = new LatencySample();
    for (const time of times) elected.add(time);
    progress(`every group ${victim} led has a leader again; restarting ${victim}`);
    const restartMs = await cluster.startProcess(victim);

    const seconds = (sample: LatencySample, fraction: number) => sample.percentile(fraction) / 1000;
    const figures: Figure[] = [
      { name: `groups ${victim} led when killed`, value: victimGroups.length, unit: 'groups' },
      { name: `${victim} seen down by a peer after`, value: detectedMs / 1000, unit: 's' },
      { name: 'new leader, p50', value: seconds(elected, 0.5), unit: 's' },
      { name: 'new leader, p99', value: seconds(elected, 0.99), unit: 's' },
      {
        name: 'new leader, every group',
        value: seconds(elected, 1),
        unit: 's',
        target: { value: 3, higherIsBetter: false },
      },
      { name: 'commands resume, p50', value: seconds(resumed, 0.5), unit: 's' },
      { name: 'commands resume, p99', value: seconds(resumed, 0.99), unit: 's' },
      { name: 'commands resume, every group', value: seconds(resumed, 1), unit: 's' },
      { name: `groups without a leader after ${giveUpMs / 1000} s`, value: unresolved, unit: 'groups' },
      { name: `${victim} restarted and listening after`, value: restartMs / 1000, unit: 's' },
      {
        name: `idle: liveness pings per node pair per ${heartbeatMs} ms, ${options.groups.toLocaleString('en-US')} groups`,
        value: idle.pingsPerPairPerInterval,
        unit: 'pings',
      },
      {
        name: 'idle: batches of group messages per second, all nodes',
        value: idle.batchesPerSecond,
        unit: '/s',
      },
    ];
    const result: BenchResult = {
      bench: 'failover',
      startedAt: new Date().toISOString(),
      machine: { cpus: cpus().length, node: process.version },
      figures,
      details: {
        groups: options.groups,
        creationSeconds,
        victim,
        leaders: Object.fromEntries([...led].map(([node, list]) => [node, list.length])),
      },
    };
    writeResult(options.resultDirectory, result);
    return result;
  } finally {
    await cluster.close();
  }
}
