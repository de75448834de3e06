// The node's side of a shard on a worker thread: inputs are gathered and posted once a turn,
// questions wait for their answers, and the worker's batches are handed to the node's host.
// A watchdog asks a silent worker whether it still turns; one that died, or has not answered for
// `shardStuckMs`, is a failed shard: its questions fail, its callers hear TIMEOUT, and the shard
// set is told which member was running when it failed.
import { MessagePort, Worker } from 'node:worker_threads';
import type { StoredMember } from '../raft/index.js';
import type { EncodedWritesData } from '../wal/index.js';
import type { ActorInput, MemberStatus, MemberView, Outcome } from './actor-io.js';
import { FlotillaError } from './errors.js';
import { InputLane, laneBuffers } from './input-lane.js';
import type { MemberSpec, ShardHost } from './shard.js';
import type { ShardHandle } from './shard-handle.js';
import type { FromShard, ShardWorkerData, ToShard } from './shard-protocol.js';

/** The watchdog's period: a worker that sent nothing for this long is asked whether it still turns. */
export const shardPingMs = 250;
/**
 * A worker that has not answered for this long is stuck (a machine that never returns) and is
 * ended. It must exceed the longest turn a healthy shard takes; a shard turn is bounded by its
 * scheduler's round budget, which takes milliseconds.
 */
export const shardStuckMs = 5000;
/** How long close() waits for a worker to stop its members before ending the thread anyway. */
const shardStopMs = 5000;

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** What a worker shard's node does for it beyond what an inline shard needs. */
export interface WorkerShardHost extends ShardHost {
  /** The worker's writes of a turn, already encoded as WAL records. */
  persistEncoded(writes: EncodedWritesData): void;
  /** The worker's raft messages of a turn to node `to`, framed as one batch (raft-batch.ts). */
  sendFramed(to: string, batch: Uint8Array, messages: number): void;
  /** A batch from `node` the worker could not read: what the node does with a malformed frame. */
  refuseFramed(node: string, reason: string): void;
}

/** Called once when the worker fails: why, and the slot of the member it was running (0: none). */
export type ShardDeath = (reason: string, culpritSlot: number) => void;

export class WorkerShard implements ShardHandle {
  private readonly worker: Worker;
  private readonly running = new Int32Array(new SharedArrayBuffer(4));
  private outbox: ToShard[] = [];
  /** Ports and batch buffers in the outbox, moved to the worker with it. */
  private transfers: (MessagePort | ArrayBuffer)[] = [];
  /** The outbox's input lanes; the last takes inputs until anything else is posted after it. */
  private lanes: { message: Extract<ToShard, { t: 'inputs' }>; lane: InputLane }[] = [];
  private openLane: InputLane | null = null;
  private flushing = false;
  private readonly questions = new Map<
    number,
    { resolve: (value: unknown) => void; reject: (error: Error) => void }
  >();
  private nextQuestion = 1;
  /** Requests handed to the worker and not yet answered: a dead worker's callers hear TIMEOUT. */
  private readonly outstanding = new Set<number>();
  private state: 'running' | 'stopping' | 'dead' = 'running';
  private readonly watchdog: NodeJS.Timeout;
  private lastHeard = Date.now();
  private lastWatch = Date.now();
  private unanswered = 0;
  timersArmed = 0;
  leaders = 0;
  staleMessages = 0;
  linkedMessages = 0;
  framedMessages = 0;
  unknownGroupMessages = 0;

  constructor(
    node: string,
    /** This shard's index among its node's `shards`. */
    index: number,
    shards: number,
    private readonly host: WorkerShardHost,
    private readonly onDeath: ShardDeath,
  ) {
    const data: ShardWorkerData = { node, index, shards, running: this.running.buffer as SharedArrayBuffer };
    this.worker = new Worker(new URL('./shard-worker.js', import.meta.url), { workerData: data });
    this.worker.on('message', (batch: readonly FromShard[]) => {
      this.lastHeard = Date.now();
      this.receive(batch);
    });
    this.worker.on('error', (error) => this.died(`its thread threw: ${String(error)}`));
    this.worker.on('exit', (code) => this.died(`its thread exited with code ${code}`));
    this.watchdog = setInterval(() => this.watch(), shardPingMs);
    this.watchdog.unref();
  }

  open(spec: MemberSpec, stored: StoredMember | undefined): Promise<void> {
    return this.ask<void>({ t: 'open', spec, stored });
  }

  check(module: string, config: unknown): Promise<number> {
    return this.ask<number>({ t: 'check', module, config });
  }

  deliver(group: string, input: ActorInput): void {
    if (this.state === 'dead') return;
    if ('request' in input) this.outstanding.add(input.request);
    if (!this.lane().add(group, input)) this.post({ t: 'in', group, input });
  }

  /** The open lane, or a new one at the end of the outbox: its inputs keep their order with all else. */
  private lane(): InputLane {
    if (this.openLane !== null) return this.openLane;
    const message: Extract<ToShard, { t: 'inputs' }> = { t: 'inputs', inputs: null };
    this.post(message);
    const lane = new InputLane();
    this.lanes.push({ message, lane });
    this.openLane = lane;
    return lane;
  }

  /**
   * A batch that `node`'s shard of this index framed, for the worker to read: copied into a
   * buffer of its own, which is moved (a frame's bytes share their buffer with the frames around
   * them, which moving it would take from under them).
   */
  deliverFramed(node: string, batch: Uint8Array): void {
    if (this.state === 'dead') return;
    const moved = new Uint8Array(batch);
    this.transfers.push(moved.buffer);
    this.post({ t: 'framed', node, batch: moved });
  }

  peerChanged(node: string, up: boolean): void {
    this.post({ t: 'peer', node, up });
  }

  /** Gives the worker its port to `node`'s shard of the same index (shard-links.ts). */
  link(node: string, port: MessagePort): void {
    if (this.state === 'dead') {
      port.close();
      return;
    }
    this.transfers.push(port);
    this.post({ t: 'link', node, port });
  }

  close(group: string): Promise<void> {
    // A dead worker holds no member: closed already.
    return this.ask<void>({ t: 'close', group }).catch(() => {});
  }

  membership(group: string): Promise<MemberView | undefined> {
    return this.ask({ t: 'members', group });
  }

  status(group: string): Promise<MemberStatus | undefined> {
    return this.ask({ t: 'status', group });
  }

  async stop(): Promise<void> {
    if (this.state !== 'running') return;
    this.state = 'stopping';
    clearInterval(this.watchdog);
    let timer: NodeJS.Timeout | undefined;
    // A worker that cannot stop its members in time (stuck) is ended all the same.
    await Promise.race([
      this.ask<void>({ t: 'stop' }).catch(() => {}),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, shardStopMs);
      }),
    ]);
    clearTimeout(timer);
    await this.worker.terminate();
  }

  /**
   * Each period: a worker heard from since the last is well; a silent one is pinged, and one that
   * stays silent for `shardStuckMs` is stuck. A period that came late means this thread was busy
   * and could not have heard the worker: it does not count against it.
   */
  private watch(): void {
    const now = Date.now();
    const late = now - this.lastWatch > 2 * shardPingMs;
    if (this.lastHeard >= this.lastWatch) this.unanswered = 0;
    else if (!late) this.unanswered += 1;
    this.lastWatch = now;
    if (this.unanswered * shardPingMs >= shardStuckMs) {
      this.died(
        `its thread did not answer for ${this.unanswered * shardPingMs} ms (a machine that never returns?)`,
      );
      void this.worker.terminate();
      return;
    }
    if (now - this.lastHeard >= shardPingMs) this.post({ t: 'ping' });
  }

  private died(reason: string): void {
    if (this.state === 'dead') return;
    const unexpected = this.state === 'running';
    this.state = 'dead';
    clearInterval(this.watchdog);
    const culprit = Atomics.load(this.running, 0);
    const error = new FlotillaError('STOPPED', `the shard's thread failed: ${reason}`);
    for (const question of this.questions.values()) question.reject(error);
    this.questions.clear();
    for (const request of this.outstanding)
      this.host.reply(request, {
        kind: 'error',
        code: 'TIMEOUT',
        message: `the member's thread failed before answering (${reason}): the call may or may not have taken effect`,
      });
    this.outstanding.clear();
    if (unexpected) this.onDeath(reason, culprit);
  }

  private ask<T>(message: DistributiveOmit<Extract<ToShard, { id: number }>, 'id'>): Promise<T> {
    if (this.state === 'dead')
      return Promise.reject(new FlotillaError('STOPPED', "the shard's thread has failed"));
    const id = this.nextQuestion++;
    return new Promise<T>((resolve, reject) => {
      this.questions.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.post({ ...message, id } as ToShard);
    });
  }

  private post(message: ToShard): void {
    if (this.state === 'dead') return;
    this.outbox.push(message);
    this.openLane = null;
    if (!this.flushing) {
      this.flushing = true;
      setImmediate(() => {
        this.flushing = false;
        const batch = this.outbox;
        const transfers = this.transfers;
        for (const { message, lane } of this.lanes) {
          message.inputs = lane.take();
          transfers.push(...laneBuffers(message.inputs));
        }
        this.outbox = [];
        this.transfers = [];
        this.lanes = [];
        this.openLane = null;
        if (this.state !== 'dead') this.worker.postMessage(batch, transfers);
        else for (const port of transfers) if (port instanceof MessagePort) port.close();
      });
    }
  }

  private receive(batch: readonly FromShard[]): void {
    const host = this.host;
    for (const message of batch) {
      switch (message.t) {
        case 'framed':
          host.sendFramed(message.to, message.batch, message.messages);
          break;
        case 'refused':
          host.refuseFramed(message.node, message.reason);
          break;
        case 'persisted':
          if (message.writes !== null) host.persistEncoded(message.writes);
          break;
        case 'reply':
          this.outstanding.delete(message.request);
          host.reply(message.request, message.outcome);
          break;
        case 'replies': {
          const { requests, values, others } = message;
          let other = 0;
          for (let at = 0; at < requests.length; at += 1) {
            const request = requests[at]!;
            this.outstanding.delete(request);
            if (others[other] === at) {
              other += 1;
              host.reply(request, values[at] as Outcome);
            } else host.reply(request, { kind: 'ok', value: values[at] });
          }
          break;
        }
        case 'leader':
          host.leaderChanged(message.group, message.leader, message.term);
          break;
        case 'effects':
          host.effects(message.group, message.effects);
          break;
        case 'report':
          host.report(message.group, message.code, message.message);
          break;
        case 'failed':
          host.memberFailed(message.group, message.reason);
          break;
        case 'removed':
          host.removed(message.group);
          break;
        case 'answer': {
          const question = this.questions.get(message.id);
          this.questions.delete(message.id);
          if (message.error !== undefined)
            question?.reject(new FlotillaError(message.error.code, message.error.message));
          else question?.resolve(message.value);
          break;
        }
        case 'stats':
          this.timersArmed = message.timersArmed;
          this.leaders = message.leaders;
          this.staleMessages = message.staleMessages;
          this.linkedMessages = message.linkedMessages;
          this.framedMessages = message.framedMessages;
          this.unknownGroupMessages = message.unknownGroup;
          break;
      }
    }
  }
}
