// A process hosting three nodes for the restart test. `load DIR`: create (or reopen) the groups
// and send commands until killed, printing "ack GROUP VALUE" for each one acknowledged.
// `dump DIR`: reopen and print each group's applied values as JSON, read consistently.
import { join } from 'node:path';
import { startNode } from 'flotilla';

const [mode, root] = process.argv.slice(2);
const module = new URL('./machines/append-log.mjs', import.meta.url).href;
const groups = ['g0', 'g1', 'g2', 'g3', 'g4'];
const nodes = [];
for (const name of ['a', 'b', 'c']) nodes.push(await startNode({ name, dataDir: join(root, name) }));
for (const group of groups)
  await nodes[0].createGroup(group, { machine: { module }, members: ['a', 'b', 'c'] }, { timeoutMs: 30_000 });

if (mode === 'dump') {
  const result = {};
  for (const group of groups)
    result[group] = await nodes[1].query(group, 'values', undefined, {
      consistency: 'consistent',
      timeoutMs: 30_000,
    });
  process.stdout.write(`${JSON.stringify(result)}\n`);
  for (const node of nodes) await node.close();
} else {
  process.stdout.write('ready\n');
  let next = Date.now() * 1000;
  await Promise.all(
    Array.from({ length: 40 }, async (_, worker) => {
      for (;;) {
        const group = groups[worker % groups.length];
        const value = next++;
        try {
          await nodes[worker % 3].command(group, value, { timeoutMs: 5000 });
          process.stdout.write(`ack ${group} ${value}\n`);
        } catch {
          // A timeout may or may not have applied: only acknowledged values are checked.
        }
      }
    }),
  );
}
