// What a node holds of each shard, the same whether the shard runs inline on the node's thread
// (`threads: 0`) or on a worker thread: inputs go in without waiting, questions come back as
// promises, and what the actors produce reaches the node through its ShardHost.
import type { StoredMember } from '../raft/index.js';
import type { ActorInput, MemberStatus, MemberView } from './actor-io.js';
import type { Clock } from './clock.js';
import { FlotillaError } from './errors.js';
import { type MemberSpec, Shard, type ShardHost } from './shard.js';

export interface ShardHandle {
  open(spec: MemberSpec, stored: StoredMember | undefined): Promise<void>;
  /** Loads the machine and runs its init, writing nothing: what open would need. Resolves with its code's version. */
  check(module: string, config: unknown): Promise<number>;
  deliver(group: string, input: ActorInput): void;
  peerChanged(node: string, up: boolean): void;
  /** Resolves once the member is closed: nothing of it reaches the host after that. */
  close(group: string): Promise<void>;
  membership(group: string): Promise<MemberView | undefined>;
  status(group: string): Promise<MemberStatus | undefined>;
  /** Timers armed and groups led, as last known: exact inline, a turn old from a worker. */
  readonly timersArmed: number;
  readonly leaders: number;
  /** Messages of an earlier term its members ignored, as last known. */
  readonly staleMessages: number;
  /** Raft messages sent straight to linked peer shards, and those from them for no member here. */
  readonly linkedMessages: number;
  /** Raft messages framed on the worker for nodes it is not linked to. */
  readonly framedMessages: number;
  readonly unknownGroupMessages: number;
  stop(): Promise<void>;
}

export class InlineShard implements ShardHandle {
  private readonly shard: Shard;

  constructor(node: string, host: ShardHost, clock: Clock) {
    this.shard = new Shard(node, host, null, clock);
  }

  open(spec: MemberSpec, stored: StoredMember | undefined): Promise<void> {
    return this.shard.open(spec, stored);
  }

  check(module: string, config: unknown): Promise<number> {
    return this.shard.check(module, config);
  }

  deliver(group: string, input: ActorInput): void {
    this.shard.deliver(group, input);
  }

  peerChanged(node: string, up: boolean): void {
    this.shard.peerChanged(node, up);
  }

  close(group: string): Promise<void> {
    this.shard.close(group);
    return Promise.resolve();
  }

  membership(group: string): Promise<MemberView | undefined> {
    return Promise.resolve(this.shard.membership(group));
  }

  status(group: string): Promise<MemberStatus | undefined> {
    return Promise.resolve(this.shard.status(group));
  }

  get timersArmed(): number {
    return this.shard.armedTimers;
  }

  get leaders(): number {
    return this.shard.leaders;
  }

  get staleMessages(): number {
    return this.shard.staleMessages;
  }

  /** An inline shard is never linked and frames nothing: its messages all go through the node. */
  readonly linkedMessages = 0;
  readonly framedMessages = 0;
  readonly unknownGroupMessages = 0;

  stop(): Promise<void> {
    this.shard.closeAll();
    return Promise.resolve();
  }
}

/** A shard slot whose worker failed too often to be started again: nothing opens on it. */
export class FailedShard implements ShardHandle {
  readonly timersArmed = 0;
  readonly leaders = 0;
  readonly staleMessages = 0;
  readonly linkedMessages = 0;
  readonly framedMessages = 0;
  readonly unknownGroupMessages = 0;

  constructor(private readonly reason: string) {}

  open(spec: MemberSpec): Promise<void> {
    return Promise.reject(
      new FlotillaError('STOPPED', `the shard for ${spec.group} is down: ${this.reason}`),
    );
  }

  check(): Promise<number> {
    return Promise.reject(new FlotillaError('STOPPED', `the shard is down: ${this.reason}`));
  }

  deliver(): void {}

  peerChanged(): void {}

  close(): Promise<void> {
    return Promise.resolve();
  }

  membership(): Promise<MemberView | undefined> {
    return Promise.resolve(undefined);
  }

  status(): Promise<MemberStatus | undefined> {
    return Promise.resolve(undefined);
  }

  stop(): Promise<void> {
    return Promise.resolve();
  }
}
