// A scripted in-memory cluster for unit tests of the Raft core: nothing happens on its own. The
// test decides which messages arrive, when writes become durable, and when time passes. Each
// member's outputs are carried out by the runtime's CoreHost, as in production.
import { CoreHost, type HostOutput } from '../../actors/core-host.js';
import {
  bootstrapStoredMember,
  createMember,
  type Entry,
  emptyStoredMember,
  type Input,
  type Member,
  type Message,
  type NodeId,
  type Options,
  type Output,
  type PartialSnapshot,
  type StoredMember,
  type Write,
} from '../../raft/index.js';

export interface Envelope {
  readonly from: NodeId;
  readonly to: NodeId;
  readonly message: Message;
}

export type Filter = (envelope: Envelope) => boolean;
export type Sent<T extends Message['type']> = Envelope & { readonly message: Extract<Message, { type: T }> };
export type OutputOf<T extends Output['type']> = Extract<Output, { type: T }>;

/** Small timeouts so a test covers many rounds in little simulated time. */
export const testOptions: Partial<Options> = {
  electionTimeout: 100,
  heartbeatInterval: 20,
  retransmitTimeout: 40,
  transferTimeout: 200,
};

const everything: Filter = () => true;

export const electionTraffic: Filter = ({ message }) =>
  message.type === 'vote' || message.type === 'voteResponse';

/** Messages matching every field given. */
export function match(pattern: { from?: NodeId; to?: NodeId; type?: Message['type'] }): Filter {
  return ({ from, to, message }) =>
    (pattern.from === undefined || from === pattern.from) &&
    (pattern.to === undefined || to === pattern.to) &&
    (pattern.type === undefined || message.type === pattern.type);
}

export const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
export const text = (data: Uint8Array): string => new TextDecoder().decode(data);

/** What survives a crash: a write lands here once the host reports it durable. */
type Store = { -readonly [K in keyof StoredMember]: StoredMember[K] } & { entries: Entry[] };

const copy = (stored: StoredMember): Store => ({ ...stored, entries: [...stored.entries] });

function applyWrite(store: Store, write: Write): void {
  const base = store.snapshot?.index ?? 0;
  switch (write.kind) {
    case 'state':
      Object.assign(store, { term: write.term, vote: write.vote, commit: write.commit });
      return;
    case 'entries':
      if (write.from <= base || write.from - base - 1 > store.entries.length) {
        throw new Error(`entries write at ${write.from} leaves a gap after ${base + store.entries.length}`);
      }
      store.entries.length = write.from - base - 1;
      store.entries.push(...write.entries);
      return;
    case 'snapshot': {
      const index = write.snapshot.index;
      store.entries = write.keepLaterEntries ? store.entries.filter((entry) => entry.index > index) : [];
      Object.assign(store, { snapshot: write.snapshot, partial: null });
      return;
    }
    case 'chunk': {
      const { index, term, config, size, offset, data } = write;
      const partial: PartialSnapshot | null =
        offset === 0 ? { index, term, config, size, chunks: [], received: 0 } : store.partial;
      if (partial === null || partial.index !== index || partial.received !== offset) {
        throw new Error(`chunk at ${offset} does not continue the stored partial snapshot`);
      }
      store.partial = { ...partial, chunks: [...partial.chunks, data], received: offset + data.byteLength };
      return;
    }
    default: {
      const exhausted: never = write;
      throw new Error(`unknown write ${JSON.stringify(exhausted)}`);
    }
  }
}

/** A member in the cluster: its sends go on the wire, its writes wait for the test's disk. */
class HarnessMember extends CoreHost {
  constructor(
    member: Member,
    private readonly node: Node,
    private readonly wire: (envelope: Envelope) => void,
  ) {
    super(member);
  }

  stepAt(now: number, input: Input): readonly Output[] {
    return this.stepCore(now, input);
  }

  protected transmit(to: NodeId, message: Message): void {
    this.wire({ from: this.node.id, to, message });
  }

  protected write(seq: number, write: Write): void {
    this.node.pending.push({ seq, write });
  }

  // Applied entries are read back from the history of outputs; nobody waits on a command here.
  protected applyEntry(): void {}
  protected overwritten(): void {}

  protected carry(output: HostOutput): void {
    if (output.type === 'timer') this.node.timerAt = output.at;
  }
}

class Node {
  host: HarnessMember;
  store: Store;
  /** Writes handed to the disk and not yet durable. */
  pending: { readonly seq: number; readonly write: Write }[] = [];
  diskHeld = false;
  timerAt: number | null = null;
  restarts = 0;
  /** Every output of every step, across restarts. */
  readonly history: Output[] = [];

  constructor(
    readonly id: NodeId,
    readonly seed: number,
    stored: StoredMember,
    private readonly options: Partial<Options>,
    private readonly wire: (envelope: Envelope) => void,
  ) {
    this.store = copy(stored);
    this.host = this.restart(seed);
  }

  get member(): Member {
    return this.host.member;
  }

  /** A new member from what the store holds, as after a crash: nothing held or pending survives. */
  restart(seed: number): HarnessMember {
    const member = createMember({ id: this.id, stored: copy(this.store), seed, options: this.options });
    this.host = new HarnessMember(member, this, this.wire);
    return this.host;
  }
}

export class Cluster {
  now = 0;
  inFlight: Envelope[] = [];
  /** Every message put on the wire, in order (dropped ones too). */
  readonly sent: Envelope[] = [];
  private readonly nodes = new Map<NodeId, Node>();
  private blocks: Filter[] = [];
  private nextProposal = 1;

  /** A group whose founding voters are `ids`, each started from the bootstrap snapshot. */
  static create(ids: readonly NodeId[], options: Partial<Options> = {}): Cluster {
    const cluster = new Cluster({ ...testOptions, ...options });
    const stored = bootstrapStoredMember({ voters: ids, nonVoters: [], promote: [] }, bytes('initial'));
    for (const id of ids) cluster.addNode(id, stored);
    return cluster;
  }

  constructor(readonly options: Partial<Options>) {}

  /** Starts a member; a new one (empty disk) is stalled until a leader sends it a snapshot. */
  addNode(id: NodeId, stored: StoredMember = emptyStoredMember): void {
    const wire = (envelope: Envelope) => this.transmit(envelope);
    this.nodes.set(id, new Node(id, 7919 * (this.nodes.size + 1), stored, this.options, wire));
    this.input(id, { type: 'start' });
  }

  node(id: NodeId): Node {
    const node = this.nodes.get(id);
    if (node === undefined) throw new Error(`no node ${id}`);
    return node;
  }

  member(id: NodeId): Member {
    return this.node(id).member;
  }

  leaders(): NodeId[] {
    return [...this.nodes.keys()].filter((id) => this.member(id).role === 'leader');
  }

  /** Steps one member and performs its outputs; returns the outputs of that step alone. */
  input(id: NodeId, input: Input): readonly Output[] {
    const node = this.node(id);
    const outputs = node.host.stepAt(this.now, input);
    node.history.push(...outputs);
    this.flush(node);
    return outputs;
  }

  propose(id: NodeId, ...values: string[]): readonly Output[] {
    const proposals = values.map((value) => ({ id: this.nextProposal++, data: bytes(value) }));
    return this.input(id, { type: 'propose', proposals });
  }

  /** Makes `id` time out now, as if its randomized election timeout were the shortest. */
  campaign(id: NodeId): readonly Output[] {
    this.member(id).electionDeadline = this.now;
    return this.input(id, { type: 'timeout' });
  }

  /** Campaigns (a second time if the first only taught it a newer term) and delivers everything. */
  elect(id: NodeId): void {
    for (let attempt = 0; attempt < 3 && this.member(id).role !== 'leader'; attempt += 1) {
      this.campaign(id);
      this.deliverAll();
    }
    if (this.member(id).role !== 'leader') throw new Error(`${id} was not elected`);
  }

  // Network.

  /** Drops every message matching `filter` when it would be delivered; returns the undo. */
  block(filter: Filter): () => void {
    this.blocks.push(filter);
    return () => {
      this.blocks = this.blocks.filter((block) => block !== filter);
    };
  }

  isolate(id: NodeId): () => void {
    return this.block(({ from, to }) => from === id || to === id);
  }

  /** Cuts every link between members of different sides. */
  partition(...sides: readonly NodeId[][]): () => void {
    const side = (id: NodeId) => sides.findIndex((members) => members.includes(id));
    return this.block(({ from, to }) => side(from) !== side(to));
  }

  heal(): void {
    this.blocks = [];
  }

  /** Delivers the matching messages now in flight, in order; not the ones they cause. */
  deliver(filter: Filter = everything): void {
    const chosen = this.inFlight.filter(filter);
    this.drop(filter);
    for (const { from, to, message } of chosen) {
      if (!this.blocks.some((block) => block({ from, to, message }))) {
        this.input(to, { type: 'message', from, message });
      }
    }
  }

  /** Delivers matching messages, and the matching ones they cause, until none is in flight. */
  deliverAll(filter: Filter = everything): void {
    for (let round = 0; this.inFlight.some(filter); round += 1) {
      if (round > 1000) throw new Error('messages keep flowing after 1000 rounds');
      this.deliver(filter);
    }
  }

  drop(filter: Filter = everything): void {
    this.inFlight = this.inFlight.filter((envelope) => !filter(envelope));
  }

  /** Messages of `type` put on the wire (from position `since` of `sent` on) that match `filter`. */
  sentMessages<T extends Message['type']>(type: T, filter: Filter = everything, since = 0): Sent<T>[] {
    return this.sent
      .slice(since)
      .filter((envelope): envelope is Sent<T> => envelope.message.type === type && filter(envelope));
  }

  // Disk.

  /** Writes of `id` stay pending until `releaseDisk`. */
  holdDisk(id: NodeId): void {
    this.node(id).diskHeld = true;
  }

  releaseDisk(id: NodeId): void {
    this.node(id).diskHeld = false;
    this.flush(this.node(id));
  }

  /** Loses what is not durable (everything, with `wipe`) and restarts the member from its disk. */
  crash(id: NodeId, wipe = false): void {
    const node = this.node(id);
    node.pending = [];
    node.diskHeld = false;
    node.timerAt = null;
    node.restarts += 1;
    if (wipe) node.store = copy(emptyStoredMember);
    node.restart(node.seed + node.restarts);
    this.input(id, { type: 'start' });
  }

  private flush(node: Node): void {
    while (!node.diskHeld && node.pending.length > 0) {
      const writes = node.pending;
      node.pending = [];
      for (const { write } of writes) applyWrite(node.store, write);
      // Messages held for these writes go out once the member has heard they are durable.
      this.input(node.id, { type: 'durable', seq: writes[writes.length - 1]!.seq });
    }
  }

  private transmit(envelope: Envelope): void {
    this.sent.push(envelope);
    this.inFlight.push(envelope);
  }

  // Time.

  /** Moves time on by `ms`, firing timers as they fall due; messages stay in flight. */
  advance(ms: number): void {
    this.pass(this.now + ms, false, () => false);
  }

  /** Moves time on by `ms`, delivering every message at once (a network with no delay). */
  run(ms: number): void {
    this.pass(this.now + ms, true, () => false);
  }

  /** Runs until `done` holds; fails if it does not within `maxMs`. Returns the time it took. */
  runUntil(done: () => boolean, maxMs: number): number {
    const start = this.now;
    if (!this.pass(start + maxMs, true, done)) throw new Error(`condition not reached within ${maxMs} ms`);
    return this.now - start;
  }

  private pass(end: number, deliver: boolean, done: () => boolean): boolean {
    for (let fired = 0; ; fired += 1) {
      if (deliver) this.deliverAll();
      if (done()) return true;
      if (fired > 100_000) throw new Error('timers keep firing');
      let next: Node | null = null;
      for (const node of this.nodes.values()) {
        if (node.timerAt !== null && node.timerAt <= end && (next === null || node.timerAt < next.timerAt!)) {
          next = node;
        }
      }
      if (next === null) {
        this.now = end;
        return false;
      }
      this.now = Math.max(this.now, next.timerAt!);
      next.timerAt = null;
      this.input(next.id, { type: 'timeout' });
    }
  }

  // Inspection.

  outputs<T extends Output['type']>(id: NodeId, type: T, since = 0): OutputOf<T>[] {
    return this.node(id)
      .history.slice(since)
      .filter((output): output is OutputOf<T> => output.type === type);
  }

  writes(id: NodeId, since = 0): Write[] {
    return this.outputs(id, 'persist', since).map((output) => output.write);
  }

  /** The commands `id` handed to its machine, in order. */
  applied(id: NodeId): string[] {
    return this.outputs(id, 'apply')
      .flatMap((output) => output.entries)
      .filter((entry) => entry.kind === 'command')
      .map((entry) => text(entry.data));
  }
}
