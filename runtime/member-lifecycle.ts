// What follows from a member here closing, opening or leaving its group: its effects stop, its
// peers hear of it, and a member whose removal committed is deleted with its data.

import type { EffectsHost } from './effects-host.js';
import { FlotillaError } from './errors.js';
import type { LeaderCache } from './leader-cache.js';
import type { LocalMembers } from './local-members.js';
import type { Router } from './router.js';
import type { Transport } from './transport.js';

/** What a member's lifecycle needs of its node. */
export interface LifecycleNode {
  readonly local: LocalMembers;
  readonly router: Router;
  readonly leaders: LeaderCache;
  readonly effects: EffectsHost;
  readonly transport: Transport;
  isClosed(): boolean;
  reportError(error: Error): void;
}

export class MemberLifecycle {
  constructor(private readonly node: LifecycleNode) {}

  /** Deletes this node's member of `group` and its data, and forgets what was known of the group. */
  async deleteMember(group: string): Promise<void> {
    await this.node.local.delete(group);
    this.node.router.forget(group);
  }

  /** The member here is out of its group (its removal committed): its state goes. */
  removed(group: string): void {
    if (this.node.isClosed() || this.node.local.record(group) === undefined) return;
    this.deleteMember(group).catch((error: unknown) =>
      this.node.reportError(
        new FlotillaError('STOPPED', `deleting the removed member of ${group}: ${String(error)}`),
      ),
    );
  }

  /** The member here closed or opened again: effects it owned go, and its peers hear of it. */
  changed(group: string, up: boolean): void {
    const { transport } = this.node;
    if (!up) {
      this.node.effects.forget(group);
      this.node.leaders.memberClosed(group);
    }
    for (const peer of transport.peers())
      transport.send(peer, { kind: 'call', id: 0, call: { op: 'memberChanged', group, up } });
  }
}
