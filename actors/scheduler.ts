// The run queue of one shard: actors with mail run in turn, each for a bounded budget of
// inputs, so a busy group cannot starve the others; between rounds the event loop serves I/O.
// Every mailbox has a bound: a full one refuses, and the caller turns that into OVERLOADED.
import { type Clock, systemClock } from './clock.js';

/** Inputs one actor handles before the next actor's turn. */
export const actorBudget = 64;
/** Inputs a round handles across all actors before yielding to I/O. */
export const roundBudget = 4096;
/** Inputs that may wait in one actor's mailbox. */
export const mailboxBound = 8192;

const noItems: readonly unknown[] = Object.freeze([]);

export interface SchedulerHooks<I> {
  /**
   * An actor threw while handling its mail: it is removed, never run again, and this hears why.
   * A broken invariant stops that member, not the shard and every group on it.
   */
  failed(actor: Actor<I>, error: unknown): void;
  /** The actor whose turn begins, or null once a round is over: where a watchdog reads who runs. */
  running?(actor: Actor<I> | null): void;
}

export interface Actor<I> {
  readonly mailbox: Mailbox<I>;
  handle(input: I): void;
  /** After a turn's inputs: where an actor acts on what it gathered (a batch of commands). */
  endTurn(): void;
}

export class Mailbox<I> {
  /** Set once the actor is gone: nothing more is delivered or run. */
  closed = false;
  /** Empty mailboxes share one frozen array: an idle actor's mailbox holds nothing of its own. */
  items: I[] = noItems as I[];
  head = 0;
  queued = false;

  get size(): number {
    return this.items.length - this.head;
  }

  take(): I {
    const item = this.items[this.head]!;
    this.head += 1;
    if (this.head === this.items.length) {
      this.items = noItems as I[];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items.splice(0, this.head);
      this.head = 0;
    }
    return item;
  }
}

export class Scheduler<I> {
  /** Actors with mail, in turn order, from `head` on. */
  private readonly runQueue: Actor<I>[] = [];
  private head = 0;
  private scheduled = false;

  constructor(
    private readonly hooks: SchedulerHooks<I>,
    private readonly clock: Clock = systemClock,
  ) {}

  /** Queues `input` for `actor`; false when its mailbox is full. */
  deliver(actor: Actor<I>, input: I): boolean {
    const mailbox = actor.mailbox;
    if (mailbox.closed || mailbox.size >= mailboxBound) return false;
    if (mailbox.items === noItems) mailbox.items = [];
    mailbox.items.push(input);
    if (!mailbox.queued) {
      mailbox.queued = true;
      this.runQueue.push(actor);
      this.schedule();
    }
    return true;
  }

  /** Drops what the actor had queued; it is never run again. */
  remove(actor: Actor<I>): void {
    actor.mailbox.closed = true;
    actor.mailbox.items = noItems as typeof actor.mailbox.items;
    actor.mailbox.head = 0;
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    this.clock.soon(() => this.round());
  }

  private round(): void {
    this.scheduled = false;
    let handled = 0;
    // Actors queued during this round wait for the next one: it runs after I/O is served.
    const end = this.runQueue.length;
    while (this.head < end && handled < roundBudget) {
      const actor = this.runQueue[this.head]!;
      this.head += 1;
      const mailbox = actor.mailbox;
      this.hooks.running?.(actor);
      try {
        for (let turn = 0; turn < actorBudget && mailbox.size > 0 && !mailbox.closed; turn += 1) {
          handled += 1;
          actor.handle(mailbox.take());
        }
        if (!mailbox.closed) actor.endTurn();
      } catch (error) {
        this.remove(actor);
        this.hooks.failed(actor, error);
      }
      if (mailbox.size > 0 && !mailbox.closed) this.runQueue.push(actor);
      else mailbox.queued = false;
    }
    this.hooks.running?.(null);
    if (this.head * 2 > this.runQueue.length) {
      this.runQueue.splice(0, this.head);
      this.head = 0;
    }
    if (this.head < this.runQueue.length) this.schedule();
  }
}
