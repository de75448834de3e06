// One socket to one peer: the handshake first, then batches of envelopes and of raft messages
// both ways. Until both sides have proven the secret, any frame but the next
// handshake frame closes the socket, and nothing read reaches a group. A frame that breaks the
// format closes the socket too: the dialing side reconnects, and nothing of the bad frame is kept.
import type { Socket } from 'node:net';
import type { Envelope } from '../envelope.js';
import {
  encodeFrame,
  type Frame,
  FrameError,
  FrameReader,
  FrameType,
  type FrameTypeCode,
  frameHeader,
} from './frames.js';
import { decodeHello, encodeHello, freshNonce, proofHolds, proofOf, type Role } from './handshake.js';
import { decodeBatch, WireError } from './wire.js';

export interface ConnectionEvents {
  /** Both sides proved the secret; `peer` is the name the other side gave. */
  /** `process` is the peer's process as its hello names it (null if it does not). */
  authenticated(connection: Connection, peer: string, client: boolean, process: string | null): void;
  receive(connection: Connection, envelopes: Envelope[]): void;
  /** A raft batch from the peer; may throw WireError on one that does not read. */
  receiveFramed(connection: Connection, batch: Buffer): void;
  /** A frame was refused: `unauthorized` when the peer failed the handshake. */
  rejected(connection: Connection, reason: string, unauthorized: boolean): void;
  closed(connection: Connection): void;
}

export interface ConnectionSettings {
  readonly node: string;
  readonly secret: string;
  readonly maxFrameBytes: number;
  /** For a listener: whether a node of this name may connect (any client may try). */
  readonly accepts: (peer: string) => boolean;
  /** Whether this side is a client rather than a node. */
  readonly client: boolean;
  /** For a dialer: the node it dialed, which must be who answers. */
  readonly expected: string | null;
  /** This node's process, named in its hello. */
  readonly process?: string;
}

type Stage = 'hello' | 'proof' | 'open' | 'closed';

const noBytes = new Uint8Array(0);

/** Handshake frames are a few dozen bytes: a stranger cannot make this side buffer more. */
const handshakeFrameBytes = 1024;

export class Connection {
  private stage: Stage = 'hello';
  private readonly reader: FrameReader;
  private readonly nonce = freshNonce();
  private peerHello: {
    readonly node: string;
    readonly nonce: Buffer;
    readonly client: boolean;
    readonly process: string | null;
  } | null = null;
  /** When the last frame arrived, for the failure detector. */
  lastHeard = Date.now();
  lastSent = Date.now();

  constructor(
    readonly socket: Socket,
    readonly role: Role,
    private readonly settings: ConnectionSettings,
    private readonly events: ConnectionEvents,
  ) {
    this.reader = new FrameReader(handshakeFrameBytes);
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.received(chunk));
    socket.on('error', () => this.close());
    socket.on('close', () => this.close());
    this.write(FrameType.hello, encodeHello(settings.node, this.nonce, settings.client, settings.process));
  }

  get open(): boolean {
    return this.stage === 'open';
  }

  get peer(): string | null {
    return this.stage === 'open' ? this.peerHello!.node : null;
  }

  /** Bytes written and not yet taken by the kernel: what backpressure is measured by. */
  get pendingBytes(): number {
    return this.socket.writableLength;
  }

  /** Writes a frame; false when the socket asks the writer to wait for 'drain'. */
  write(type: FrameTypeCode, payload: Uint8Array): boolean {
    if (this.stage === 'closed') return false;
    this.lastSent = Date.now();
    return this.socket.write(encodeFrame(type, payload));
  }

  /** Writes a frame whose payload the caller gives away: it goes to the socket as it is, not copied. */
  writeOwned(type: FrameTypeCode, payload: Uint8Array): boolean {
    if (this.stage === 'closed') return false;
    this.lastSent = Date.now();
    this.socket.write(frameHeader(type, payload.byteLength));
    return this.socket.write(payload);
  }

  close(): void {
    if (this.stage === 'closed') return;
    this.stage = 'closed';
    this.socket.destroy();
    this.events.closed(this);
  }

  private received(chunk: Buffer): void {
    if (this.stage === 'closed') return;
    this.lastHeard = Date.now();
    let frames: Frame[];
    try {
      frames = this.reader.push(chunk);
    } catch (error) {
      if (!(error instanceof FrameError)) throw error;
      this.refuse(error.message, this.stage !== 'open');
      return;
    }
    for (const frame of frames) {
      // A frame may have closed the connection: the rest of the chunk is not read.
      if ((this.stage as Stage) === 'closed') return;
      this.handle(frame);
    }
  }

  private handle(frame: Frame): void {
    switch (this.stage) {
      case 'hello':
        this.handleHello(frame);
        return;
      case 'proof':
        this.handleProof(frame);
        return;
      case 'open':
        if (frame.type === FrameType.ping) return;
        if (frame.type !== FrameType.batch && frame.type !== FrameType.raft) {
          this.refuse(`a frame of type ${frame.type} after the handshake`, false);
          return;
        }
        try {
          if (frame.type === FrameType.raft) this.events.receiveFramed(this, frame.payload);
          else this.events.receive(this, decodeBatch(frame.payload));
        } catch (error) {
          if (!(error instanceof WireError)) throw error;
          this.refuse(error.message, false);
        }
        return;
      case 'closed':
        return;
    }
  }

  private handleHello(frame: Frame): void {
    if (frame.type !== FrameType.hello) {
      this.refuse(`a frame of type ${frame.type} before the handshake`, true);
      return;
    }
    const hello = decodeHello(frame.payload);
    if (typeof hello === 'string') {
      this.refuse(hello, true);
      return;
    }
    const { expected, accepts, node } = this.settings;
    const allowed = hello.client ? this.role === 'listener' : hello.node !== node && accepts(hello.node);
    if (!allowed || (expected !== null && hello.node !== expected)) {
      this.refuse(`a hello from ${hello.node}, not a peer this node connects with here`, true);
      return;
    }
    this.peerHello = { node: hello.node, nonce: hello.nonce, client: hello.client, process: hello.process };
    this.stage = 'proof';
    this.write(
      FrameType.proof,
      proofOf(this.settings.secret, this.role, { node, nonce: this.nonce }, this.peerHello),
    );
  }

  private handleProof(frame: Frame): void {
    const peer = this.peerHello!;
    const peerRole: Role = this.role === 'dialer' ? 'listener' : 'dialer';
    const own = { node: this.settings.node, nonce: this.nonce };
    if (
      frame.type !== FrameType.proof ||
      !proofHolds(this.settings.secret, peerRole, peer, own, frame.payload)
    ) {
      this.refuse(`${peer.node} did not prove the cluster secret`, true);
      return;
    }
    this.stage = 'open';
    this.reader.maxFrameBytes = this.settings.maxFrameBytes;
    // The peer learns at once that its proof was accepted, not at the next heartbeat.
    this.write(FrameType.ping, noBytes);
    this.events.authenticated(this, peer.node, peer.client, peer.process);
  }

  private refuse(reason: string, unauthorized: boolean): void {
    this.events.rejected(this, reason, unauthorized);
    this.close();
  }
}
