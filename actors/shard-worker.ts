// A shard on a worker thread: the worker's entry point. It runs a Shard and trades batches
// with its node, one postMessage a turn each way. Its raft messages it frames itself, one raft
// batch a turn for each peer node (raft-batch.ts): straight to the same shard of an in-process
// peer it is linked to (shard-links.ts), else to its node, whose thread carries them as bytes
// and hands it the batches of peer shards of the same index as they came.
import { type MessagePort, parentPort, workerData } from 'node:worker_threads';
import type { Message, Write } from '../raft/index.js';
import { EncodedWrites } from '../wal/index.js';
import type { ActorInput, Outcome } from './actor-io.js';
import { FlotillaError } from './errors.js';
import { eachInput } from './input-lane.js';
import { isOn, nodeOf } from './member-id.js';
import { decodeRaftBatch, encodeRaftBatch } from './raft-batch.js';
import { Shard } from './shard.js';
import type { FromShard, ShardWorkerData, ToShard } from './shard-protocol.js';

const port = parentPort;
if (port === null) throw new Error('shard-worker.js runs on a worker thread');
const { node, index, shards, running } = workerData as ShardWorkerData;

let outbox: FromShard[] = [];
let flushing = false;
/** The turn's writes, encoded as the WAL's records here rather than on the node's thread. */
const writes = new EncodedWrites();
/** Where the turn's writes go in the outbox: where its first write was made. */
let persisted: Extract<FromShard, { t: 'persisted' }> | null = null;

function persist(group: string, seq: number, write: Write): void {
  if (persisted === null) {
    persisted = { t: 'persisted', writes: null };
    post(persisted);
  }
  writes.add(group, seq, write);
}

/** Ports to peer nodes' shards of this index (shard-links.ts). */
const links = new Map<string, MessagePort>();
let linkedMessages = 0;
let unknownGroup = 0;
/** The turn's raft messages for each peer node, flat as a raft batch holds them. */
let framing = new Map<string, unknown[]>();
let framedMessages = 0;

function scheduleFlush(): void {
  if (!flushing) {
    flushing = true;
    setImmediate(flush);
  }
}

function post(message: FromShard): void {
  outbox.push(message);
  replies = null;
  scheduleFlush();
}

/** The replies message at the end of the outbox, while nothing else has been posted after it. */
let replies: Extract<FromShard, { t: 'replies' }> | null = null;

/** A caller's outcome: one of a row of replies, which cross to the node as one message. */
function reply(request: number, outcome: Outcome): void {
  if (replies === null) {
    const opened: Extract<FromShard, { t: 'replies' }> = {
      t: 'replies',
      requests: [],
      values: [],
      others: [],
    };
    post(opened);
    replies = opened;
  }
  if (outcome.kind === 'ok') replies.values.push(outcome.value);
  else {
    replies.others.push(replies.requests.length);
    replies.values.push(outcome);
  }
  replies.requests.push(request);
}

/** A batch's replies one message each, for the batch that could not be posted whole. */
function oneByOne(batch: readonly FromShard[]): FromShard[] {
  return batch.flatMap((message) =>
    message.t !== 'replies'
      ? [message]
      : message.requests.map(
          (request, at): FromShard => ({
            t: 'reply',
            request,
            outcome: message.others.includes(at)
              ? (message.values[at] as Outcome)
              : { kind: 'ok', value: message.values[at] },
          }),
        ),
  );
}

/** A raft message, framed at the end of the turn with the rest for its node (see flush). */
function send(group: string, from: string, to: string, message: Message): void {
  const peer = nodeOf(to);
  let batch = framing.get(peer);
  if (batch === undefined) {
    batch = [];
    framing.set(peer, batch);
  }
  batch.push(group, from, message);
  scheduleFlush();
}

function dropLink(peer: string): void {
  links.get(peer)?.close();
  links.delete(peer);
}

function addLink(peer: string, linkPort: MessagePort): void {
  dropLink(peer);
  links.set(peer, linkPort);
  linkPort.on('message', (batch: Uint8Array) => receiveFramed(peer, batch));
  // The peer's worker ended (its node closed, or the worker failed): its messages go through the node.
  linkPort.on('close', () => {
    if (links.get(peer) === linkPort) links.delete(peer);
  });
}

/** A batch `peer`'s shard framed, from its link or carried by the node: checked as the node checks what peers send. */
function receiveFramed(peer: string, batch: Uint8Array): void {
  let flat: unknown[];
  try {
    flat = decodeRaftBatch(batch);
  } catch (error) {
    post({ t: 'refused', node: peer, reason: (error as Error).message });
    return;
  }
  for (let at = 0; at < flat.length; at += 3)
    receiveMessage(peer, flat[at] as string, flat[at + 1] as string, flat[at + 2] as Message);
}

/** A group deleted here, or never created, or a sender naming a member of another node: dropped. */
function receiveMessage(peer: string, group: string, from: string, message: Message): void {
  if (!isOn(from, peer) || !shard.has(group)) {
    unknownGroup += 1;
    return;
  }
  shard.deliver(group, { kind: 'message', from, message });
}

function flush(): void {
  flushing = false;
  const transfers: ArrayBuffer[] = [];
  if (persisted !== null) {
    const taken = writes.take();
    persisted.writes = taken;
    transfers.push(taken.bytes.buffer as ArrayBuffer);
    persisted = null;
  }
  // Each peer's messages as one raft batch: straight to its shard when linked to it (moved, not
  // cloned), else to the node to carry.
  if (framing.size > 0) {
    for (const [to, flat] of framing) {
      const batch = encodeRaftBatch(index, shards, flat);
      const messages = flat.length / 3;
      const link = links.get(to);
      if (link !== undefined) {
        link.postMessage(batch, [batch.buffer as ArrayBuffer]);
        linkedMessages += messages;
      } else {
        outbox.push({ t: 'framed', to, batch, messages });
        transfers.push(batch.buffer as ArrayBuffer);
        framedMessages += messages;
      }
    }
    framing = new Map();
  }
  outbox.push(stats());
  const batch = outbox;
  outbox = [];
  replies = null;
  try {
    port!.postMessage(batch, transfers);
  } catch {
    // Machine output is checked before it gets here; should a value still not clone, it alone
    // is lost, not the batch and not this thread. A lost reply is a TIMEOUT: its command did apply.
    for (const message of oneByOne(batch)) {
      try {
        port!.postMessage([message]);
      } catch (error) {
        if (message.t === 'reply')
          port!.postMessage([
            {
              t: 'reply',
              request: message.request,
              outcome: {
                kind: 'error',
                code: 'TIMEOUT',
                message: `the command applied but its reply could not be sent: ${String(error)}`,
              },
            },
          ]);
      }
    }
  }
}

function stats(): FromShard {
  return {
    t: 'stats',
    timersArmed: shard.armedTimers,
    leaders: shard.leaders,
    staleMessages: shard.staleMessages,
    linkedMessages,
    framedMessages,
    unknownGroup,
  };
}

/** A question's answer, or its failure with the code the node passes on to the caller. */
function answer(id: number, work: () => Promise<unknown> | unknown): void {
  const failed = (error: unknown) =>
    post({
      t: 'answer',
      id,
      error:
        error instanceof FlotillaError
          ? { code: error.code, message: error.message }
          : { code: 'STOPPED', message: String(error) },
    });
  let result: unknown;
  try {
    // Run now, in the order the batch asked: a later close must not change this answer.
    result = work();
  } catch (error) {
    failed(error);
    return;
  }
  Promise.resolve(result).then((value) => post({ t: 'answer', id, value }), failed);
}

const shard = new Shard(
  node,
  {
    send,
    persist,
    reply,
    leaderChanged: (group, leader, term) => post({ t: 'leader', group, leader, term }),
    effects: (group, effects) => post({ t: 'effects', group, effects }),
    report: (group, code, message) => post({ t: 'report', group, code, message }),
    memberFailed: (group, reason) => post({ t: 'failed', group, reason }),
    removed: (group) => post({ t: 'removed', group }),
  },
  new Int32Array(running),
);
const deliver = (group: string, input: ActorInput) => shard.deliver(group, input);

port.on('message', (batch: readonly ToShard[]) => {
  for (const message of batch) {
    switch (message.t) {
      case 'open':
        answer(message.id, () => shard.open(message.spec, message.stored));
        break;
      case 'check':
        answer(message.id, () => shard.check(message.module, message.config));
        break;
      case 'in':
        shard.deliver(message.group, message.input);
        break;
      case 'inputs':
        eachInput(message.inputs!, deliver);
        break;
      case 'framed':
        receiveFramed(message.node, message.batch);
        break;
      case 'peer':
        // A node gone down takes its link along, with whatever of its last messages the link
        // still holds: the node said it is down, so nothing it sent may arrive after that (a
        // follower would take its old leader back, and wait on it for good). A node that comes
        // up again is linked afresh, before it is said to be up.
        if (!message.up) dropLink(message.node);
        shard.peerChanged(message.node, message.up);
        break;
      case 'link':
        addLink(message.node, message.port);
        break;
      case 'close':
        answer(message.id, () => shard.close(message.group));
        break;
      case 'status':
        answer(message.id, () => shard.status(message.group));
        break;
      case 'members':
        answer(message.id, () => shard.membership(message.group));
        break;
      case 'ping':
        post(stats());
        break;
      case 'stop':
        shard.closeAll();
        answer(message.id, () => undefined);
        break;
    }
  }
});
