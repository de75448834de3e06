// A replicated queue as a broker runs one per queue: messages are enqueued, checked out by
// consumers (delivered to their mailboxes through `send` effects), then settled or returned.
// A consumer that dies, seen through `monitor`, has its unsettled messages returned. As
// messages settle the machine releases its log, so the log stays bounded.
import { type ApplyResult, defineMachine, type Effect } from 'flotilla';

export interface Delivery {
  readonly queue: string;
  readonly id: number;
  readonly body: unknown;
}

interface Consumer {
  readonly node: string;
  readonly mailbox: string;
  credit: number;
}

export interface QueueState {
  readonly name: string;
  nextId: number;
  /** Messages waiting for a consumer, oldest first. */
  ready: { id: number; body: unknown }[];
  /** Checked-out messages by id, with the consumer holding each. */
  out: Record<string, { body: unknown; consumer: string }>;
  consumers: Record<string, Consumer>;
  settled: number;
  /** Commands since the log was last released, and how many may pass between releases. */
  sinceRelease: number;
  readonly releaseEvery: number;
}

export type QueueCommand =
  | { readonly enqueue: unknown }
  | { readonly checkout: { readonly node: string; readonly mailbox: string; readonly credit: number } }
  | { readonly settle: { readonly consumer: string; readonly ids: readonly number[] } }
  | { readonly return: { readonly consumer: string; readonly ids: readonly number[] } };

/** Commands between log releases by default: the log holds about this many entries at most. */
const defaultReleaseEvery = 64;

function consumerKey(node: string, mailbox: string): string {
  return `${node}/${mailbox}`;
}

/** Hands ready messages to consumers with credit, as send effects. */
function deliver(state: QueueState, effects: Effect[]): void {
  for (const [key, consumer] of Object.entries(state.consumers)) {
    while (consumer.credit > 0 && state.ready.length > 0) {
      const message = state.ready.shift()!;
      consumer.credit -= 1;
      state.out[message.id] = { body: message.body, consumer: key };
      const delivery: Delivery = { queue: state.name, id: message.id, body: message.body };
      effects.push({ type: 'send', node: consumer.node, mailbox: consumer.mailbox, message: delivery });
    }
  }
}

/** Puts a consumer's checked-out messages back at the front, oldest first. */
function returnMessages(state: QueueState, consumer: string, ids?: readonly number[]): void {
  const back = Object.entries(state.out)
    .filter(([id, held]) => held.consumer === consumer && (ids === undefined || ids.includes(Number(id))))
    .map(([id, held]) => ({ id: Number(id), body: held.body }));
  for (const { id } of back) delete state.out[id];
  state.ready = [...back.sort((x, y) => x.id - y.id), ...state.ready];
}

function finish(
  index: number,
  state: QueueState,
  effects: Effect[],
  reply?: unknown,
): ApplyResult<QueueState, unknown> {
  deliver(state, effects);
  state.sinceRelease += 1;
  if (state.sinceRelease >= state.releaseEvery) {
    // The state holds the whole queue, so the log up to here can be replaced by it.
    state.sinceRelease = 0;
    effects.push({ type: 'releaseCursor', index, state: structuredClone(state) });
  }
  return { state, reply, effects };
}

export default defineMachine<QueueState, QueueCommand, unknown>({
  init: (config) => ({
    name: String((config as { name?: string } | null)?.name ?? 'queue'),
    releaseEvery: Number((config as { releaseEvery?: number } | null)?.releaseEvery ?? defaultReleaseEvery),
    nextId: 1,
    ready: [],
    out: {},
    consumers: {},
    settled: 0,
    sinceRelease: 0,
  }),
  apply: (meta, command, previous) => {
    const state = structuredClone(previous);
    const effects: Effect[] = [];
    if ('enqueue' in command) {
      const id = state.nextId++;
      state.ready.push({ id, body: command.enqueue });
      return finish(meta.index, state, effects, id);
    }
    if ('checkout' in command) {
      const { node, mailbox, credit } = command.checkout;
      if (!(Number.isInteger(credit) && credit > 0))
        throw new RangeError('credit must be a positive integer');
      const key = consumerKey(node, mailbox);
      const existing = state.consumers[key];
      state.consumers[key] = { node, mailbox, credit: (existing?.credit ?? 0) + credit };
      if (existing === undefined) effects.push({ type: 'monitor', target: { node, mailbox } });
      return finish(meta.index, state, effects, key);
    }
    if ('settle' in command) {
      const { consumer, ids } = command.settle;
      const holder = state.consumers[consumer];
      let settled = 0;
      for (const id of ids) {
        if (state.out[id]?.consumer !== consumer) continue;
        delete state.out[id];
        settled += 1;
      }
      state.settled += settled;
      if (holder !== undefined) holder.credit += settled;
      return finish(meta.index, state, effects, settled);
    }
    if ('return' in command) {
      const { consumer, ids } = command.return;
      const holder = state.consumers[consumer];
      const before = Object.keys(state.out).length;
      returnMessages(state, consumer, ids);
      const returned = before - Object.keys(state.out).length;
      if (holder !== undefined) holder.credit += returned;
      return finish(meta.index, state, effects, returned);
    }
    throw new TypeError('a queue command is enqueue, checkout, settle or return');
  },
  system: (meta, event, previous) => {
    const state = structuredClone(previous);
    const effects: Effect[] = [];
    if (event.kind === 'down') {
      const gone = Object.keys(state.consumers).filter(
        (key) =>
          state.consumers[key]!.node === event.target.node &&
          (event.target.mailbox === undefined || state.consumers[key]!.mailbox === event.target.mailbox),
      );
      for (const key of gone) {
        returnMessages(state, key);
        delete state.consumers[key];
      }
    }
    return finish(meta.index, state, effects);
  },
  stateEnter: (role, state) =>
    // A new leader watches the consumers again: monitors live on the leader's node.
    role === 'leader'
      ? Object.values(state.consumers).map((consumer) => ({
          type: 'monitor' as const,
          target: { node: consumer.node, mailbox: consumer.mailbox },
        }))
      : [],
  queries: {
    depth: (state) => state.ready.length,
    checkedOut: (state) => Object.keys(state.out).length,
    settled: (state) => state.settled,
    consumers: (state) => Object.keys(state.consumers),
  },
});
