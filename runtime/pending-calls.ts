// The calls a node is waiting on, by handle: its own callers' (answered by a local member or by a
// peer) and those peers made on its members. Each is answered once: by its outcome, at its
// deadline with TIMEOUT, when the peer it went to goes down, or when the node closes.
import { type Clock, type Outcome, systemClock, TimerWheel } from '../actors/index.js';

/** Calls waiting at once, at most: past this a new call is answered OVERLOADED. */
export const maxPendingCalls = 100_000;

export type Answer = (outcome: Outcome) => void;

export class PendingCalls {
  /**
   * Each call by its handle: its place in the order calls were made, a small integer that a Map
   * hashes without boxing (an id past 2^31 would be a heap number) and that the members a call
   * is handed to key their own tables by. Only calls sent to a peer carry an id on the wire.
   */
  private readonly answers = new Map<number, Answer>();
  /** The peer each call sent to another node went to, until it is answered. */
  private readonly sentTo = new Map<number, string>();
  /**
   * Deadlines on one wheel rather than a timer each, never cancelled: a call answered in time
   * is no longer waiting when its deadline fires.
   */
  private readonly deadlines: TimerWheel<number>;
  /**
   * Wire ids start at a random point for each process: a peer answers by the caller's node
   * name, so an answer meant for a call of this node's previous process, which had the same
   * handles, would otherwise settle another call of this one (a caller told another command's
   * result).
   */
  private readonly firstId: number;
  private nextHandle = 0;

  constructor(clock: Clock = systemClock) {
    this.firstId = 1 + Math.floor(clock.random() * 2 ** 48);
    this.deadlines = new TimerWheel<number>((expired) => {
      for (const handle of expired)
        this.settle(handle, { kind: 'error', code: 'TIMEOUT', message: 'no answer in time' });
    }, clock);
  }

  get full(): boolean {
    return this.answers.size >= maxPendingCalls;
  }

  /**
   * Waits for the outcome of a new call, and gives its handle; `deadline` (ms on the clock)
   * answers TIMEOUT, `peer` is where it went (send it with `wireId`).
   */
  add(answer: Answer, deadline: number | null, peer: string | null = null): number {
    const handle = this.nextHandle++;
    this.answers.set(handle, answer);
    if (deadline !== null) this.deadlines.add(handle, deadline);
    if (peer !== null) this.sentTo.set(handle, peer);
    return handle;
  }

  /** The id a call sent to a peer goes by on the wire. */
  wireId(handle: number): number {
    return this.firstId + handle;
  }

  /** Forgets a call that was never sent, without answering it. */
  drop(handle: number): void {
    this.answers.delete(handle);
    this.sentTo.delete(handle);
  }

  /** Answers call `handle`; one answered already is not answered again. */
  settle(handle: number, outcome: Outcome): void {
    const answer = this.answers.get(handle);
    if (answer === undefined) return;
    this.answers.delete(handle);
    if (this.sentTo.size > 0) this.sentTo.delete(handle);
    answer(outcome);
  }

  /**
   * `peer`'s answer to the call it was sent as wire id `id`. An id this process never sent to
   * that peer (an earlier process's, another peer's, one answered already) settles nothing.
   */
  settleFrom(peer: string, id: number, outcome: Outcome): void {
    const handle = id - this.firstId;
    if (this.sentTo.get(handle) === peer) this.settle(handle, outcome);
  }

  /**
   * A peer went down with calls of ours unanswered: their callers hear now rather than at their
   * deadlines. What the peer did with them cannot be known, so the answer is TIMEOUT.
   */
  lostWith(peer: string): void {
    const lost: number[] = [];
    for (const [handle, node] of this.sentTo) if (node === peer) lost.push(handle);
    for (const handle of lost)
      this.settle(handle, {
        kind: 'error',
        code: 'TIMEOUT',
        message: `node ${peer} went down before answering: the call may or may not have taken effect`,
      });
  }

  /** Answers every waiting call with `outcome` and stops the deadlines' timer. */
  close(outcome: Outcome): void {
    this.deadlines.stop();
    for (const handle of [...this.answers.keys()]) this.settle(handle, outcome);
  }
}
