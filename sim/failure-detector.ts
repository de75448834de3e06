// The simulated node failure detector for quiescent groups: every tick each live node checks
// every peer, and reports a peer lost once it has not been able to hear from it (crashed,
// paused, or the link from it cut) for the detection timeout, and back as soon as it can.
// Like a real detector it can be wrong for a while; Raft's safety must not depend on it.
import type { NodeId } from '../raft/index.js';

export interface DetectorWorld {
  readonly now: number;
  readonly nodeIds: readonly NodeId[];
  /** Whether `observer` can hear `target` now. */
  hears(observer: NodeId, target: NodeId): boolean;
  /** Whether `observer` runs now (up and not paused). */
  running(observer: NodeId): boolean;
  report(observer: NodeId, target: NodeId, alive: boolean): void;
  later(delay: number, action: () => void): void;
}

/** How often each node checks its peers, and how long silence lasts before a peer is reported lost. */
export const detectorTick = 50;
export const detectionTimeout = 200;

export class SimFailureDetector {
  private readonly heardAt = new Map<string, number>();
  /** What each observer was last told; an observer that restarts starts believing every peer alive. */
  private readonly reported = new Map<string, boolean>();

  constructor(private readonly world: DetectorWorld) {}

  start(): void {
    this.world.later(detectorTick, () => this.tick());
  }

  /** An observer restarted: its members start with no peer reported down. */
  forget(observer: NodeId): void {
    for (const target of this.world.nodeIds) {
      this.reported.delete(`${observer}>${target}`);
      this.heardAt.set(`${observer}>${target}`, this.world.now);
    }
  }

  private tick(): void {
    const { world } = this;
    for (const observer of world.nodeIds) {
      if (!world.running(observer)) continue;
      for (const target of world.nodeIds) {
        if (target === observer) continue;
        const key = `${observer}>${target}`;
        if (world.hears(observer, target)) this.heardAt.set(key, world.now);
        const alive = world.now - (this.heardAt.get(key) ?? 0) < detectionTimeout;
        if ((this.reported.get(key) ?? true) === alive) continue;
        this.reported.set(key, alive);
        world.report(observer, target, alive);
      }
    }
    world.later(detectorTick, () => this.tick());
  }
}
