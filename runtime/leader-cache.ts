// Who leads each group, as far as this node knows: hints from the answers calls get (router.ts)
// and news from the members here, which also ends createGroup's wait for a first leader.
import type { Clock } from '../actors/index.js';
import type { NodeId } from '../raft/index.js';
import { LeaderNews } from './leader-news.js';

export interface LeaderCacheEvents {
  /** A member here reports a new leader of its group (null: it knows none). */
  changed(group: string, leader: NodeId | null, term: number): void;
  /** This node led the group and does no more: what it ran as leader stops. */
  leadershipLost(group: string): void;
}

export class LeaderCache {
  /** The leader each group was last heard to have. */
  private readonly known = new Map<string, NodeId>();
  private readonly news: LeaderNews;

  constructor(
    private readonly self: NodeId,
    clock: Clock,
    private readonly events: LeaderCacheEvents,
  ) {
    this.news = new LeaderNews(clock);
  }

  get(group: string): NodeId | undefined {
    return this.known.get(group);
  }

  has(group: string): boolean {
    return this.known.has(group);
  }

  /** A hint from an answer: the leader a member named. */
  set(group: string, leader: NodeId): void {
    this.known.set(group, leader);
  }

  /** What was known is out of date (the one named did not answer as leader, or the group is gone). */
  forget(group: string): void {
    this.known.delete(group);
  }

  /** A member here reports its group's leader. */
  reported(group: string, leader: NodeId | null, term: number): void {
    const before = this.known.get(group);
    if (leader === null) this.known.delete(group);
    else {
      this.known.set(group, leader);
      this.news.heard(group);
    }
    if (before === this.self && leader !== this.self) this.events.leadershipLost(group);
    if (leader !== before) this.events.changed(group, leader, term);
  }

  /** The member here closed: whatever it led, it leads no more. */
  memberClosed(group: string): void {
    if (this.known.get(group) === this.self) this.known.delete(group);
  }

  /** Resolves true once a leader of `group` is known here, false at `deadline`. */
  async awaitLeader(group: string, deadline: number): Promise<boolean> {
    return this.known.has(group) || this.news.wait(group, deadline);
  }

  /** The node closes: every wait ends, unanswered. */
  close(): void {
    this.news.close();
  }
}
