// The transport between nodes of one process: each turn's envelopes to a peer are delivered
// together on the next turn, by reference, and so are the raft batches worker shards framed.
// That is safe because nothing in them is changed after it is sent: Raft messages and entries
// are immutable, commands are encoded when the caller makes the call, and replies and mailbox
// messages are copies. Nodes find each other by name; a node that closes is seen as down by the
// others.
import { WireError } from '../actors/index.js';
import type { Envelope } from './envelope.js';
import { badArgument } from './errors.js';
import { Outboxes } from './outboxes.js';
import type { Transport, TransportEvents } from './transport.js';

const endpoints = new Map<string, InProcessTransport>();

export class InProcessTransport implements Transport {
  private readonly outboxes = new Outboxes(
    (flush) => setImmediate(flush),
    (to, envelopes) => this.deliver(to, envelopes),
  );
  /** Framed raft batches of this turn, delivered on the next as envelopes are. */
  private framed: { readonly to: string; readonly batch: Uint8Array; readonly messages: number }[] = [];
  private closed = false;
  /** Envelopes dropped because their node was not there. */
  dropped = 0;
  framesSent = 0;
  envelopesSent = 0;
  /** Framed batches that did not read (only a defect of this process could make one). */
  rejected = 0;
  /** In-process peers need no liveness pings: a node that closes says so. */
  readonly pingsSent = 0;

  constructor(
    readonly name: string,
    private readonly events: TransportEvents,
  ) {
    if (endpoints.has(name)) throw badArgument(`a node named ${name} is already running in this process`);
    endpoints.set(name, this);
    for (const other of endpoints.values()) {
      if (other === this) continue;
      other.events.peerUp(name);
      this.events.peerUp(other.name);
    }
  }

  /** Names of the nodes reachable now. */
  peers(): string[] {
    return [...endpoints.keys()].filter((name) => name !== this.name);
  }

  /** In one process the cluster is the nodes running now. */
  cluster(): string[] {
    return this.peers();
  }

  knows(name: string): boolean {
    return endpoints.has(name);
  }

  isUp(name: string): boolean {
    return endpoints.has(name);
  }

  send(to: string, envelope: Envelope): void {
    if (!this.closed) this.outboxes.add(to, envelope);
  }

  sendFramed(to: string, batch: Uint8Array, messages: number): void {
    if (this.closed) return;
    if (this.framed.length === 0) setImmediate(() => this.deliverFramed());
    this.framed.push({ to, batch, messages });
  }

  refuse(_peer: string, _reason: string): void {
    this.rejected += 1;
  }

  private deliverFramed(): void {
    const framed = this.framed;
    this.framed = [];
    for (const { to, batch, messages } of framed) {
      const peer = endpoints.get(to);
      if (peer === undefined) {
        this.dropped += messages;
        continue;
      }
      this.framesSent += 1;
      this.envelopesSent += messages;
      try {
        peer.events.receiveFramed(this.name, batch);
      } catch (error) {
        if (!(error instanceof WireError)) throw error;
        peer.refuse(this.name, error.message);
      }
    }
  }

  private deliver(to: string, envelopes: Envelope[]): void {
    const peer = endpoints.get(to);
    if (peer === undefined) {
      this.dropped += envelopes.length;
      return;
    }
    this.framesSent += 1;
    this.envelopesSent += envelopes.length;
    peer.events.receive(this.name, envelopes);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.outboxes.clear();
    this.framed = [];
    endpoints.delete(this.name);
    for (const other of endpoints.values()) other.events.peerDown(this.name);
  }
}
