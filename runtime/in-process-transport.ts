// The transport between nodes of one process: each turn's envelopes to a peer are encoded once
// (as the TCP transport will frame them) and delivered on the next turn. Nodes find each other
// by name; a node that closes is seen as down by the others.
import { Packr } from 'msgpackr';
import type { Envelope } from './envelope.js';

const packr = new Packr({ useRecords: false, moreTypes: true });

export interface TransportEvents {
  receive(from: string, envelopes: readonly Envelope[]): void;
  peerUp(name: string): void;
  peerDown(name: string): void;
}

const endpoints = new Map<string, InProcessTransport>();

export class InProcessTransport {
  private readonly outboxes = new Map<string, Envelope[]>();
  private flushing = false;
  private closed = false;
  /** Envelopes dropped because their node was not there. */
  dropped = 0;
  framesSent = 0;
  envelopesSent = 0;

  constructor(
    readonly name: string,
    private readonly events: TransportEvents,
  ) {
    if (endpoints.has(name)) throw new Error(`a node named ${name} is already running in this process`);
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

  isUp(name: string): boolean {
    return endpoints.has(name);
  }

  send(to: string, envelope: Envelope): void {
    if (this.closed) return;
    let outbox = this.outboxes.get(to);
    if (outbox === undefined) {
      outbox = [];
      this.outboxes.set(to, outbox);
    }
    outbox.push(envelope);
    if (!this.flushing) {
      this.flushing = true;
      setImmediate(() => this.flush());
    }
  }

  private flush(): void {
    this.flushing = false;
    for (const [to, envelopes] of this.outboxes) {
      const peer = endpoints.get(to);
      if (peer === undefined) {
        this.dropped += envelopes.length;
        continue;
      }
      const frame = packr.pack(envelopes);
      this.framesSent += 1;
      this.envelopesSent += envelopes.length;
      peer.events.receive(this.name, packr.unpack(frame) as Envelope[]);
    }
    this.outboxes.clear();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.outboxes.clear();
    endpoints.delete(this.name);
    for (const other of endpoints.values()) other.events.peerDown(this.name);
  }
}
