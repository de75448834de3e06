// Failures inside a node stay with what failed: a stored group that cannot open, a member whose
// invariant breaks, a shard thread that dies or never returns. The node starts and serves the
// rest, reports what failed (the error event, status() and overview()), the failed member's
// peers take over, and every rejection is a FlotillaError.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FlotillaError, type FlotillaNode, startNode } from 'flotilla';
import { SharedLog } from 'flotilla/wal';
import { afterEach, describe, expect, it } from 'vitest';
import { codeOf, machineUrl, until } from './cluster.js';

const started: FlotillaNode[] = [];
const roots: string[] = [];
afterEach(async () => {
  for (const node of started.splice(0)) await node.close();
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

function tempRoot(): string {
  const root = mkdtempSync(join(tmpdir(), 'flotilla-failures-'));
  roots.push(root);
  return root;
}

async function start(root: string, name: string, threads = 0): Promise<FlotillaNode> {
  const node = await startNode({ name, dataDir: join(root, name), threads });
  started.push(node);
  return node;
}

async function closeAll(): Promise<void> {
  for (const node of started.splice(0)) await node.close();
}

describe('a stored group that cannot open', () => {
  it('does not stop startNode: the group reports itself failed and deleteGroup removes it', async () => {
    const root = tempRoot();
    const node = await start(root, 'solo');
    const counter = { machine: { module: machineUrl('counter') }, members: ['solo'] };
    await node.createGroup('doomed', counter);
    await node.createGroup('fine', counter);
    await node.command('doomed', 1);
    await node.command('fine', 2);
    await closeAll();
    // Stored state no member can stand on: a commit index past the end of its log.
    const wal = await SharedLog.open({ directory: join(root, 'solo'), onDurable: () => {} });
    wal.write('doomed', 1, { kind: 'state', term: 1, vote: null, commit: 50 });
    await wal.close();
    const again = await start(root, 'solo');
    expect(again.groups()).toEqual(['doomed', 'fine']);
    const status = await again.status('doomed');
    expect(status.role).toBe('failed');
    expect(status.failure).toMatch(/commit 50/);
    expect(again.overview().failed).toEqual({ doomed: status.failure });
    expect(await codeOf(again.command('doomed', 1, { timeoutMs: 1000 }))).toBe('STOPPED');
    expect(await again.command('fine', 3)).toBe(5);
    await again.deleteGroup('doomed');
    expect(again.groups()).toEqual(['fine']);
    expect(again.overview().failed).toEqual({});
  });
});

describe('startNode', () => {
  it('rejects only with FlotillaErrors: a dataDir that is a file, a name already running, a damaged WAL', async () => {
    const root = tempRoot();
    const file = join(root, 'not-a-directory');
    writeFileSync(file, 'x');
    expect(await codeOf(startNode({ name: 'f', dataDir: file }))).toBe('BAD_ARGUMENT');
    await start(root, 'twice');
    expect(await codeOf(startNode({ name: 'twice', dataDir: join(root, 'other') }))).toBe('BAD_ARGUMENT');
    const damaged = await start(root, 'damaged');
    await damaged.createGroup('g', { machine: { module: machineUrl('counter') }, members: ['damaged'] });
    for (let round = 0; round < 3; round += 1) await damaged.command('g', 1);
    await closeAll();
    // A flipped byte in a WAL file that is not the last: damage, not a torn tail.
    const wal = join(root, 'damaged', 'wal');
    const [first] = readdirSync(wal).sort();
    const bytes = readFileSync(join(wal, first!));
    bytes[60] = bytes[60]! ^ 0xff;
    writeFileSync(join(wal, first!), bytes);
    writeFileSync(join(wal, 'wal-9999999999.log'), Buffer.alloc(0));
    const error = await startNode({ name: 'damaged', dataDir: join(root, 'damaged') }).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(FlotillaError);
    expect((error as FlotillaError).code).toBe('STOPPED');
    expect((error as FlotillaError).message).toMatch(/corrupt/);
  });
});

describe('a shard on a worker thread that fails', () => {
  async function mixedCluster(root: string): Promise<Map<string, FlotillaNode>> {
    // Only a's shard runs on a worker: the machine takes down worker threads, not the main one.
    const nodes = new Map<string, FlotillaNode>();
    nodes.set('a', await start(root, 'a', 1));
    nodes.set('b', await start(root, 'b'));
    nodes.set('c', await start(root, 'c'));
    return nodes;
  }

  const killer = { machine: { module: machineUrl('thread-killer') }, members: ['a', 'b', 'c'] };

  async function ledBy(nodes: Map<string, FlotillaNode>, group: string, leader: string): Promise<void> {
    await nodes.get('b')!.createGroup(group, killer);
    await nodes.get('b')!.transferLeadership(group, leader);
    await until(async () => (await nodes.get('b')!.members(group)).leader === leader, `${leader} to lead`);
  }

  it('closes its members, lets their peers take over, restarts without the culprit, and closes', async () => {
    const root = tempRoot();
    const nodes = await mixedCluster(root);
    const errors: Error[] = [];
    nodes.get('a')!.on('error', (error) => errors.push(error));
    await ledBy(nodes, 'poison', 'a');
    await ledBy(nodes, 'bystander', 'a');
    expect(await nodes.get('c')!.command('bystander', 'add')).toBe(1);
    // The thread dies applying this entry; the other members apply it as a plain command.
    expect(await codeOf(nodes.get('c')!.command('poison', 'exit', { timeoutMs: 2000 }))).not.toBe('resolved');
    await until(() => errors.some((error) => /thread/.test(error.message)), 'the node to report its shard');
    await until(
      async () => {
        const { leader } = await nodes.get('b')!.members('poison');
        return leader !== null && leader !== 'a';
      },
      'another member to lead poison',
      10_000,
    );
    expect(await nodes.get('c')!.command('poison', 'add', { timeoutMs: 5000 })).toBe(2);
    const poisoned = await nodes.get('a')!.status('poison');
    expect(poisoned.role).toBe('failed');
    expect(poisoned.failure).toMatch(/thread/);
    // The group that shared the thread comes back on the restarted shard and catches up.
    expect(await nodes.get('a')!.command('bystander', 'add', { timeoutMs: 5000 })).toBe(2);
    await until(
      async () =>
        (await nodes
          .get('a')!
          .query('bystander', 'total', undefined, { consistency: 'local' })
          .catch(() => null)) === 2,
      'the bystander to catch up on a',
    );
    await closeAll();
  });

  it('takes the leadership from a member whose machine never returns, within a bounded time', async () => {
    const root = tempRoot();
    const nodes = await mixedCluster(root);
    await ledBy(nodes, 'stuck', 'a');
    const since = Date.now();
    expect(await codeOf(nodes.get('b')!.command('stuck', 'spin', { timeoutMs: 1000 }))).toBe('TIMEOUT');
    await until(
      async () => {
        const { leader } = await nodes.get('c')!.members('stuck');
        return leader !== null && leader !== 'a';
      },
      'another member to lead stuck',
      15_000,
    );
    expect(Date.now() - since).toBeLessThan(15_000);
    expect(await nodes.get('b')!.command('stuck', 'add', { timeoutMs: 5000 })).toBe(2);
    expect((await nodes.get('a')!.status('stuck')).role).toBe('failed');
    await closeAll();
  });
});
