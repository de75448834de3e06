// One timer wheel per shard: deadlines are rounded up to ticks, every key due in a tick fires
// together, and only the earliest tick holds a real timer. With nothing armed, nothing runs.
// The timer keeps the process alive, as an open node should until it is closed.
import { type Clock, systemClock, type TimerHandle } from './clock.js';

/** Deadlines are grouped by this many milliseconds: Raft's timers are hundreds of ms. */
export const tickMilliseconds = 10;

export class TimerWheel<K> {
  private readonly tickOf = new Map<K, number>();
  private readonly buckets = new Map<number, Set<K>>();
  /** Ticks with keys, as a binary min-heap; a tick may linger after its keys are cancelled. */
  private readonly heap: number[] = [];
  private timer: TimerHandle | null = null;
  private timerTick = Number.POSITIVE_INFINITY;

  constructor(
    private readonly fire: (due: K[]) => void,
    private readonly clock: Clock = systemClock,
  ) {}

  /** Keys armed with `arm` and not yet fired or cancelled. */
  get armed(): number {
    return this.tickOf.size;
  }

  /** Arms `key` for `at` (ms on the clock), replacing what it had; null disarms it. */
  arm(key: K, at: number | null): void {
    this.cancel(key);
    if (at === null) return;
    this.tickOf.set(key, Math.ceil(at / tickMilliseconds));
    this.add(key, at);
  }

  /**
   * Arms `key` for `at` with no way to cancel or re-arm it: cheaper than `arm` for keys that
   * are mostly done with before they fire, whose owner ignores a firing it no longer needs.
   */
  add(key: K, at: number): void {
    const tick = Math.ceil(at / tickMilliseconds);
    let bucket = this.buckets.get(tick);
    if (bucket === undefined) {
      bucket = new Set();
      this.buckets.set(tick, bucket);
      this.push(tick);
    }
    bucket.add(key);
    if (tick < this.timerTick) this.schedule();
  }

  cancel(key: K): void {
    const tick = this.tickOf.get(key);
    if (tick === undefined) return;
    this.tickOf.delete(key);
    const bucket = this.buckets.get(tick)!;
    bucket.delete(key);
    if (bucket.size === 0) this.buckets.delete(tick);
  }

  stop(): void {
    if (this.timer !== null) this.clock.cancel(this.timer);
    this.timer = null;
    this.timerTick = Number.POSITIVE_INFINITY;
  }

  private schedule(): void {
    while (this.heap.length > 0 && !this.buckets.has(this.heap[0]!)) this.pop();
    if (this.timer !== null) this.clock.cancel(this.timer);
    this.timer = null;
    this.timerTick = Number.POSITIVE_INFINITY;
    const next = this.heap[0];
    if (next === undefined) return;
    this.timerTick = next;
    const delay = Math.max(0, next * tickMilliseconds - this.clock.now());
    this.timer = this.clock.after(delay, () => this.expire());
  }

  private expire(): void {
    this.timer = null;
    this.timerTick = Number.POSITIVE_INFINITY;
    const now = Math.floor(this.clock.now() / tickMilliseconds);
    const due: K[] = [];
    while (this.heap.length > 0 && this.heap[0]! <= now) {
      const tick = this.pop();
      const bucket = this.buckets.get(tick);
      if (bucket === undefined) continue;
      this.buckets.delete(tick);
      for (const key of bucket) {
        this.tickOf.delete(key);
        due.push(key);
      }
    }
    this.schedule();
    if (due.length > 0) this.fire(due);
  }

  private push(tick: number): void {
    const heap = this.heap;
    heap.push(tick);
    for (let at = heap.length - 1; at > 0; ) {
      const parent = (at - 1) >> 1;
      if (heap[parent]! <= tick) break;
      heap[at] = heap[parent]!;
      heap[parent] = tick;
      at = parent;
    }
  }

  private pop(): number {
    const heap = this.heap;
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length > 0) {
      heap[0] = last;
      for (let at = 0; ; ) {
        const left = 2 * at + 1;
        const right = left + 1;
        let smallest = at;
        if (left < heap.length && heap[left]! < heap[smallest]!) smallest = left;
        if (right < heap.length && heap[right]! < heap[smallest]!) smallest = right;
        if (smallest === at) break;
        [heap[at], heap[smallest]] = [heap[smallest]!, heap[at]!];
        at = smallest;
      }
    }
    return top;
  }
}
