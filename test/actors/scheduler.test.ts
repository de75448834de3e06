// The scheduler: each actor runs for a bounded budget per turn so a busy one cannot starve the
// others, every turn ends with endTurn, and a full mailbox refuses instead of growing.
import { describe, expect, it } from 'vitest';
import { type Actor, actorBudget, Mailbox, mailboxBound, Scheduler } from '../../actors/scheduler.js';

class Recorder implements Actor<number> {
  readonly mailbox = new Mailbox<number>();
  readonly handled: number[] = [];
  turns = 0;

  constructor(
    readonly name: string,
    private readonly log: string[],
  ) {}

  handle(input: number): void {
    this.handled.push(input);
    this.log.push(this.name);
  }

  endTurn(): void {
    this.turns += 1;
  }
}

const noFailures = {
  failed: (_actor: unknown, error: unknown) => {
    throw error;
  },
};

const settled = () => new Promise((resolve) => setTimeout(resolve, 20));

describe('the scheduler', () => {
  it('lets a quiet actor run before a busy one has used up its mail', async () => {
    const log: string[] = [];
    const scheduler = new Scheduler<number>(noFailures);
    const busy = new Recorder('busy', log);
    const quiet = new Recorder('quiet', log);
    for (let input = 0; input < actorBudget * 3; input += 1) scheduler.deliver(busy, input);
    scheduler.deliver(quiet, 1);
    await settled();
    expect(busy.handled).toHaveLength(actorBudget * 3);
    expect(log.indexOf('quiet')).toBe(actorBudget);
    expect(busy.turns).toBe(3);
    expect(quiet.turns).toBe(1);
  });

  it('refuses input past the mailbox bound, and takes it again once the mailbox drains', async () => {
    const scheduler = new Scheduler<number>(noFailures);
    const actor = new Recorder('full', []);
    let accepted = 0;
    for (let input = 0; input < mailboxBound + 10; input += 1)
      if (scheduler.deliver(actor, input)) accepted += 1;
    expect(accepted).toBe(mailboxBound);
    await settled();
    expect(actor.handled).toHaveLength(mailboxBound);
    expect(scheduler.deliver(actor, 1)).toBe(true);
  });

  it('never runs a removed actor again', async () => {
    const scheduler = new Scheduler<number>(noFailures);
    const actor = new Recorder('gone', []);
    scheduler.deliver(actor, 1);
    scheduler.remove(actor);
    await settled();
    expect(actor.handled).toEqual([]);
    expect(scheduler.deliver(actor, 2)).toBe(false);
  });

  it('removes an actor that throws, says why, and goes on running the others', async () => {
    const failures: [string, unknown][] = [];
    const scheduler = new Scheduler<number>({
      failed: (actor, error) => failures.push([(actor as Recorder).name, error]),
    });
    const log: string[] = [];
    const broken = new Recorder('broken', log);
    broken.handle = (input: number) => {
      if (input === 2) throw new Error('invariant');
      broken.handled.push(input);
    };
    const healthy = new Recorder('healthy', log);
    for (const input of [1, 2, 3]) scheduler.deliver(broken, input);
    scheduler.deliver(healthy, 1);
    await settled();
    expect(broken.handled).toEqual([1]);
    expect(failures).toEqual([['broken', new Error('invariant')]]);
    expect(healthy.handled).toEqual([1]);
    expect(scheduler.deliver(broken, 4)).toBe(false);
    expect(scheduler.deliver(healthy, 2)).toBe(true);
    await settled();
    expect(healthy.handled).toEqual([1, 2]);
  });
});
