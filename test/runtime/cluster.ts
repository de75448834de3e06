// Starts nodes in one process, each with its own data directory, and closes them after the test.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type FlotillaNode, startNode } from 'flotilla';

export interface Cluster {
  readonly root: string;
  readonly nodes: Map<string, FlotillaNode>;
  node(name: string): FlotillaNode;
  restart(name: string): Promise<FlotillaNode>;
  close(): Promise<void>;
}

export function machineUrl(name: string): string {
  return new URL(`./machines/${name}.mjs`, import.meta.url).href;
}

export async function startCluster(
  names: readonly string[],
  threads = Number(process.env.FLOTILLA_TEST_THREADS ?? 0),
): Promise<Cluster> {
  const root = mkdtempSync(join(tmpdir(), 'flotilla-runtime-'));
  const nodes = new Map<string, FlotillaNode>();
  const start = async (name: string) => {
    const node = await startNode({ name, dataDir: join(root, name), threads });
    nodes.set(name, node);
    return node;
  };
  for (const name of names) await start(name);
  return {
    root,
    nodes,
    node: (name) => {
      const node = nodes.get(name);
      if (node === undefined) throw new Error(`no node ${name}`);
      return node;
    },
    restart: async (name) => {
      await nodes.get(name)?.close();
      return start(name);
    },
    close: async () => {
      for (const node of nodes.values()) await node.close();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** Waits for `condition`, checking every 10 ms for at most `ms`. */
export async function until(
  condition: () => boolean | Promise<boolean>,
  what: string,
  ms = 5000,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
