// Restart recovery: a process hosting three nodes under load is killed with SIGKILL at a random
// moment, then started again on the same data; every command it acknowledged must be there.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';

const child = fileURLToPath(new URL('./crash-child.mjs', import.meta.url));
const run = promisify(execFile);
const started: ChildProcess[] = [];
const directories: string[] = [];
afterEach(() => {
  for (const process of started.splice(0)) if (process.exitCode === null) process.kill('SIGKILL');
  for (const directory of directories.splice(0)) rmSync(directory, { recursive: true, force: true });
});

/** Runs the load child until `afterMs` past its first acknowledgement, then kills it; returns what it acknowledged. */
async function loadThenKill(root: string, afterMs: number): Promise<Map<string, number[]>> {
  const acked = new Map<string, number[]>();
  const process = spawn(globalThis.process.execPath, [child, 'load', root], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  started.push(process);
  let buffered = '';
  let firstAck: (() => void) | null = null;
  const acking = new Promise<void>((resolve) => {
    firstAck = resolve;
  });
  process.stdout!.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop()!;
    for (const line of lines) {
      const [word, group, value] = line.split(' ');
      if (word !== 'ack') continue;
      acked.set(group!, [...(acked.get(group!) ?? []), Number(value)]);
      firstAck?.();
    }
  });
  const exited = new Promise((resolve) => process.once('exit', resolve));
  await Promise.race([acking, exited, new Promise((resolve) => setTimeout(resolve, 30_000))]);
  await new Promise((resolve) => setTimeout(resolve, afterMs));
  process.kill('SIGKILL');
  await exited;
  return acked;
}

describe('restart recovery', () => {
  it('keeps every acknowledged command through SIGKILL and restart, round after round', async () => {
    const root = mkdtempSync(join(tmpdir(), 'flotilla-restart-'));
    directories.push(root);
    const all = new Map<string, number[]>();
    for (const afterMs of [150, 700, 1300]) {
      const acked = await loadThenKill(root, afterMs);
      expect([...acked.values()].flat().length).toBeGreaterThan(0);
      for (const [group, values] of acked) all.set(group, [...(all.get(group) ?? []), ...values]);
      const { stdout } = await run(globalThis.process.execPath, [child, 'dump', root], { timeout: 60_000 });
      const stored = JSON.parse(stdout.trim().split('\n').at(-1)!) as Record<string, number[]>;
      for (const [group, values] of all) {
        const present = new Set(stored[group]);
        const missing = values.filter((value) => !present.has(value));
        expect(missing, `${group} lost acknowledged commands`).toEqual([]);
        // Nothing applied twice.
        expect(new Set(stored[group]).size).toBe(stored[group]!.length);
      }
    }
  });
});
