// npx flotilla bench recovery [--groups 10000] [--wal-mb 1024] [--json]: G groups on three node
// processes take commands until node a has written the given amount through its WAL; a is then
// killed with SIGKILL and started again. Reported: the time until it listens again (every group
// opened from its WAL and LMDB), until it is back in contact with its peers, and until its
// members of sampled groups have applied what their leaders had committed at the kill.
import { statSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { NodeProcesses } from '../runtime/local-cluster.js';
import { NodeClient } from '../runtime/tcp/node-client.js';
import { createGroups, machineModule } from './cluster.js';
import { type BenchResult, type Figure, progress, writeResult } from './report.js';

export interface RecoveryOptions {
  readonly groups: number;
  readonly walMegabytes: number;
  readonly resultDirectory: string;
}

/** Commands are 1 KiB so the WAL fills in a minute or so; what recovery reads is bytes. */
const command = 'r'.repeat(1024);
const sampled = 200;

async function bytesUnder(directory: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(directory, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) total += statSync(join(entry.parentPath, entry.name)).size;
  }
  return total;
}

export async function benchRecovery(options: RecoveryOptions): Promise<BenchResult> {
  progress('starting three node processes');
  const cluster = await NodeProcesses.start();
  const watchers: NodeClient[] = [];
  try {
    const { driver } = cluster;
    const groups = Array.from({ length: options.groups }, (_, index) => `group-${index}`);
    progress(`creating ${groups.length.toLocaleString('en-US')} 3-member groups`);
    await createGroups([driver], groups, 1000, progress, machineModule);
    for (const name of cluster.names)
      watchers.push(await NodeClient.connect({ address: cluster.addresses[name]!, secret: cluster.secret }));
    const walBytes = async () => (await watchers[0]!.overview()).wal.bytes;
    const goal = options.walMegabytes * 1024 * 1024;
    progress(`writing 1 KiB commands until node a has written ${options.walMegabytes} MiB through its WAL`);
    let written = await walBytes();
    let lastShown = performance.now();
    let stop = false;
    const load = Promise.all(
      Array.from({ length: 4096 }, async (_, client) => {
        for (let turn = client; !stop; turn += 4096) {
          await driver.command(groups[turn % groups.length]!, command, { timeoutMs: 30_000 }).catch(() => {});
        }
      }),
    );
    while (written < goal) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      written = await walBytes();
      if (performance.now() - lastShown > 5000) {
        lastShown = performance.now();
        progress(`${(written / 1024 / 1024).toFixed(0)} MiB written through a's WAL`);
      }
    }
    stop = true;
    await load;
    // What each sampled group had committed at the kill: a must apply at least that much.
    const sample = groups.filter(
      (_, index) => index % Math.max(1, Math.floor(groups.length / sampled)) === 0,
    );
    const committed = new Map<string, number>();
    for (const group of sample) committed.set(group, (await watchers[1]!.status(group)).commitIndex);
    const dataDir = join(cluster.root, 'a');
    const walDir = join(dataDir, 'wal');
    const onDisk = await bytesUnder(dataDir);
    const inWalFiles = await bytesUnder(walDir).catch(() => 0);
    progress(
      `killing a: ${(onDisk / 1024 / 1024).toFixed(0)} MiB in its data directory, ${(inWalFiles / 1024 / 1024).toFixed(0)} MiB of it in WAL files`,
    );
    watchers[0]!.close();
    await cluster.kill('a');
    const listenMs = await cluster.startProcess('a');
    const restartedAt = performance.now();
    const restarted = await NodeClient.connect({ address: cluster.addresses.a!, secret: cluster.secret });
    watchers[0] = restarted;
    let peersMs = Number.NaN;
    for (let waited = 0; waited < 600; waited += 1) {
      if ((await restarted.overview()).peers.length >= cluster.names.length) {
        peersMs = performance.now() - restartedAt;
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    for (const group of sample) {
      for (
        let waited = 0;
        (await restarted.status(group)).appliedIndex < committed.get(group)!;
        waited += 1
      ) {
        if (waited > 1200) throw new Error(`a did not catch up on ${group} in 60 s`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    const caughtUpMs = performance.now() - restartedAt;
    const figures: Figure[] = [
      { name: "bytes written through a's WAL before the kill", value: written / 1024 / 1024, unit: 'MiB' },
      { name: "a's data directory at the kill", value: onDisk / 1024 / 1024, unit: 'MiB' },
      { name: 'of it in WAL files not yet in LMDB', value: inWalFiles / 1024 / 1024, unit: 'MiB' },
      {
        name: `restart until listening, ${options.groups.toLocaleString('en-US')} groups`,
        value: listenMs / 1000,
        unit: 's',
        target: { value: 5, higherIsBetter: false },
      },
      { name: 'then until every peer is connected', value: peersMs / 1000, unit: 's' },
      {
        name: `then until ${sample.length} sampled members applied what was committed at the kill`,
        value: caughtUpMs / 1000,
        unit: 's',
      },
    ];
    const result: BenchResult = {
      bench: 'recovery',
      startedAt: new Date().toISOString(),
      machine: { cpus: cpus().length, node: process.version },
      figures,
      details: { groups: options.groups, walMegabytes: options.walMegabytes },
    };
    writeResult(options.resultDirectory, result);
    return result;
  } finally {
    for (const watcher of watchers) watcher.close();
    await cluster.close();
  }
}
