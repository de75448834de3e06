// A replicated queue as a broker would use it, across three nodes in one process: messages are
// enqueued, delivered to consumers' mailboxes, settled; a consumer that goes away has its
// unsettled messages returned and delivered to the other. Run it with `npm run example:queue`.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startNode } from 'flotilla';
import type { Delivery } from './queue-machine.js';

const dataDir = mkdtempSync(join(tmpdir(), 'flotilla-queue-'));
const [a, b, c] = await Promise.all(
  ['a', 'b', 'c'].map((name) => startNode({ name, dataDir: join(dataDir, name), threads: 0 })),
);
if (a === undefined || b === undefined || c === undefined) throw new Error('three nodes expected');

async function until(condition: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

try {
  await a.createGroup('jobs', {
    machine: {
      module: new URL('./queue-machine.js', import.meta.url).href,
      config: { name: 'jobs', releaseEvery: 8 },
    },
    members: ['a', 'b', 'c'],
  });
  // A worker on node c settles what it gets; one on node b takes messages and never settles.
  const done: number[] = [];
  c.mailbox('worker', (message) => {
    const delivery = message as Delivery;
    done.push(delivery.id);
    void c.command('jobs', { settle: { consumer: 'c/worker', ids: [delivery.id] } });
  });
  const stuck: number[] = [];
  const unregister = b.mailbox('stuck', (message) => stuck.push((message as Delivery).id));
  await b.command('jobs', { checkout: { node: 'b', mailbox: 'stuck', credit: 3 } });
  for (let job = 1; job <= 10; job += 1) await a.command('jobs', { enqueue: { job } });
  await c.command('jobs', { checkout: { node: 'c', mailbox: 'worker', credit: 2 } });
  await until(() => done.length === 7, 'the worker to settle 7 jobs');
  console.log(`worker on c settled ${done.length}; the consumer on b holds ${stuck.join(', ')}`);
  // The stuck consumer goes away: the leader sees it through its monitor and returns its jobs.
  unregister();
  await until(() => done.length === 10, 'the returned jobs to be settled');
  const settled = await a.query<number>('jobs', 'settled', undefined, { consistency: 'consistent' });
  const status = await a.status('jobs');
  console.log(
    `after the consumer on b went away: ${settled} settled, ${await a.query('jobs', 'depth')} waiting`,
  );
  console.log(`log: ${status.logSize} entries after snapshot ${status.snapshotIndex}`);
} finally {
  await Promise.all([a, b, c].map((node) => node.close()));
  rmSync(dataDir, { recursive: true, force: true });
}
