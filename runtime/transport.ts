// What a node needs from the link to its peers, whether they run in this process or over TCP:
// send an envelope to a peer by name, hear what peers send, and learn when a peer comes and goes.
import type { Outcome } from '../actors/index.js';
import type { Envelope, RemoteCall } from './envelope.js';

export interface TransportEvents {
  receive(from: string, envelopes: readonly Envelope[]): void;
  /**
   * A raft batch from `from` (actors/raft-batch.ts), as bytes; throws WireError on one that does
   * not read, which the transport treats as any malformed frame.
   */
  receiveFramed(from: string, batch: Uint8Array): void;
  peerUp(name: string): void;
  peerDown(name: string): void;
  /** A call from a client that proved the secret (`flotilla status`); `answer` replies to it. */
  clientCall?(call: RemoteCall, answer: (outcome: Outcome) => void): void;
}

export interface TransportCounters {
  /** Batches sent: one per peer per turn with something to say. */
  readonly framesSent: number;
  readonly envelopesSent: number;
  /** Envelopes not sent: no such peer, the peer down, or its send queue full. */
  readonly dropped: number;
  /** Frames received that were refused (malformed, too large, or from a peer not proven). */
  readonly rejected: number;
  /** Liveness pings sent on links with nothing else to say. */
  readonly pingsSent: number;
}

export interface Transport extends TransportCounters {
  readonly name: string;
  /** Names of the peers reachable now. */
  peers(): string[];
  /** Names of every peer of this node's cluster, reachable now or not. */
  cluster(): string[];
  /** Whether `name` is a peer of this node's cluster, reachable now or not. */
  knows(name: string): boolean;
  isUp(name: string): boolean;
  /** Queues `envelope` for `to`; envelopes of a turn go out together. */
  send(to: string, envelope: Envelope): void;
  /** Queues a raft batch a worker shard framed for `to`, of `messages` messages, to go as it is. */
  sendFramed(to: string, batch: Uint8Array, messages: number): void;
  /** `peer` sent what does not read (a framed batch its shard found malformed): as a malformed frame. */
  refuse(peer: string, reason: string): void;
  close(): void;
}
