// The calls a node is waiting on, by id: its own callers' (answered by a local member or by a
// peer) and those peers made on its members. Each is answered once: by its outcome, at its
// deadline with TIMEOUT, when the peer it went to goes down, or when the node closes.
import { type Clock, type Outcome, systemClock, TimerWheel } from '../actors/index.js';

/** Calls waiting at once, at most: past this a new call is answered OVERLOADED. */
export const maxPendingCalls = 100_000;

export type Answer = (outcome: Outcome) => void;

export class PendingCalls {
  /**
   * Keyed by a call's place since `firstId` rather than by its id: the places are small integers,
   * which a Map hashes without boxing, where ids past 2^31 would each be a heap number.
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
   * Ids start at a random point for each process: a peer answers by the caller's node name, so
   * an answer meant for a call of this node's previous process, which had the same ids, would
   * otherwise settle another call of this one (a caller told another command's result).
   */
  private readonly firstId: number;
  private nextPlace = 0;

  constructor(clock: Clock = systemClock) {
    this.firstId = 1 + Math.floor(clock.random() * 2 ** 48);
    this.deadlines = new TimerWheel<number>((expired) => {
      for (const place of expired)
        this.settlePlace(place, { kind: 'error', code: 'TIMEOUT', message: 'no answer in time' });
    }, clock);
  }

  get full(): boolean {
    return this.answers.size >= maxPendingCalls;
  }

  /** Waits for the outcome of a new call; `deadline` (ms on the clock) answers TIMEOUT, `peer` is where it went. */
  add(answer: Answer, deadline: number | null, peer: string | null = null): number {
    const place = this.nextPlace++;
    this.answers.set(place, answer);
    if (deadline !== null) this.deadlines.add(place, deadline);
    if (peer !== null) this.sentTo.set(place, peer);
    return this.firstId + place;
  }

  /** Forgets a call that was never sent, without answering it. */
  drop(id: number): void {
    const place = id - this.firstId;
    this.answers.delete(place);
    this.sentTo.delete(place);
  }

  /** Answers call `id`; an id this node never gave out (or answered already) is ignored. */
  settle(id: number, outcome: Outcome): void {
    this.settlePlace(id - this.firstId, outcome);
  }

  private settlePlace(place: number, outcome: Outcome): void {
    const answer = this.answers.get(place);
    if (answer === undefined) return;
    this.answers.delete(place);
    if (this.sentTo.size > 0) this.sentTo.delete(place);
    answer(outcome);
  }

  /**
   * A peer went down with calls of ours unanswered: their callers hear now rather than at their
   * deadlines. What the peer did with them cannot be known, so the answer is TIMEOUT.
   */
  lostWith(peer: string): void {
    const lost: number[] = [];
    for (const [place, node] of this.sentTo) if (node === peer) lost.push(place);
    for (const place of lost)
      this.settlePlace(place, {
        kind: 'error',
        code: 'TIMEOUT',
        message: `node ${peer} went down before answering: the call may or may not have taken effect`,
      });
  }

  /** Answers every waiting call with `outcome` and stops the deadlines' timer. */
  close(outcome: Outcome): void {
    this.deadlines.stop();
    for (const place of [...this.answers.keys()]) this.settlePlace(place, outcome);
  }
}
