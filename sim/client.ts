// A simulated client: one operation at a time against one group's KV machine, with per-attempt
// timeouts, retries that reuse the command's sequence number (so the machine applies it at most
// once), and a record of every operation for the linearizability check.
import type { NodeId } from '../raft/index.js';
import type { GroupId } from './disk.js';
import type { Operation } from './linearizability/index.js';
import type { Prng } from './prng.js';
import type { Reply } from './sim-node.js';

/** How a client reaches nodes and time; implemented by the world. */
export interface ClientPort {
  readonly now: number;
  readonly prng: Prng;
  readonly nodeIds: readonly NodeId[];
  /** Sends a request; false means the node refused the connection (down, or not hosting the group). */
  put(
    node: NodeId,
    group: GroupId,
    client: number,
    seq: number,
    key: string,
    value: string,
    reply: (reply: Reply) => void,
  ): boolean;
  get(node: NodeId, group: GroupId, key: string, reply: (reply: Reply) => void): boolean;
  /** Runs `action` after `delay` ms of simulated time. */
  later(delay: number, action: () => void): void;
}

export interface ClientTiming {
  readonly attemptTimeout: number;
  readonly operationDeadline: number;
  readonly thinkTime: number;
}

interface Current {
  readonly operationId: number;
  readonly kind: 'put' | 'get';
  readonly key: string;
  readonly value: string | null;
  readonly seq: number;
  readonly invokedAt: number;
  attempt: number;
  maybeApplied: boolean;
}

const keys = ['x', 'y', 'z'];

export class SimClient {
  readonly history: Operation[] = [];
  private current: Current | null = null;
  private seq = 0;
  private target: NodeId;
  private stopped = false;
  completedAfter = Number.POSITIVE_INFINITY;

  constructor(
    readonly id: number,
    readonly group: GroupId,
    private readonly port: ClientPort,
    private readonly timing: ClientTiming,
    private readonly nextOperationId: () => number,
  ) {
    this.target = port.prng.pick(port.nodeIds);
  }

  start(): void {
    this.port.later(this.port.prng.int(this.timing.thinkTime + 1), () => this.begin());
  }

  /** Stops issuing; an operation still running ends as "maybe applied" (puts) or is dropped (gets). */
  stop(): void {
    this.stopped = true;
    const current = this.current;
    if (current === null) return;
    this.current = null;
    if (current.kind === 'put') this.record(current, 'timeout', null, null);
  }

  private begin(): void {
    if (this.stopped) return;
    const port = this.port;
    const kind = port.prng.chance(0.6) ? 'put' : 'get';
    this.seq += 1;
    const operationId = this.nextOperationId();
    this.current = {
      operationId,
      kind,
      key: port.prng.pick(keys),
      value: kind === 'put' ? `c${this.id}.${this.seq}` : null,
      seq: this.seq,
      invokedAt: port.now,
      attempt: 0,
      maybeApplied: false,
    };
    this.attempt();
  }

  private attempt(): void {
    const current = this.current;
    if (current === null || this.stopped) return;
    const port = this.port;
    if (port.now - current.invokedAt >= this.timing.operationDeadline) {
      this.finishFailed(current);
      return;
    }
    current.attempt += 1;
    const attempt = current.attempt;
    const onReply = (reply: Reply) => port.later(0, () => this.onReply(current, attempt, reply));
    const sent =
      current.kind === 'put'
        ? port.put(this.target, this.group, this.id, current.seq, current.key, current.value!, onReply)
        : port.get(this.target, this.group, current.key, onReply);
    if (!sent) {
      this.target = port.prng.pick(port.nodeIds);
      port.later(port.prng.between(5, 50), () => this.attempt());
      return;
    }
    if (current.kind === 'put') current.maybeApplied = true;
    port.later(this.timing.attemptTimeout, () => {
      if (this.current !== current || current.attempt !== attempt) return;
      this.target = port.prng.pick(port.nodeIds);
      this.attempt();
    });
  }

  private onReply(current: Current, attempt: number, reply: Reply): void {
    if (this.current !== current) return;
    const port = this.port;
    if (reply.kind === 'ok') {
      this.record(current, 'ok', port.now, current.kind === 'get' ? reply.value : null);
      this.current = null;
      if (current.invokedAt >= this.completedAfter) this.completedAfter = Number.NEGATIVE_INFINITY;
      port.later(port.prng.int(this.timing.thinkTime + 1), () => this.begin());
      return;
    }
    // Only the reply to the latest attempt moves the client on; older ones are superseded.
    if (attempt !== current.attempt) return;
    if (reply.kind === 'rejected' && reply.leader !== null) this.target = reply.leader;
    else this.target = port.prng.pick(port.nodeIds);
    port.later(port.prng.between(1, 30), () => this.attempt());
  }

  private finishFailed(current: Current): void {
    this.current = null;
    if (current.kind === 'put') this.record(current, current.maybeApplied ? 'timeout' : 'failed', null, null);
    this.port.later(this.port.prng.int(this.timing.thinkTime + 1), () => this.begin());
  }

  private record(
    current: Current,
    outcome: Operation['outcome'],
    completedAt: number | null,
    result: string | null,
  ): void {
    this.history.push({
      id: current.operationId,
      client: this.id,
      kind: current.kind,
      key: current.key,
      value: current.value,
      invokedAt: current.invokedAt,
      completedAt: outcome === 'ok' ? completedAt : outcome === 'failed' ? this.port.now : null,
      outcome,
      result,
    });
  }

  /** Marks the moment after which a completed operation proves the group is live again. */
  expectProgressAfter(time: number): void {
    this.completedAfter = time;
  }

  get madeProgress(): boolean {
    return this.completedAfter === Number.NEGATIVE_INFINITY;
  }
}
