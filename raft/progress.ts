// What the leader knows of one peer's log, and the flow control of appends to it: a bounded
// window of messages and bytes in flight, probing after a rejection or a silence.

export type ProgressState = 'probe' | 'replicate' | 'snapshot';

export class Progress {
  match = 0;
  next: number;
  state: ProgressState = 'probe';
  /** While probing, one append is outstanding until a response or the retransmit timeout. */
  probeSent = false;
  /** Last index and payload bytes of each append in flight, oldest first. */
  inflightLast: number[] = [];
  inflightBytes: number[] = [];
  inflightTotalBytes = 0;
  /** Time of the last response that moved this peer forward, for the retransmit timeout. */
  lastProgressAt: number;
  /** Whether the peer answered since the last check-quorum round. */
  recentActive = false;
  /**
   * When the peer last answered with data of its own (not stalled): whether it is alive for the
   * check that a removal leaves a quorum that answers. Never, until it answers this leader.
   */
  heardAt = Number.NEGATIVE_INFINITY;
  /** When the leader last asked the peer, not heard lately, whether it is alive (a heartbeat). */
  askedAt = Number.NEGATIVE_INFINITY;
  /** Highest heartbeat sequence the peer echoed in this term (read-index confirmation). */
  ackedSeq = 0;
  /** Snapshot being sent: its index and the byte offset the peer holds durably. */
  snapshotIndex = 0;
  snapshotOffset = 0;
  snapshotSentAt = 0;
  /** Commit index last sent to this peer, to send commit-only updates once. */
  commitSent = 0;
  /** The host version the peer last reported (0 until it reports one). */
  version = 0;

  constructor(next: number, now: number) {
    this.next = next;
    this.lastProgressAt = now;
  }

  windowFull(maxMessages: number, maxBytes: number): boolean {
    return this.inflightLast.length >= maxMessages || this.inflightTotalBytes >= maxBytes;
  }

  recordSent(lastIndex: number, bytes: number): void {
    this.inflightLast.push(lastIndex);
    this.inflightBytes.push(bytes);
    this.inflightTotalBytes += bytes;
  }

  /** Frees the window up to the acknowledged index. */
  acknowledge(match: number): void {
    while (this.inflightLast.length > 0 && this.inflightLast[0]! <= match) {
      this.inflightLast.shift();
      this.inflightTotalBytes -= this.inflightBytes.shift()!;
    }
    // An emptied window keeps its storage; a quiet leader should not.
    if (this.inflightLast.length === 0 && this.inflightBytes.length === 0) this.clearInflight();
  }

  clearInflight(): void {
    this.inflightLast = [];
    this.inflightBytes = [];
    this.inflightTotalBytes = 0;
  }

  becomeProbe(now: number): void {
    this.state = 'probe';
    this.probeSent = false;
    this.next = this.match + 1;
    this.clearInflight();
    this.lastProgressAt = now;
  }

  becomeReplicate(): void {
    this.state = 'replicate';
    this.probeSent = false;
    this.next = Math.max(this.next, this.match + 1);
  }

  becomeSnapshot(index: number, now: number): void {
    this.state = 'snapshot';
    this.snapshotIndex = index;
    this.snapshotOffset = 0;
    this.snapshotSentAt = now;
    this.clearInflight();
  }
}
