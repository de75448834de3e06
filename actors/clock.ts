// Time, timers and chance, as a node takes them: the process's own by default, the simulator's
// under simulation, so that a seed replays the same run. Everything in a node that reads the
// time, waits, defers a turn or draws a random number goes through one of these.
import { randomBytes } from 'node:crypto';

/** A timer armed with `after`, to cancel. */
export type TimerHandle = { readonly __timer: unique symbol };

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Calls `callback` once `ms` milliseconds have passed. */
  after(ms: number, callback: () => void): TimerHandle;
  cancel(timer: TimerHandle): void;
  /** Calls `callback` once the current turn is over, before timers due later. */
  soon(callback: () => void): void;
  /** A number in [0, 1). */
  random(): number;
  /** `count` random bytes. */
  randomBytes(count: number): Uint8Array;
}

/** The process's clock, timers and randomness. Its timers keep the process alive, as an open node should. */
export const systemClock: Clock = {
  now: () => Date.now(),
  after: (ms, callback) => setTimeout(callback, ms) as unknown as TimerHandle,
  cancel: (timer) => clearTimeout(timer as unknown as NodeJS.Timeout),
  soon: (callback) => {
    setImmediate(callback);
  },
  random: () => Math.random(),
  randomBytes: (count) => randomBytes(count),
};

/** Resolves once `ms` milliseconds have passed on `clock`. */
export function sleep(clock: Clock, ms: number): Promise<void> {
  return new Promise((resolve) => {
    clock.after(ms, resolve);
  });
}
