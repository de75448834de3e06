// Where a leader's effects land on its node: sends to mailboxes, monitors of nodes and
// mailboxes, and machine timers. A monitored target going down, or a timer firing, comes back
// to the group as a system event, which its leader puts through the log.
import type { Clock, Effect, SystemEvent, Target, TimerHandle } from '../actors/index.js';

export type MailboxHandler = (message: unknown) => void;

/** Machine timers a group may have armed at once. */
export const maxTimersPerGroup = 1024;
/** Targets a group may monitor at once. */
export const maxMonitorsPerGroup = 4096;

export interface EffectsNode {
  readonly name: string;
  readonly clock: Clock;
  isUp(node: string): boolean;
  /** Sends a message to a mailbox on another node. */
  sendRemote(node: string, mailbox: string, message: unknown): void;
  /** Tells the other nodes a mailbox here is gone, for the groups they lead that monitor it. */
  mailboxGone(mailbox: string): void;
  /** Hands a system event to this node's member of `group`. */
  system(group: string, event: SystemEvent): void;
  error(error: Error): void;
}

function targetKey(target: Target): string {
  return target.mailbox === undefined ? target.node : `${target.node}\u0000${target.mailbox}`;
}

export class EffectsHost {
  private readonly mailboxes = new Map<string, MailboxHandler>();
  /** Per group, the targets it monitors. */
  private readonly monitors = new Map<string, Map<string, Target>>();
  private readonly timers = new Map<string, Map<string, TimerHandle>>();
  delivered = 0;

  constructor(private readonly node: EffectsNode) {}

  registerMailbox(name: string, handler: MailboxHandler): () => void {
    this.mailboxes.set(name, handler);
    return () => {
      if (this.mailboxes.get(name) !== handler) return;
      this.mailboxes.delete(name);
      this.targetDown({ node: this.node.name, mailbox: name }, 'mailboxGone');
      this.node.mailboxGone(name);
    };
  }

  deliver(mailbox: string, message: unknown): void {
    const handler = this.mailboxes.get(mailbox);
    if (handler === undefined) return;
    this.delivered += 1;
    try {
      // A copy: the leader's machine state may hold the very object it sent.
      handler(structuredClone(message));
    } catch (error) {
      this.node.error(error instanceof Error ? error : new Error(String(error)));
    }
  }

  run(group: string, effects: readonly Effect[]): void {
    for (const effect of effects) {
      // Checked at apply already; should one still fail here, it fails alone and is reported.
      try {
        this.runOne(group, effect);
      } catch (error) {
        this.node.error(error instanceof Error ? error : new Error(String(error)));
      }
    }
  }

  private runOne(group: string, effect: Effect): void {
    switch (effect.type) {
      case 'send':
        if (effect.node === this.node.name) this.deliver(effect.mailbox, effect.message);
        else this.node.sendRemote(effect.node, effect.mailbox, effect.message);
        return;
      case 'monitor':
        this.monitor(group, effect.target);
        return;
      case 'demonitor':
        this.monitors.get(group)?.delete(targetKey(effect.target));
        return;
      case 'timer':
        this.timer(group, effect.name, effect.milliseconds);
        return;
      case 'releaseCursor':
        return;
      default: {
        const exhausted: never = effect;
        this.node.error(new Error(`unknown effect ${JSON.stringify(exhausted)}`));
      }
    }
  }

  private monitor(group: string, target: Target): void {
    let targets = this.monitors.get(group);
    if (targets === undefined) {
      targets = new Map();
      this.monitors.set(group, targets);
    }
    if (targets.size >= maxMonitorsPerGroup) {
      this.node.error(
        new Error(`group ${group} monitors too many targets; monitor of ${targetKey(target)} ignored`),
      );
      return;
    }
    targets.set(targetKey(target), target);
    // A target already down is reported at once, as if it had just gone.
    const gone =
      !(target.node === this.node.name || this.node.isUp(target.node)) ||
      (target.node === this.node.name && target.mailbox !== undefined && !this.mailboxes.has(target.mailbox));
    if (gone)
      this.targetDown(
        target,
        target.mailbox === undefined || target.node !== this.node.name ? 'nodeDown' : 'mailboxGone',
      );
  }

  private timer(group: string, name: string, milliseconds: number | null): void {
    let timers = this.timers.get(group);
    const existing = timers?.get(name);
    if (existing !== undefined) this.node.clock.cancel(existing);
    timers?.delete(name);
    if (milliseconds === null) return;
    if (timers === undefined) {
      timers = new Map();
      this.timers.set(group, timers);
    }
    if (timers.size >= maxTimersPerGroup) {
      this.node.error(new Error(`group ${group} has too many timers; timer ${name} ignored`));
      return;
    }
    const groupTimers = timers;
    const timer = this.node.clock.after(Math.max(0, milliseconds), () => {
      groupTimers.delete(name);
      this.node.system(group, { kind: 'timeout', name });
    });
    timers.set(name, timer);
  }

  /** A node went down: every group monitoring it or a mailbox on it hears so. */
  nodeDown(node: string): void {
    for (const [group, targets] of this.monitors) {
      for (const [key, target] of targets) {
        if (target.node !== node) continue;
        targets.delete(key);
        this.node.system(group, { kind: 'down', target, reason: 'nodeDown' });
      }
    }
  }

  /** A mailbox went away (here, or on a node that says so). */
  targetDown(target: Target, reason: 'nodeDown' | 'mailboxGone'): void {
    const key = targetKey(target);
    for (const [group, targets] of this.monitors) {
      const watched = targets.get(key);
      if (watched === undefined) continue;
      targets.delete(key);
      this.node.system(group, { kind: 'down', target: watched, reason });
    }
  }

  /** This node no longer leads `group` (or its member is gone): its monitors and timers go. */
  forget(group: string): void {
    this.monitors.delete(group);
    for (const timer of this.timers.get(group)?.values() ?? []) this.node.clock.cancel(timer);
    this.timers.delete(group);
  }

  close(): void {
    for (const group of [...this.timers.keys()]) this.forget(group);
    this.monitors.clear();
    this.mailboxes.clear();
  }
}
