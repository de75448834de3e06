// npx flotilla bench failover [--groups 10000] [--json]: G 3-member groups on three node
// processes, leaders spread over them; the node leading the most is killed with SIGKILL, first
// with every group idle, then (after it restarted) under load from the driver. For each group it
// led: the time until a surviving member reports a new leader (the nodes' own leader events,
// timed where they happen) and until a command commits again. The node's own failure detection
// (its peers' 'down') is reported beside them.
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

/**
 * Commands the driver keeps in flight, spread over every group, during the loaded failover: the
 * bound of the load, and about what the throughput bench's 8 per group gives at 1,000 groups.
 */
const loadInFlight = 8000;
/** Load before the kill, so the kill lands on a cluster at its steady rate. */
const loadWarmSeconds = 5;

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

interface Failover {
  readonly groups: number;
  readonly detectedMs: number;
  readonly elected: LatencySample;
  readonly resumed: LatencySample;
  readonly unresolved: number;
}

/**
 * Kills `victim` with SIGKILL and times, for each group it led, the new leader (from the nodes'
 * leader events) and the first command committed after it.
 */
async function killAndTime(
  cluster: NodeProcesses,
  victim: string,
  victimGroups: readonly string[],
): Promise<Failover> {
  let detectedMs = Number.NaN;
  const killedAt = performance.now();
  const seen = () => {
    detectedMs = performance.now() - killedAt;
  };
  cluster.driver.once('down', seen);
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
  cluster.driver.off('down', seen);
  const elected = new LatencySample();
  for (const time of times) elected.add(time);
  return { groups: victimGroups.length, detectedMs, elected, resumed, unresolved };
}

function failoverFigures(run: Failover, victim: string, when: string, targetSeconds: number): Figure[] {
  const seconds = (sample: LatencySample, fraction: number) => sample.percentile(fraction) / 1000;
  return [
    { name: `${when}: groups ${victim} led when killed`, value: run.groups, unit: 'groups' },
    { name: `${when}: ${victim} seen down by a peer after`, value: run.detectedMs / 1000, unit: 's' },
    { name: `${when}: new leader, p50`, value: seconds(run.elected, 0.5), unit: 's' },
    { name: `${when}: new leader, p99`, value: seconds(run.elected, 0.99), unit: 's' },
    {
      name: `${when}: new leader, every group`,
      value: seconds(run.elected, 1),
      unit: 's',
      target: { value: targetSeconds, higherIsBetter: false },
    },
    { name: `${when}: commands resume, p50`, value: seconds(run.resumed, 0.5), unit: 's' },
    { name: `${when}: commands resume, p99`, value: seconds(run.resumed, 0.99), unit: 's' },
    { name: `${when}: commands resume, every group`, value: seconds(run.resumed, 1), unit: 's' },
    {
      name: `${when}: groups without a leader after ${giveUpMs / 1000} s`,
      value: run.unresolved,
      unit: 'groups',
    },
  ];
}

/** The groups each node leads, from the leaders the node processes reported. */
function leadersOf(reported: ReadonlyMap<string, string>, groups: readonly string[]): Map<string, string[]> {
  const led = new Map<string, string[]>();
  for (const group of groups) {
    const leader = reported.get(group);
    if (leader !== undefined) led.set(leader, [...(led.get(leader) ?? []), group]);
  }
  return led;
}

/** The driver's load: `loadInFlight` callers, each sending to the groups in turn until stopped. */
class Load {
  completed = 0;
  failed = 0;
  /** Failures by error code (commands in flight at a killed leader cannot know whether they applied). */
  readonly failures = new Map<string, number>();
  private running = true;
  private readonly callers: Promise<void>[] = [];

  constructor(
    private readonly cluster: NodeProcesses,
    private readonly groups: readonly string[],
  ) {
    for (let caller = 0; caller < loadInFlight; caller += 1) this.callers.push(this.call(caller));
  }

  private async call(first: number): Promise<void> {
    for (let next = first; this.running; next += loadInFlight) {
      const group = this.groups[next % this.groups.length]!;
      try {
        await this.cluster.driver.command(group, 'load', { timeoutMs: giveUpMs });
        this.completed += 1;
      } catch (error) {
        this.failed += 1;
        const code = (error as { code?: string }).code ?? 'unknown';
        this.failures.set(code, (this.failures.get(code) ?? 0) + 1);
      }
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.callers);
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

    const idleFailover = await killAndTime(cluster, victim, victimGroups);
    progress(`every group ${victim} led has a leader again; restarting ${victim}`);
    const restartMs = await cluster.startProcess(victim);

    progress(`load: ${loadInFlight.toLocaleString('en-US')} commands in flight over every group`);
    const load = new Load(cluster, groups);
    await new Promise((resolve) => setTimeout(resolve, loadWarmSeconds * 1000));
    const loadRate = load.completed / loadWarmSeconds;
    const loadedLed = leadersOf(cluster.reportedLeaders(), groups);
    const [loadedVictim, loadedGroups] = [...loadedLed].sort((x, y) => y[1].length - x[1].length)[0]!;
    progress(
      `under load (${Math.round(loadRate).toLocaleString('en-US')} commands/s): killing ${loadedVictim}, which leads ${loadedGroups.length.toLocaleString('en-US')}`,
    );
    const loadedFailover = await killAndTime(cluster, loadedVictim, loadedGroups);
    await load.stop();

    const figures: Figure[] = [
      ...failoverFigures(idleFailover, victim, 'idle', 3),
      { name: `${victim} restarted and listening after`, value: restartMs / 1000, unit: 's' },
      { name: 'under load: commands/s before the kill', value: loadRate, unit: '/s' },
      { name: 'under load: commands in flight', value: loadInFlight, unit: 'commands' },
      ...failoverFigures(loadedFailover, loadedVictim, 'under load', 2),
      { name: 'under load: commands failed', value: load.failed, unit: 'commands' },
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
        loadedVictim,
        loadedLeaders: Object.fromEntries([...loadedLed].map(([node, list]) => [node, list.length])),
        loadFailures: Object.fromEntries(load.failures),
      },
    };
    writeResult(options.resultDirectory, result);
    return result;
  } finally {
    await cluster.close();
  }
}
