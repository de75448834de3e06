// The simulated network between nodes: it loses, delays (and so reorders) and duplicates
// messages, and cuts links one way or both ways while a partition lasts.
import type { NodeId } from '../raft/index.js';
import type { Prng } from './prng.js';

export class SimNetwork {
  private readonly blocked = new Set<string>();
  loss = 0;
  duplicate = 0;

  constructor(
    private readonly prng: Prng,
    readonly maxDelay: number,
  ) {}

  isBlocked(from: NodeId, to: NodeId): boolean {
    return this.blocked.has(`${from}>${to}`);
  }

  /** Delivery delays for one message: none if it is lost, two if it is duplicated. */
  delays(from: NodeId, to: NodeId): number[] {
    if (this.isBlocked(from, to) || this.prng.chance(this.loss)) return [];
    const delays = [this.delay()];
    if (this.prng.chance(this.duplicate)) delays.push(this.delay());
    return delays;
  }

  private delay(): number {
    return 0.5 + this.prng.next() * this.maxDelay;
  }

  /** Cuts every link between the two sides, both ways. */
  partition(side: readonly NodeId[], others: readonly NodeId[]): void {
    for (const a of side) {
      for (const b of others) {
        this.blocked.add(`${a}>${b}`);
        this.blocked.add(`${b}>${a}`);
      }
    }
  }

  /** Cuts the links from `from` to each of `to` only. */
  cutOneWay(from: NodeId, to: readonly NodeId[]): void {
    for (const target of to) this.blocked.add(`${from}>${target}`);
  }

  heal(): void {
    this.blocked.clear();
  }

  get partitioned(): boolean {
    return this.blocked.size > 0;
  }
}
