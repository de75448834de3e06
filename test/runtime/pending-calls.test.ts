// Pending calls: each is answered exactly once, by its outcome, at its deadline, when the peer
// it went to goes down, or when the node closes.
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Outcome } from '../../actors/index.js';
import { PendingCalls } from '../../runtime/pending-calls.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('pending calls', () => {
  it('answer each call once: by its outcome, its deadline, its lost peer, or the close', () => {
    vi.useFakeTimers({ now: 0 });
    const calls = new PendingCalls();
    const heard: [string, Outcome['kind'] | string][] = [];
    const answer = (name: string) => (outcome: Outcome) =>
      heard.push([name, outcome.kind === 'error' ? outcome.code : outcome.kind]);
    const answered = calls.add(answer('answered'), 1000);
    const late = calls.add(answer('late'), 100);
    calls.add(answer('sent to b'), 5000, 'b');
    calls.add(answer('sent to c'), 5000, 'c');
    calls.add(answer('local'), null);
    calls.settle(answered, { kind: 'ok', value: 1 });
    calls.settle(answered, { kind: 'ok', value: 2 });
    vi.advanceTimersByTime(200);
    calls.settle(late, { kind: 'ok', value: 3 });
    calls.lostWith('b');
    calls.close({ kind: 'error', code: 'STOPPED', message: 'closing' });
    expect(heard).toEqual([
      ['answered', 'ok'],
      ['late', 'TIMEOUT'],
      ['sent to b', 'TIMEOUT'],
      ['sent to c', 'STOPPED'],
      ['local', 'STOPPED'],
    ]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('forget a dropped call without answering it', () => {
    const calls = new PendingCalls();
    const heard: Outcome[] = [];
    const id = calls.add((outcome) => heard.push(outcome), null, 'b');
    calls.drop(id);
    calls.lostWith('b');
    calls.settle(id, { kind: 'ok', value: 1 });
    expect(heard).toEqual([]);
  });

  it('take a wire answer only from the peer the call went to, and only for an id it was sent as', () => {
    const calls = new PendingCalls();
    const heard: string[] = [];
    const sent = calls.add(() => heard.push('sent to b'), null, 'b');
    const local = calls.add(() => heard.push('local'), null);
    const id = calls.wireId(sent);
    // Another peer, this node's own local call, an id of an earlier process: none settles.
    calls.settleFrom('c', id, { kind: 'ok', value: 1 });
    calls.settleFrom('b', calls.wireId(local), { kind: 'ok', value: 1 });
    calls.settleFrom('b', new PendingCalls().wireId(sent), { kind: 'ok', value: 1 });
    calls.settleFrom('b', id + 0.5, { kind: 'ok', value: 1 });
    expect(heard).toEqual([]);
    calls.settleFrom('b', id, { kind: 'ok', value: 2 });
    calls.settleFrom('b', id, { kind: 'ok', value: 3 });
    calls.settle(local, { kind: 'ok', value: 4 });
    expect(heard).toEqual(['sent to b', 'local']);
  });
});
