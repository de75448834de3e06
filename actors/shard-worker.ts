// A shard on a worker thread: the worker's entry point. It runs a Shard and trades batches
// with its node, one postMessage a turn each way, and with the same shard of in-process peer
// nodes it is linked to (shard-links.ts), one postMessage a turn to each.
import { type MessagePort, parentPort, workerData } from 'node:worker_threads';
import type { Message, Write } from '../raft/index.js';
import { EncodedWrites } from '../wal/index.js';
import { FlotillaError } from './errors.js';
import { isOn, nodeOf } from './member-id.js';
import { Shard } from './shard.js';
import type { FromShard, LinkBatch, ShardWorkerData, ToShard } from './shard-protocol.js';

const port = parentPort;
if (port === null) throw new Error('shard-worker.js runs on a worker thread');
const { node, running } = workerData as ShardWorkerData;

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

/** A link to a peer node's shard of this index, and the messages for it this turn. */
interface Link {
  readonly port: MessagePort;
  outbox: unknown[];
}
const links = new Map<string, Link>();
let linkedMessages = 0;
let unknownGroup = 0;

function scheduleFlush(): void {
  if (!flushing) {
    flushing = true;
    setImmediate(flush);
  }
}

function post(message: FromShard): void {
  outbox.push(message);
  scheduleFlush();
}

/** A raft message: straight to the peer's shard when linked to it, else through the node. */
function send(group: string, from: string, to: string, message: Message): void {
  const link = links.get(nodeOf(to));
  if (link === undefined) {
    post({ t: 'send', group, from, to, message });
    return;
  }
  link.outbox.push(group, from, to, message);
  linkedMessages += 1;
  scheduleFlush();
}

function dropLink(peer: string): void {
  links.get(peer)?.port.close();
  links.delete(peer);
}

function addLink(peer: string, linkPort: MessagePort): void {
  dropLink(peer);
  const link: Link = { port: linkPort, outbox: [] };
  links.set(peer, link);
  linkPort.on('message', (batch: LinkBatch) => receiveLinked(peer, batch));
  // The peer's worker ended (its node closed, or the worker failed): its messages go through the node.
  linkPort.on('close', () => {
    if (links.get(peer) === link) links.delete(peer);
  });
}

/** Messages from `peer`'s shard, for members here; as the node does, it drops what is for no member. */
function receiveLinked(peer: string, batch: LinkBatch): void {
  for (let at = 0; at + 3 < batch.length; at += 4) {
    const group = batch[at] as string;
    const from = batch[at + 1] as string;
    if (!isOn(from, peer) || !shard.has(group)) {
      unknownGroup += 1;
      continue;
    }
    shard.deliver(group, { kind: 'message', from, message: batch[at + 3] as Message });
  }
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
  for (const link of links.values()) {
    if (link.outbox.length === 0) continue;
    const batch = link.outbox;
    link.outbox = [];
    link.port.postMessage(batch);
  }
  outbox.push({
    t: 'stats',
    timersArmed: shard.armedTimers,
    leaders: shard.leaders,
    staleMessages: shard.staleMessages,
    linkedMessages,
    unknownGroup,
  });
  const batch = outbox;
  outbox = [];
  try {
    port!.postMessage(batch, transfers);
  } catch {
    // Machine output is checked before it gets here; should a value still not clone, it alone
    // is lost, not the batch and not this thread. A lost reply is a TIMEOUT: its command did apply.
    for (const message of batch) {
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
    reply: (request, outcome) => post({ t: 'reply', request, outcome }),
    leaderChanged: (group, leader, term) => post({ t: 'leader', group, leader, term }),
    effects: (group, effects) => post({ t: 'effects', group, effects }),
    report: (group, code, message) => post({ t: 'report', group, code, message }),
    memberFailed: (group, reason) => post({ t: 'failed', group, reason }),
    removed: (group) => post({ t: 'removed', group }),
  },
  new Int32Array(running),
);

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
        post({
          t: 'stats',
          timersArmed: shard.armedTimers,
          leaders: shard.leaders,
          staleMessages: shard.staleMessages,
          linkedMessages,
          unknownGroup,
        });
        break;
      case 'stop':
        shard.closeAll();
        answer(message.id, () => undefined);
        break;
    }
  }
});
