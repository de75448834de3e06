// Quick start: three nodes in one process, one counter group across them, a few commands and a
// consistent read. Run it with `npm run example:quick-start`.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startNode } from 'flotilla';

const dataDir = mkdtempSync(join(tmpdir(), 'flotilla-quick-start-'));
const nodes = await Promise.all(
  ['a', 'b', 'c'].map((name) => startNode({ name, dataDir: join(dataDir, name), threads: 0 })),
);
const [a, b] = nodes as [(typeof nodes)[0], (typeof nodes)[0]];
try {
  await a.createGroup('orders', {
    machine: { module: new URL('./counter.js', import.meta.url).href, config: {} },
    members: ['a', 'b', 'c'],
  });
  for (const amount of [5, 10, 27]) {
    const total = await b.command<number>('orders', amount, { timeoutMs: 5000 });
    console.log(`added ${amount}: total ${total}`);
  }
  const total = await a.query<number>('orders', 'total', undefined, { consistency: 'consistent' });
  const { leader } = await a.members('orders');
  console.log(`consistent read: ${total} (leader ${leader})`);
} finally {
  await Promise.all(nodes.map((node) => node.close()));
  rmSync(dataDir, { recursive: true, force: true });
}
