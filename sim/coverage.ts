// Counters of the interesting states a run reached. A batch of seeds in which one of them never
// fires has not tested what it claims to, and fails.

export const coverageNames = [
  'leaderChanges',
  'truncations',
  'snapshotInstalls',
  'membershipChanges',
  'tornTailRecoveries',
  'readIndexUnderPartition',
  'deposedLeaderReads',
  'transfers',
] as const;

export type CoverageName = (typeof coverageNames)[number];

export type Coverage = Record<CoverageName, number>;

export function emptyCoverage(): Coverage {
  return Object.fromEntries(coverageNames.map((name) => [name, 0])) as Coverage;
}

export function addCoverage(total: Coverage, more: Coverage): void {
  for (const name of coverageNames) total[name] += more[name];
}

export function missingCoverage(coverage: Coverage): CoverageName[] {
  return coverageNames.filter((name) => coverage[name] === 0);
}
