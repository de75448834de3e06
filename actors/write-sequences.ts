// The numbering of a group's writes as the node's log sees it. A member's core numbers its
// writes from 1; a member closed and opened again on the same node (stopGroup and restartGroup,
// a group deleted and created again under its name, a failed member or a failed worker's
// members reopened) numbers from 1 again, while the log may still report the old member's writes
// durable. Read as the new member's, such a report would mark writes durable that are not (or
// name one never made). So each opening numbers past everything written before it, and a report
// of an earlier opening's write is dropped. A group whose writes were all reported holds no
// entry (no stale report can come, and the log reports the last write of each batch, not the
// highest number): idle and deleted groups cost nothing.
interface Numbering {
  /** Log sequence numbers at or below this belong to earlier openings. */
  base: number;
  /** The highest log sequence number written. */
  last: number;
}

export class WriteSequences {
  private readonly groups = new Map<string, Numbering>();

  /** A member of `group` opens: its writes number past every earlier one. */
  opened(group: string): void {
    const numbering = this.groups.get(group);
    if (numbering !== undefined) numbering.base = numbering.last;
  }

  /** The log's number for the member's write `seq` (negative ones, written before the member starts, pass as they are). */
  toLog(group: string, seq: number): number {
    if (seq < 0) return seq;
    let numbering = this.groups.get(group);
    if (numbering === undefined) {
      numbering = { base: 0, last: 0 };
      this.groups.set(group, numbering);
    }
    const logSeq = numbering.base + seq;
    if (logSeq > numbering.last) numbering.last = logSeq;
    return logSeq;
  }

  /** The member's number for a durable report of log write `logSeq`, or null if it was an earlier opening's. */
  fromLog(group: string, logSeq: number): number | null {
    const numbering = this.groups.get(group);
    if (numbering === undefined) return logSeq;
    if (logSeq <= numbering.base) return null;
    const seq = logSeq - numbering.base;
    // Everything written is durable: nothing stale can come, and the next write numbers afresh.
    if (logSeq >= numbering.last) this.groups.delete(group);
    return seq;
  }
}
