// Envelopes queued per peer during a turn and handed over together once the turn is over: one
// batch per peer per turn, which is what a transport sends (one frame, one delivery).
import type { Envelope } from './envelope.js';

export class Outboxes {
  private boxes = new Map<string, Envelope[]>();
  private flushing = false;

  constructor(
    /** Runs `flush` once the current turn is over. */
    private readonly later: (flush: () => void) => void,
    /** Hands one peer its batch. */
    private readonly deliver: (to: string, envelopes: Envelope[]) => void,
  ) {}

  add(to: string, envelope: Envelope): void {
    let box = this.boxes.get(to);
    if (box === undefined) {
      box = [];
      this.boxes.set(to, box);
    }
    box.push(envelope);
    if (!this.flushing) {
      this.flushing = true;
      this.later(() => this.flush());
    }
  }

  clear(): void {
    this.boxes.clear();
  }

  private flush(): void {
    this.flushing = false;
    // Swapped out first: what is sent while delivering goes into the next turn's batch.
    const boxes = this.boxes;
    this.boxes = new Map();
    for (const [to, envelopes] of boxes) this.deliver(to, envelopes);
  }
}
