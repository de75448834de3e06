// Swarm testing: each seed draws its own fault mix, from none at all to harsh, so that rare and
// common combinations are both explored instead of one fixed average.
import type { Prng } from './prng.js';

export interface SwarmParameters {
  readonly loss: number;
  readonly duplicate: number;
  readonly maxDelay: number;
  readonly syncLatency: number;
  /** Mean faults per simulated second, by kind. */
  readonly crashRate: number;
  readonly pauseRate: number;
  readonly partitionRate: number;
  readonly membershipRate: number;
  readonly transferRate: number;
  /** Chance that a newly elected leader is cut off at once, leaving an uncommitted tail of its term. */
  readonly newLeaderIsolation: number;
  readonly tearProbability: number;
  readonly oneWayShare: number;
  readonly snapshotEvery: number;
  readonly clientsPerGroup: number;
  readonly thinkTime: number;
  /** Simulated milliseconds of faults before the liveness phase. */
  readonly faultDuration: number;
  /** Flow-control limits of the core: tiny ones split batches and expose more interleavings. */
  readonly maxEntriesPerMessage: number;
  readonly maxInflightMessages: number;
  readonly snapshotChunkBytes: number;
}

/** A rate that is off for some seeds and anywhere from gentle to harsh for the others. */
function maybe(prng: Prng, harsh: number): number {
  if (prng.chance(0.3)) return 0;
  return harsh * prng.next() ** 2;
}

export function drawSwarm(prng: Prng): SwarmParameters {
  return {
    loss: maybe(prng, 0.3),
    duplicate: maybe(prng, 0.1),
    maxDelay: prng.pick([2, 10, 30, 80]),
    syncLatency: prng.pick([0.2, 1, 5]),
    crashRate: maybe(prng, 1),
    pauseRate: maybe(prng, 1),
    partitionRate: maybe(prng, 1),
    membershipRate: maybe(prng, 1),
    transferRate: maybe(prng, 1),
    newLeaderIsolation: maybe(prng, 0.5),
    tearProbability: prng.next(),
    oneWayShare: prng.next(),
    snapshotEvery: prng.pick([8, 25, 100]),
    clientsPerGroup: prng.between(1, 6),
    thinkTime: prng.pick([5, 20, 100]),
    faultDuration: prng.between(4000, 12000),
    maxEntriesPerMessage: prng.pick([1, 2, 16]),
    maxInflightMessages: prng.pick([1, 4, 16]),
    snapshotChunkBytes: prng.pick([16, 64, 4096]),
  };
}
