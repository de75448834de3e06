// Simulated time for production nodes: one queue of timed callbacks for the whole cluster, and a
// Clock per node process that puts its timers, its next-turn callbacks and its randomness there.
// A crashed process's clock is dead: nothing it armed runs again, and the promises waiting on it
// are never settled, as in a killed process. Between two callbacks the real event loop turns
// once, so every promise chain a callback starts settles before the next callback runs; nothing
// real (no file, socket or timer) is used, so a seed replays the same run.
import type { Clock, TimerHandle } from '../../actors/index.js';
import { EventQueue } from '../event-queue.js';
import type { Prng } from '../prng.js';

interface Armed {
  cancelled: boolean;
}

/** The clock of one node process. */
export class NodeClock implements Clock {
  alive = true;
  /** A paused process (a long GC, a stopped VM) runs nothing it armed before this time. */
  pausedUntil = 0;

  constructor(
    private readonly time: VirtualTime,
    private readonly prng: Prng,
  ) {}

  now(): number {
    return this.time.now;
  }

  after(ms: number, callback: () => void): TimerHandle {
    const armed: Armed = { cancelled: false };
    const fire = () => {
      if (!this.alive || armed.cancelled) return;
      if (this.time.now < this.pausedUntil) this.time.at(this.pausedUntil, fire);
      else callback();
    };
    this.time.at(this.time.now + Math.max(0, ms), fire);
    return armed as unknown as TimerHandle;
  }

  cancel(timer: TimerHandle): void {
    (timer as unknown as Armed).cancelled = true;
  }

  soon(callback: () => void): void {
    const run = () => {
      if (!this.alive) return;
      if (this.time.now < this.pausedUntil) this.time.at(this.pausedUntil, run);
      else callback();
    };
    this.time.soon(run);
  }

  random(): number {
    return this.prng.next();
  }

  randomBytes(count: number): Uint8Array {
    const bytes = new Uint8Array(count);
    for (let index = 0; index < count; index += 1) bytes[index] = this.prng.int(256);
    return bytes;
  }
}

/** Real event-loop turns allowed between two callbacks' promise chains settling: see turn(). */
const settleTurns = 3;

export class VirtualTime {
  /** Milliseconds since the run began, from a fixed epoch so dates look real. */
  now = Date.UTC(2026, 0, 1);
  private readonly timers = new EventQueue<() => void>();
  private next: (() => void)[] = [];
  /** Callbacks run so far, for a bound on runaway runs. */
  ran = 0;

  /** Runs `callback` at `at` (ms on this clock). */
  at(at: number, callback: () => void): void {
    this.timers.push(Math.max(at, this.now), callback);
  }

  /** Runs `callback` after what is running now, before time moves on. */
  soon(callback: () => void): void {
    this.next.push(callback);
  }

  /**
   * Runs callbacks, in order, until `done` holds or simulated time passes `until`; whether `done`
   * came true. Between callbacks the promise chains they started settle.
   */
  async runUntil(done: () => boolean, until: number): Promise<boolean> {
    for (;;) {
      await turn();
      if (done()) return true;
      if (this.next.length > 0) {
        const batch = this.next;
        this.next = [];
        for (const callback of batch) this.runOne(callback);
        continue;
      }
      const at = this.timers.peekTime();
      if (at === undefined || at > until) {
        this.now = Math.max(this.now, until);
        return done();
      }
      const timer = this.timers.pop()!;
      this.now = Math.max(this.now, timer.at);
      this.runOne(timer.event);
    }
  }

  private runOne(callback: () => void): void {
    this.ran += 1;
    callback();
  }
}

/**
 * Lets every promise chain started so far settle: microtasks run before the next macrotask, and
 * a chain that awaits an already-loaded dynamic import takes a turn or two more.
 */
async function turn(): Promise<void> {
  for (let count = 0; count < settleTurns; count += 1) await new Promise((resolve) => setImmediate(resolve));
}
