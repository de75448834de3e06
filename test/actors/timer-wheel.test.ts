// The timer wheel: keys due in the same tick fire together, re-arming replaces, cancelling
// removes, added keys fire without bookkeeping, and with nothing armed there is nothing scheduled at all.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { TimerWheel, tickMilliseconds } from '../../actors/timer-wheel.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('the timer wheel', () => {
  it('fires keys due in the same tick together, in one call, and only once', () => {
    vi.useFakeTimers({ now: 1_000_000 });
    const fired: string[][] = [];
    const wheel = new TimerWheel<string>((due) => fired.push([...due].sort()));
    // Both round up to the tick ending at 1,000,050.
    wheel.arm('a', 1_000_041);
    wheel.arm('b', 1_000_050);
    wheel.arm('c', 1_000_200);
    vi.advanceTimersByTime(70);
    expect(fired).toEqual([['a', 'b']]);
    vi.advanceTimersByTime(200);
    expect(fired).toEqual([['a', 'b'], ['c']]);
    expect(wheel.armed).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('replaces a deadline when a key is armed again, and forgets a cancelled or disarmed key', () => {
    vi.useFakeTimers({ now: 0 });
    const fired: string[] = [];
    const wheel = new TimerWheel<string>((due) => fired.push(...due));
    wheel.arm('moved', 30);
    wheel.arm('moved', 300);
    wheel.arm('cancelled', 40);
    wheel.cancel('cancelled');
    wheel.arm('disarmed', 50);
    wheel.arm('disarmed', null);
    vi.advanceTimersByTime(100);
    expect(fired).toEqual([]);
    vi.advanceTimersByTime(300);
    expect(fired).toEqual(['moved']);
  });

  it('fires keys added without cancellation at their tick, beside armed keys', () => {
    vi.useFakeTimers({ now: 0 });
    const fired: number[][] = [];
    const wheel = new TimerWheel<number>((due) => fired.push([...due].sort()));
    wheel.add(1, 25);
    wheel.arm(2, 30);
    wheel.add(3, 500);
    expect(wheel.armed).toBe(1);
    vi.advanceTimersByTime(40);
    expect(fired).toEqual([[1, 2]]);
    vi.advanceTimersByTime(500);
    expect(fired).toEqual([[1, 2], [3]]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('arms no timer while nothing is due', () => {
    vi.useFakeTimers({ now: 0 });
    const wheel = new TimerWheel<number>(() => {});
    expect(vi.getTimerCount()).toBe(0);
    wheel.arm(1, 5 * tickMilliseconds);
    expect(vi.getTimerCount()).toBe(1);
    wheel.cancel(1);
    vi.advanceTimersByTime(10 * tickMilliseconds);
    expect(vi.getTimerCount()).toBe(0);
  });
});
