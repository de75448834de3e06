// A shard on a worker thread: the worker's entry point. It runs a Shard and trades batches
// with its node, one postMessage a turn each way.
import { parentPort, workerData } from 'node:worker_threads';
import { Shard } from './shard.js';
import type { FromShard, ShardWorkerData, ToShard } from './shard-protocol.js';

const port = parentPort;
if (port === null) throw new Error('shard-worker.js runs on a worker thread');
const { node } = workerData as ShardWorkerData;

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

const shard = new Shard(node, {
  send: (group, to, message) => post({ t: 'send', group, to, message }),
  persist: (group, seq, write) => post({ t: 'persist', group, seq, write }),
  reply: (request, outcome) => post({ t: 'reply', request, outcome }),
  leaderChanged: (group, leader, term) => post({ t: 'leader', group, leader, term }),
  effects: (group, effects) => post({ t: 'effects', group, effects }),
  report: (group, code, message) => post({ t: 'report', group, code, message }),
});

port.on('message', (batch: readonly ToShard[]) => {
  for (const message of batch) {
    switch (message.t) {
      case 'open':
        shard.open(message.spec, message.stored).then(
          () => post({ t: 'answer', id: message.id }),
          (error: unknown) => post({ t: 'answer', id: message.id, error: String(error) }),
        );
        break;
      case 'in':
        shard.deliver(message.group, message.input);
        break;
      case 'peer':
        shard.peerChanged(message.node, message.up);
        break;
      case 'close':
        shard.close(message.group);
        break;
      case 'status':
        post({ t: 'answer', id: message.id, value: shard.status(message.group) });
        break;
      case 'members':
        post({ t: 'answer', id: message.id, value: shard.membership(message.group) });
        break;
      case 'stop':
        shard.closeAll();
        post({ t: 'answer', id: message.id });
        break;
    }
  }
});
