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
  'peersReportedDown',
  'quietLeaders',
] as const;

/** Counters only quiescent runs (--quiesce) can reach. */
const quiescentOnly: readonly CoverageName[] = ['peersReportedDown', 'quietLeaders'];

export type CoverageName = (typeof coverageNames)[number];

export type Coverage = Record<CoverageName, number>;

export function emptyCoverage(): Coverage {
  return Object.fromEntries(coverageNames.map((name) => [name, 0])) as Coverage;
}

export function addCoverage(total: Coverage, more: Coverage): void {
  for (const name of coverageNames) total[name] += more[name];
}

export function requiredCoverage(quiesce: boolean): CoverageName[] {
  return coverageNames.filter((name) => quiesce || !quiescentOnly.includes(name));
}

export function missingCoverage(coverage: Coverage, quiesce: boolean): CoverageName[] {
  return requiredCoverage(quiesce).filter((name) => coverage[name] === 0);
}
