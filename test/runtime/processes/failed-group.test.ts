// A node process whose stored group's machine module is gone (a deployment that dropped a file)
// still starts: that group reports itself failed, the others serve, and deleting it works.
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { NodeProcesses } from '../../../runtime/local-cluster.js';
import { NodeClient } from '../../../runtime/tcp/node-client.js';
import { machineUrl } from '../cluster.js';

/** The built CLI, as a deployment runs it (the tests import the sources, which are not run). */
const cli = fileURLToPath(new URL('../../../dist/cli/flotilla.js', import.meta.url));
let cluster: NodeProcesses | null = null;
afterEach(async () => {
  await cluster?.close();
  cluster = null;
});

describe('a node process whose stored group cannot open', () => {
  it('starts, reports the group failed, serves the others, and lets it be deleted', async () => {
    cluster = await NodeProcesses.start(['a'], { transport: { heartbeatMs: 50, downAfterMs: 400 }, cli });
    const driver = cluster.driver;
    // A machine with nothing to import, in a file of its own that goes away while the node is down.
    const module = join(cluster.root, 'vanishing-counter.mjs');
    writeFileSync(
      module,
      'export default { init: () => 0, apply: (_meta, n, total) => ({ state: total + n, reply: total + n }) };\n',
    );
    await driver.createGroup('doomed', { machine: { module: pathToFileURL(module).href }, members: ['a'] });
    await driver.createGroup('fine', { machine: { module: machineUrl('counter') }, members: ['a'] });
    expect(await driver.command('doomed', 1)).toBe(1);
    expect(await driver.command('fine', 2)).toBe(2);
    await cluster.stop('a');
    rmSync(module);
    await cluster.startProcess('a');
    const client = await NodeClient.connect({ address: cluster.addresses.a!, secret: cluster.secret });
    try {
      const status = await client.status('doomed');
      expect(status.role).toBe('failed');
      expect(status.failure).toMatch(/vanishing-counter/);
      expect((await client.overview()).failed).toEqual({ doomed: status.failure });
    } finally {
      client.close();
    }
    expect(await driver.command('fine', 3, { timeoutMs: 10_000 })).toBe(5);
    await driver.deleteGroup('doomed', { timeoutMs: 10_000 });
    const after = await NodeClient.connect({ address: cluster.addresses.a!, secret: cluster.secret });
    try {
      expect((await after.overview()).groups).toBe(1);
    } finally {
      after.close();
    }
  });
});
