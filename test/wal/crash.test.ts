// Kill -9 under heavy multi-group load, then recover: everything reported durable is there and
// intact, nothing torn or invented appears. 50 rounds here; `npm run wal:crash` runs thousands.
// The rounds run as a plain node process: the log's worker threads then load their modules
// without the test runner's module hooks in the way.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const script = join(import.meta.dirname, 'crash-rounds.mjs');

describe('the shared log under SIGKILL', () => {
  it('keeps every write reported durable, intact, across 50 kill-and-recover rounds with torn tails and bit flips', () => {
    const run = spawnSync(process.execPath, [script, '--rounds', '50', '--seed', '7'], {
      encoding: 'utf8',
      timeout: 400_000,
    });
    const lines = run.stdout.trim().split('\n');
    expect(lines.at(-1), `${run.stdout.slice(-2000)}\n${run.stderr.slice(-2000)}`).toBe(
      '50 passed, 0 failed',
    );
    // Each round must have had durable writes to check, or the rounds proved nothing.
    const reported = Number(/groups reported durable across rounds: (\d+)/.exec(run.stdout)?.[1]);
    expect(reported).toBeGreaterThan(50 * 50);
    expect(run.status).toBe(0);
  }, 420_000);
});
