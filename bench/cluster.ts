// Three nodes in this process on a temporary directory, for the runtime benchmarks, and a way
// to collect garbage before reading the heap.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { type FlotillaNode, startNode } from 'flotilla';

export const machineModule = new URL('./machines/bytes.js', import.meta.url).href;

export interface BenchCluster {
  readonly nodes: readonly FlotillaNode[];
  close(): Promise<void>;
}

export async function startBenchCluster(threads: number): Promise<BenchCluster> {
  const root = mkdtempSync(join(tmpdir(), 'flotilla-bench-'));
  const nodes: FlotillaNode[] = [];
  for (const name of ['a', 'b', 'c'])
    nodes.push(await startNode({ name, dataDir: join(root, name), threads }));
  return {
    nodes,
    close: async () => {
      for (const node of nodes) await node.close();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** Creates `names` as 3-member groups, `window` at a time, reporting progress; returns the seconds taken. */
export async function createGroups(
  nodes: readonly FlotillaNode[],
  names: readonly string[],
  window: number,
  progress: (message: string) => void,
  module = machineModule,
): Promise<number> {
  const started = performance.now();
  let lastShown = started;
  for (let start = 0; start < names.length; start += window) {
    await Promise.all(
      names
        .slice(start, start + window)
        .map((name, offset) =>
          nodes[(start + offset) % nodes.length]!.createGroup(
            name,
            { machine: { module }, members: ['a', 'b', 'c'] },
            { timeoutMs: 120_000 },
          ),
        ),
    );
    if (performance.now() - lastShown > 2000) {
      lastShown = performance.now();
      progress(`created ${Math.min(start + window, names.length).toLocaleString('en-US')} groups`);
    }
  }
  return (performance.now() - started) / 1000;
}

let collect: (() => void) | undefined;

/** Runs a full garbage collection, so heap figures count what is live. */
export function collectGarbage(): void {
  if (collect === undefined) {
    setFlagsFromString('--expose-gc');
    collect = runInNewContext('gc') as () => void;
  }
  collect();
  collect();
}

export async function until(condition: () => boolean, seconds: number): Promise<boolean> {
  const deadline = performance.now() + seconds * 1000;
  while (!condition()) {
    if (performance.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return true;
}
