// createGroup waits for its group's first leader; a member here hears of it itself, so the
// wait is a promise resolved by the member's news rather than a poll of the peers.
import type { Clock } from '../actors/index.js';

export class LeaderNews {
  /** The waiters of each group, each told whether a leader came before its deadline. */
  private readonly waiters = new Map<string, ((found: boolean) => void)[]>();

  constructor(private readonly clock: Clock) {}

  /** Resolves true when `heard(group)` is called, false at `deadline` (ms on the clock). */
  wait(group: string, deadline: number): Promise<boolean> {
    return new Promise((resolve) => {
      const waiters = this.waiters.get(group) ?? [];
      this.waiters.set(group, waiters);
      const timer = this.clock.after(Math.max(0, deadline - this.clock.now()), () => {
        const left = this.waiters.get(group)?.filter((waiter) => waiter !== heard) ?? [];
        if (left.length === 0) this.waiters.delete(group);
        else this.waiters.set(group, left);
        resolve(false);
      });
      const heard = (found: boolean) => {
        this.clock.cancel(timer);
        resolve(found);
      };
      waiters.push(heard);
    });
  }

  /** The group has a leader: its waiters resolve true. */
  heard(group: string): void {
    const waiters = this.waiters.get(group);
    if (waiters === undefined) return;
    this.waiters.delete(group);
    for (const heard of waiters) heard(true);
  }

  /** The node closes: every waiter resolves false. */
  close(): void {
    for (const waiters of this.waiters.values()) for (const heard of waiters) heard(false);
    this.waiters.clear();
  }
}
