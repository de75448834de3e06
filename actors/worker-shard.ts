// The node's side of a shard on a worker thread: inputs are gathered and posted once a turn,
// questions wait for their answers, and the worker's batches are handed to the node's host.
import { Worker } from 'node:worker_threads';
import type { StoredMember } from '../raft/index.js';
import type { ActorInput, MemberStatus, MemberView } from './group-actor.js';
import type { MemberSpec, ShardHost } from './shard.js';
import type { ShardHandle } from './shard-handle.js';
import type { FromShard, ShardWorkerData, ToShard } from './shard-protocol.js';

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

export class WorkerShard implements ShardHandle {
  private readonly worker: Worker;
  private outbox: ToShard[] = [];
  private flushing = false;
  private readonly questions = new Map<
    number,
    { resolve: (value: unknown) => void; reject: (error: Error) => void }
  >();
  private nextQuestion = 1;
  timersArmed = 0;
  leaders = 0;
  staleMessages = 0;

  constructor(
    node: string,
    private readonly host: ShardHost,
  ) {
    const data: ShardWorkerData = { node };
    this.worker = new Worker(new URL('./shard-worker.js', import.meta.url), { workerData: data });
    this.worker.on('message', (batch: readonly FromShard[]) => this.receive(batch));
    this.worker.on('error', (error) => {
      for (const question of this.questions.values()) question.reject(error);
      this.questions.clear();
      host.failed?.(error);
    });
  }

  open(spec: MemberSpec, stored: StoredMember | undefined): Promise<void> {
    return this.ask<void>({ t: 'open', spec, stored });
  }

  deliver(group: string, input: ActorInput): void {
    this.post({ t: 'in', group, input });
  }

  peerChanged(node: string, up: boolean): void {
    this.post({ t: 'peer', node, up });
  }

  close(group: string): void {
    this.post({ t: 'close', group });
  }

  membership(group: string): Promise<MemberView | undefined> {
    return this.ask({ t: 'members', group });
  }

  status(group: string): Promise<MemberStatus | undefined> {
    return this.ask({ t: 'status', group });
  }

  async stop(): Promise<void> {
    await this.ask<void>({ t: 'stop' });
    await this.worker.terminate();
  }

  private ask<T>(message: DistributiveOmit<Extract<ToShard, { id: number }>, 'id'>): Promise<T> {
    const id = this.nextQuestion++;
    return new Promise<T>((resolve, reject) => {
      this.questions.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.post({ ...message, id } as ToShard);
    });
  }

  private post(message: ToShard): void {
    this.outbox.push(message);
    if (!this.flushing) {
      this.flushing = true;
      setImmediate(() => {
        this.flushing = false;
        const batch = this.outbox;
        this.outbox = [];
        this.worker.postMessage(batch);
      });
    }
  }

  private receive(batch: readonly FromShard[]): void {
    const host = this.host;
    for (const message of batch) {
      switch (message.t) {
        case 'send':
          host.send(message.group, message.to, message.message);
          break;
        case 'persist':
          host.persist(message.group, message.seq, message.write);
          break;
        case 'reply':
          host.reply(message.request, message.outcome);
          break;
        case 'leader':
          host.leaderChanged(message.group, message.leader, message.term);
          break;
        case 'effects':
          host.effects(message.group, message.effects);
          break;
        case 'report':
          host.report(message.group, message.code, message.message);
          break;
        case 'answer': {
          const question = this.questions.get(message.id);
          this.questions.delete(message.id);
          if (message.error !== undefined) question?.reject(new Error(message.error));
          else question?.resolve(message.value);
          break;
        }
        case 'stats':
          this.timersArmed = message.timersArmed;
          this.leaders = message.leaders;
          this.staleMessages = message.staleMessages;
          break;
      }
    }
  }
}
