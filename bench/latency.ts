// Latency samples with a bound (a reservoir keeps a fair sample of any number of observations),
// and the garbage-collection pauses that explain the slow ones.
import { PerformanceObserver } from 'node:perf_hooks';

export class LatencySample {
  private readonly samples: number[] = [];
  private seen = 0;
  private state = 0x2545f491;

  constructor(private readonly capacity = 200_000) {}

  add(milliseconds: number): void {
    this.seen += 1;
    if (this.samples.length < this.capacity) {
      this.samples.push(milliseconds);
      return;
    }
    this.state ^= this.state << 13;
    this.state ^= this.state >>> 17;
    this.state ^= this.state << 5;
    const slot = (this.state >>> 0) % this.seen;
    if (slot < this.capacity) this.samples[slot] = milliseconds;
  }

  get count(): number {
    return this.seen;
  }

  percentile(fraction: number): number {
    if (this.samples.length === 0) return Number.NaN;
    const sorted = [...this.samples].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))]!;
  }
}

/** Garbage-collection pauses of this thread between start() and stop(). */
export class GcPauses {
  total = 0;
  longest = 0;
  private readonly observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      this.total += entry.duration;
      this.longest = Math.max(this.longest, entry.duration);
    }
  });

  start(): void {
    this.observer.observe({ entryTypes: ['gc'] });
  }

  stop(): void {
    this.observer.disconnect();
  }
}
