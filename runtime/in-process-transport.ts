// The transport between nodes of one process: each turn's envelopes to a peer are delivered
// together on the next turn, by reference. That is safe because nothing in them is changed
// after it is sent: Raft messages and entries are immutable, commands are encoded when the
// caller makes the call, and replies and mailbox messages are copies. Nodes find each other by
// name; a node that closes is seen as down by the others.
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
  private closed = false;
  /** Envelopes dropped because their node was not there. */
  dropped = 0;
  framesSent = 0;
  envelopesSent = 0;
  /** Nothing in-process is decoded, so nothing is refused. */
  readonly rejected = 0;
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
    endpoints.delete(this.name);
    for (const other of endpoints.values()) other.events.peerDown(this.name);
  }
}
