// A shard on a worker thread: the worker's entry point. It runs a Shard and trades batches
// with its node, one postMessage a turn each way.
import { parentPort, workerData } from 'node:worker_threads';
import { FlotillaError } from './errors.js';
import { Shard } from './shard.js';
import type { FromShard, ShardWorkerData, ToShard } from './shard-protocol.js';

const port = parentPort;
if (port === null) throw new Error('shard-worker.js runs on a worker thread');
const { node, running } = workerData as ShardWorkerData;

let outbox: FromShard[] = [];
let flushing = false;

function post(message: FromShard): void {
  outbox.push(message);
  if (!flushing) {
    flushing = true;
    setImmediate(flush);
  }
}

function flush(): void {
  flushing = false;
  outbox.push({
    t: 'stats',
    timersArmed: shard.armedTimers,
    leaders: shard.leaders,
    staleMessages: shard.staleMessages,
  });
  const batch = outbox;
  outbox = [];
  try {
    port!.postMessage(batch);
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
    send: (group, from, to, message) => post({ t: 'send', group, from, to, message }),
    persist: (group, seq, write) => post({ t: 'persist', group, seq, write }),
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
        shard.peerChanged(message.node, message.up);
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
        });
        break;
      case 'stop':
        shard.closeAll();
        answer(message.id, () => undefined);
        break;
    }
  }
});
