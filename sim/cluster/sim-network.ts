// The simulated network between production nodes: each node process gets a Transport whose
// envelopes of a turn go out as one batch, delivered after a drawn latency, in order per link
// (as over one TCP connection), unless the link is cut or the receiver is not running then. A
// node hears a peer go down when it crashes or a cut separates them, and up again when both run
// and can reach each other: the failure detector's news, after a drawn delay.
import { type Envelope, raftEnvelopes } from '../../runtime/envelope.js';
import { Outboxes } from '../../runtime/outboxes.js';
import type { Transport, TransportEvents } from '../../runtime/transport.js';
import type { Prng } from '../prng.js';
import type { VirtualTime } from './virtual-time.js';

export interface NetworkTiming {
  /** One-way latency of a batch, in ms. */
  latency(): number;
  /** How long a failure detector takes to tell, in ms. */
  detection(): number;
}

/** How long after a paused process wakes its peers' data reaches it, in ms. */
const wakeLag = 1;

export class SimNetwork {
  private readonly endpoints = new Map<string, SimTransport>();
  /** Links cut one way, as `from>to`. */
  private readonly cuts = new Set<string>();
  /** When the last batch on each link arrives: later batches never overtake it. */
  private readonly arrivals = new Map<string, number>();
  /** Batches delivered and dropped, for coverage and the trace. */
  delivered = 0;
  dropped = 0;
  /** Processes paused long enough that their peers' failure detectors gave them up. */
  private readonly silent = new Set<string>();
  /** Connections closed while one end slept, as `sleeper>peer`: it hears of them when it wakes. */
  private readonly closedAsleep = new Set<string>();
  /** Deliveries waiting for a paused receiver to wake, per link, in order. */
  private readonly held = new Map<string, (() => void)[]>();
  /** Until when a node's process is paused: what arrives meanwhile waits, in order, until it wakes. */
  pausedUntil: (name: string) => number = () => 0;

  constructor(
    /** Every node of the cluster. */
    readonly names: readonly string[],
    private readonly time: VirtualTime,
    readonly prng: Prng,
    private readonly timing: NetworkTiming,
    /** Each delivery, for the run's trace. */
    private readonly trace: (from: string, to: string, envelopes: readonly Envelope[]) => void,
  ) {}

  /** The transport of a node process starting now; its peers hear it is up. */
  attach(name: string, events: TransportEvents): Transport {
    const transport = new SimTransport(this, name, events, this.names);
    this.endpoints.set(name, transport);
    this.refresh();
    return transport;
  }

  /** The node process stopped (crashed or closed): its peers hear it is down. */
  detach(name: string): void {
    this.endpoints.delete(name);
    this.silent.delete(name);
    for (const link of [...this.closedAsleep])
      if (link.startsWith(`${name}>`)) this.closedAsleep.delete(link);
    this.refresh();
  }

  cut(from: string, to: string): void {
    this.cuts.add(`${from}>${to}`);
    this.refresh();
  }

  /** Puts back the link `from` to `to`. */
  restore(from: string, to: string): void {
    this.cuts.delete(`${from}>${to}`);
    this.refresh();
  }

  /** Cuts every link between `side` and `rest`, both ways; returns what puts them back. */
  separate(side: readonly string[], rest: readonly string[]): () => void {
    const links = side.flatMap((one) =>
      rest.flatMap((other) => [[one, other] as const, [other, one] as const]),
    );
    for (const [from, to] of links) this.cut(from, to);
    return () => {
      for (const [from, to] of links) this.restore(from, to);
    };
  }

  heal(): void {
    this.cuts.clear();
    this.refresh();
  }

  reaches(from: string, to: string): boolean {
    return (
      this.endpoints.has(from) &&
      this.endpoints.has(to) &&
      !this.cuts.has(`${from}>${to}`) &&
      !this.silent.has(from) &&
      !this.silent.has(to)
    );
  }

  /** Node `name`'s process has been paused past its peers' patience: they give it up. */
  silence(name: string): void {
    this.silent.add(name);
    this.refresh();
  }

  /** Node `name`'s process woke: it hears what changed while it slept, and its peers hear it again. */
  woke(name: string): void {
    this.silent.delete(name);
    for (const link of [...this.closedAsleep]) {
      const [sleeper, peer] = link.split('>') as [string, string];
      if (sleeper !== name) continue;
      this.closedAsleep.delete(link);
      this.endpoints.get(name)?.learn(peer, false, undefined);
    }
    this.refresh();
  }

  send(from: string, to: string, envelopes: Envelope[]): void {
    const link = `${from}>${to}`;
    const at = Math.max(this.time.now + this.timing.latency(), this.arrivals.get(link) ?? 0);
    this.arrivals.set(link, at);
    const sender = this.endpoints.get(from);
    const deliver = () => {
      // A process that wakes handles its clients' requests and its own timers before the data
      // waiting from its peers: the turn in which a deposed leader may still believe it leads.
      // Batches held for a paused receiver stay in order with those that come after them.
      const held = this.held.get(link);
      if (held !== undefined) {
        held.push(deliver);
        return;
      }
      const wake = this.pausedUntil(to);
      if (wake > this.time.now) {
        this.held.set(link, [deliver]);
        this.time.at(wake + wakeLag, () => {
          const batches = this.held.get(link) ?? [];
          this.held.delete(link);
          for (const batch of batches) batch();
        });
        return;
      }
      const receiver = this.endpoints.get(to);
      // A batch from a process that has since restarted is from a connection that closed.
      // Data arrives only over a connection both ends hold open: once the receiver's failure
      // detector has given the sender up, its connection is closed and what was on it is lost.
      if (
        receiver === undefined ||
        sender === undefined ||
        this.endpoints.get(from) !== sender ||
        !this.reaches(from, to) ||
        !receiver.connectedTo(from, sender)
      ) {
        this.dropped += 1;
        return;
      }
      this.delivered += 1;
      this.trace(from, to, envelopes);
      receiver.receive(from, envelopes);
    };
    this.time.at(at, deliver);
  }

  /**
   * Tells the running nodes, after a detection delay, which peers they can reach now: both ends
   * of a link at the same moment, as both ends of a connection see it open or fail.
   */
  private refresh(): void {
    const all = [...this.names].sort();
    for (const [position, one] of all.entries()) {
      for (const other of all.slice(position + 1)) {
        const up = this.linked(one, other);
        const ends = [this.endpoints.get(one), this.endpoints.get(other)];
        this.time.at(this.time.now + this.timing.detection(), () => {
          if (this.linked(one, other) !== up) return;
          const current = [this.endpoints.get(one) === ends[0], this.endpoints.get(other) === ends[1]];
          // A connection is made between two processes: news of one with a process since gone is stale
          // (the change that replaced it brought news of its own).
          if (up && !(current[0] && current[1])) return;
          // A paused process learns nothing until it wakes (woke() brings it the news then).
          this.tell(one, ends[0], current[0], other, up, ends[1]);
          this.tell(other, ends[1], current[1], one, up, ends[0]);
        });
      }
    }
  }

  /**
   * Brings `name`'s end the news of its link to `peer`. A process asleep when the link closes
   * finds the connection closed when it wakes, even if a new one is open by then: its calls
   * waiting on that peer are lost with it, as over TCP.
   */
  private tell(
    name: string,
    end: SimTransport | undefined,
    current: boolean | undefined,
    peer: string,
    up: boolean,
    process: SimTransport | undefined,
  ): void {
    if (end === undefined || !current) return;
    if (!this.asleep(name)) end.learn(peer, up, process);
    else if (!up) this.closedAsleep.add(`${name}>${peer}`);
  }

  private asleep(name: string): boolean {
    return this.pausedUntil(name) > this.time.now;
  }

  private linked(one: string, other: string): boolean {
    return this.reaches(one, other) && this.reaches(other, one);
  }
}

class SimTransport implements Transport {
  /** The peers up, and the process of each this end is connected to. */
  private readonly up = new Map<string, SimTransport>();
  // The batch of a turn goes out once the turn is over, as the real transports do.
  private readonly outboxes = new Outboxes(queueMicrotask, (to, envelopes) => {
    this.framesSent += 1;
    this.envelopesSent += envelopes.length;
    this.network.send(this.name, to, envelopes);
  });
  private closed = false;
  framesSent = 0;
  envelopesSent = 0;
  dropped = 0;
  rejected = 0;
  readonly pingsSent = 0;

  constructor(
    private readonly network: SimNetwork,
    readonly name: string,
    private readonly events: TransportEvents,
    /** Every node of the cluster, this one included. */
    readonly names: readonly string[],
  ) {}

  peers(): string[] {
    return [...this.up.keys()].sort();
  }

  cluster(): string[] {
    return this.names.filter((name) => name !== this.name);
  }

  knows(name: string): boolean {
    return name !== this.name && this.names.includes(name);
  }

  isUp(name: string): boolean {
    return this.up.has(name);
  }

  send(to: string, envelope: Envelope): void {
    if (this.closed) return;
    if (!this.up.has(to)) {
      this.dropped += 1;
      return;
    }
    this.outboxes.add(to, envelope);
  }

  /**
   * Simulated nodes run inline shards, which frame nothing; a batch still goes, as the envelopes
   * it holds, so that nothing a node sends bypasses the network's faults.
   */
  sendFramed(to: string, batch: Uint8Array): void {
    for (const envelope of raftEnvelopes(batch)) this.send(to, envelope);
  }

  /** No connection to close: counted, as a real transport counts a refused frame. */
  refuse(): void {
    this.rejected += 1;
  }

  /** Whether this end holds a connection open to `peer`'s process `process`. */
  connectedTo(peer: string, process: SimTransport): boolean {
    return this.up.get(peer) === process;
  }

  receive(from: string, envelopes: readonly Envelope[]): void {
    if (!this.closed) this.events.receive(from, envelopes);
  }

  /**
   * The failure detector's news of `peer`, whose process is `process` now. A peer that restarted
   * since this end last connected to it was down in between, as a closed connection says, even
   * when the news of its crash came too late to tell.
   */
  learn(peer: string, up: boolean, process: SimTransport | undefined): void {
    if (this.closed) return;
    const known = this.up.get(peer);
    if (!up || (known !== undefined && known !== process)) {
      if (known === undefined) return;
      this.up.delete(peer);
      this.events.peerDown(peer);
    }
    if (up && process !== undefined && !this.up.has(peer)) {
      this.up.set(peer, process);
      this.events.peerUp(peer);
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.outboxes.clear();
    this.network.detach(this.name);
  }
}
