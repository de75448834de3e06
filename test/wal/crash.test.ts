// Kill -9 under heavy multi-group load, then recover: everything reported durable is there and
// intact, nothing torn or invented appears. 50 rounds here; `npm run wal:crash` runs thousands.
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain ES module shared with the long-run script, typed by use here.
import { runCrashRounds } from './crash-rounds.mjs';

interface CrashResult {
  readonly rounds: number;
  readonly durableReports: number;
  readonly problems: readonly string[];
}

describe('the shared log under SIGKILL', () => {
  it('keeps every write reported durable, intact, across 50 kill-and-recover rounds', async () => {
    const result = (await runCrashRounds({ rounds: 50, groups: 200, seed: 7 })) as CrashResult;
    expect(result.problems).toEqual([]);
    // Each round must have had durable writes to check, or the rounds proved nothing.
    expect(result.durableReports).toBeGreaterThan(50 * 50);
  }, 300_000);
});
