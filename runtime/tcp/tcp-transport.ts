// The transport between node processes: one TCP (or TLS) connection per pair of nodes, dialed
// by the node whose name sorts first, so a pair never holds two. Each turn's calls and results
// to a peer go out as one frame, its raft messages as raft batches (the ones its worker shards
// framed as they are). Liveness is per pair, not per group: a peer that has sent nothing for
// `downAfterMs` is down, and a link with nothing to say sends one ping per interval.
import { randomBytes } from 'node:crypto';
import {
  createServer as createTcpServer,
  isIP,
  type Server,
  type Socket,
  connect as tcpConnect,
} from 'node:net';
import { createServer as createTlsServer, connect as tlsConnect } from 'node:tls';
import { decodeRaftBatch, encodeRaftBatch } from '../../actors/index.js';
import type { Envelope } from '../envelope.js';
import type { Transport, TransportEvents } from '../transport.js';
import { Connection, type ConnectionEvents } from './connection.js';
import { FrameType } from './frames.js';
import type { Role } from './handshake.js';
import { encodeBatch } from './wire.js';

export interface TcpTransportOptions {
  readonly name: string;
  /** host:port this node listens on. */
  readonly listen: string;
  /** The other nodes, by name: host:port. */
  readonly peers: Readonly<Record<string, string>>;
  readonly secret: string;
  /** Given, every connection is mutual TLS: each side checks the other's certificate. */
  readonly tls?: TlsSettings;
  readonly maxFrameBytes?: number;
  /** Bytes a peer's socket may hold unsent before envelopes for it are dropped. */
  readonly maxQueueBytes?: number;
  /** How often a quiet link says it is alive. */
  readonly heartbeatMs?: number;
  /** Silence after which a peer is down. */
  readonly downAfterMs?: number;
  /** A peer that has not finished the handshake by then is disconnected. */
  readonly handshakeMs?: number;
  /** Where refused connections (a failed handshake, a malformed frame) and unsendable envelopes are reported. */
  readonly log?: (kind: 'UNAUTHORIZED' | 'MALFORMED' | 'UNENCODABLE', line: string) => void;
}

/** PEM key and certificate of this node, and the CA that issued every node's certificate. */
export interface TlsSettings {
  readonly key: string | Buffer;
  readonly cert: string | Buffer;
  readonly ca: string | Buffer | readonly (string | Buffer)[];
  /** The name peers' certificates are issued for; by default the host of the peer's address. */
  readonly servername?: string;
}

/** A socket to `address` (host:port): TCP, or TLS checking the other side's certificate. */
export function dialSocket(address: string, tls: TlsSettings | undefined): Socket {
  const { host, port } = parseAddress(address);
  if (tls === undefined) return tcpConnect({ host, port });
  return tlsConnect({
    key: tls.key,
    cert: tls.cert,
    ca: tls.ca as string[],
    host,
    port,
    ...serverName(tls, host),
    rejectUnauthorized: true,
  });
}

/**
 * The name a dialer checks the peer's certificate for: the one configured, or the host dialed
 * when it is a name. An IP address is checked against the certificate's IP entries without
 * one (and TLS forbids sending an address as a server name).
 */
function serverName(tls: TlsSettings, host: string): { servername?: string } {
  if (tls.servername !== undefined) return { servername: tls.servername };
  return isIP(host) === 0 ? { servername: host } : {};
}

export const tcpDefaults = {
  maxFrameBytes: 64 * 1024 * 1024,
  maxQueueBytes: 64 * 1024 * 1024,
  heartbeatMs: 100,
  downAfterMs: 1000,
  handshakeMs: 5000,
} as const;

/** Envelopes per frame at most: a turn's batch for a busy peer goes out in a few frames. */
const envelopesPerFrame = 4096;
const minBackoffMs = 50;
const maxBackoffMs = 2000;

export function parseAddress(address: string): { readonly host: string; readonly port: number } {
  const colon = address.lastIndexOf(':');
  const port = Number(address.slice(colon + 1));
  const host = address.slice(0, colon).replace(/^\[(.*)\]$/, '$1');
  if (colon <= 0 || !Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`${address} is not host:port`);
  return { host, port };
}

interface PeerLink {
  readonly name: string;
  readonly address: string;
  connection: Connection | null;
  /** A connection that has not yet proven itself: the dialer's attempt in flight. */
  dialing: Connection | null;
  up: boolean;
  /** The peer's process as its last hello named it. */
  process: string | null;
  outbox: Envelope[];
  /** This node's own raft messages for the peer this turn (inline shards), flat: group, from, message. */
  raft: unknown[];
  /** Raft batches worker shards framed for the peer this turn, and how many messages they hold. */
  framed: Uint8Array[];
  framedMessages: number;
  backoffMs: number;
  retry: NodeJS.Timeout | null;
}

export class TcpTransport implements Transport {
  readonly name: string;
  /** This process, named in every hello: peers tell a restart from a reconnect by it. */
  private readonly process = randomBytes(8).toString('hex');
  framesSent = 0;
  envelopesSent = 0;
  dropped = 0;
  rejected = 0;
  pingsSent = 0;
  private readonly links = new Map<string, PeerLink>();
  private readonly pendingAccepts = new Set<Connection>();
  /** Connections of clients that proved the secret: they may ask, not take part. */
  private readonly clients = new Set<Connection>();
  private readonly settings: Required<Omit<TcpTransportOptions, 'tls' | 'log'>>;
  private server: Server | null = null;
  private liveness: NodeJS.Timeout | null = null;
  private flushing = false;
  private closed = false;
  private readonly connectionEvents: ConnectionEvents;

  constructor(
    private readonly options: TcpTransportOptions,
    private readonly events: TransportEvents,
  ) {
    this.name = options.name;
    this.settings = { ...tcpDefaults, ...options };
    for (const [name, address] of Object.entries(options.peers)) {
      if (name === options.name) continue;
      parseAddress(address);
      this.links.set(name, {
        name,
        address,
        connection: null,
        dialing: null,
        up: false,
        process: null,
        outbox: [],
        raft: [],
        framed: [],
        framedMessages: 0,
        backoffMs: minBackoffMs,
        retry: null,
      });
    }
    this.connectionEvents = {
      authenticated: (connection, peer, client, process) =>
        this.authenticated(connection, peer, client, process),
      receive: (connection, envelopes) => {
        if (this.clients.has(connection)) {
          this.clientAsked(connection, envelopes);
          return;
        }
        const peer = connection.peer;
        if (peer !== null && this.links.get(peer)?.connection === connection)
          this.events.receive(peer, envelopes);
      },
      receiveFramed: (connection, batch) => {
        if (this.clients.has(connection)) {
          this.connectionEvents.rejected(connection, 'a client sent a raft batch', false);
          connection.close();
          return;
        }
        const peer = connection.peer;
        if (peer !== null && this.links.get(peer)?.connection === connection)
          this.events.receiveFramed(peer, batch);
      },
      rejected: (connection, reason, unauthorized) => {
        this.rejected += 1;
        const from = `${connection.socket.remoteAddress ?? '?'}:${connection.socket.remotePort ?? '?'}`;
        this.options.log?.(unauthorized ? 'UNAUTHORIZED' : 'MALFORMED', `connection from ${from}: ${reason}`);
      },
      closed: (connection) => this.closedConnection(connection),
    };
  }

  /** Starts listening and dialing; resolves once the listening socket is bound. */
  async start(): Promise<void> {
    const { host, port } = parseAddress(this.options.listen);
    const onSocket = (socket: Socket) => this.accepted(socket);
    const tls = this.options.tls;
    const server = tls
      ? createTlsServer(
          {
            key: tls.key,
            cert: tls.cert,
            ca: tls.ca as string[],
            requestCert: true,
            rejectUnauthorized: true,
          },
          onSocket,
        )
      : createTcpServer(onSocket);
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    for (const link of this.links.values()) if (this.dials(link)) this.dial(link);
    this.liveness = setInterval(() => this.checkLiveness(), this.settings.heartbeatMs);
  }

  /** The port bound: the one asked for, or the one the system chose for port 0. */
  get port(): number {
    const address = this.server?.address();
    return typeof address === 'object' && address !== null ? address.port : 0;
  }

  peers(): string[] {
    return [...this.links.values()].filter((link) => link.up).map((link) => link.name);
  }

  cluster(): string[] {
    return [...this.links.keys()].sort();
  }

  knows(name: string): boolean {
    return this.links.has(name);
  }

  isUp(name: string): boolean {
    return this.links.get(name)?.up ?? false;
  }

  send(to: string, envelope: Envelope): void {
    const link = this.sendable(to, 1);
    if (link === null) return;
    // Raft messages go in a raft batch (actors/raft-batch.ts), which costs a fraction of msgpack.
    if (envelope.kind === 'raft') link.raft.push(envelope.group, envelope.from, envelope.message);
    else link.outbox.push(envelope);
    this.flushLater();
  }

  sendFramed(to: string, batch: Uint8Array, messages: number): void {
    const link = this.sendable(to, messages);
    if (link === null) return;
    if (1 + batch.byteLength > this.settings.maxFrameBytes) {
      // Past what the peer takes in one frame: its messages go with this node's own, in batches that fit.
      for (const item of decodeRaftBatch(batch)) link.raft.push(item);
    } else {
      link.framed.push(batch);
      link.framedMessages += messages;
    }
    this.flushLater();
  }

  refuse(peer: string, reason: string): void {
    const connection = this.links.get(peer)?.connection;
    if (connection === null || connection === undefined) return;
    this.connectionEvents.rejected(connection, reason, false);
    connection.close();
  }

  /** The link to `to` if `count` messages may be queued for it now; if not, they are dropped. */
  private sendable(to: string, count: number): PeerLink | null {
    if (this.closed) return null;
    const link = this.links.get(to);
    if (link === undefined || !link.up || link.connection === null) {
      this.dropped += count;
      return null;
    }
    if (link.connection.pendingBytes > this.settings.maxQueueBytes) {
      // The peer is not keeping up: what is lost here is lost as on a bad network, and Raft
      // resends it; a call's caller times out.
      this.dropped += count;
      return null;
    }
    return link;
  }

  private flushLater(): void {
    if (!this.flushing) {
      this.flushing = true;
      setImmediate(() => this.flush());
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.liveness !== null) clearInterval(this.liveness);
    this.server?.close();
    for (const connection of [...this.pendingAccepts, ...this.clients]) connection.close();
    for (const link of this.links.values()) {
      if (link.retry !== null) clearTimeout(link.retry);
      link.dialing?.close();
      link.connection?.close();
      this.clearQueued(link);
    }
  }

  private clearQueued(link: PeerLink): void {
    link.outbox = [];
    link.raft = [];
    link.framed = [];
    link.framedMessages = 0;
  }

  private flush(): void {
    this.flushing = false;
    for (const link of this.links.values()) {
      if (link.outbox.length === 0 && link.raft.length === 0 && link.framed.length === 0) continue;
      const { outbox: envelopes, raft, framed, framedMessages } = link;
      this.clearQueued(link);
      const connection = link.connection;
      if (connection === null || !link.up) {
        this.dropped += envelopes.length + raft.length / 3 + framedMessages;
        continue;
      }
      connection.socket.cork();
      for (const batch of framed) connection.writeOwned(FrameType.raft, batch);
      this.framesSent += framed.length;
      this.envelopesSent += framedMessages;
      const perBatch = 3 * envelopesPerFrame;
      for (let start = 0; start < raft.length; start += perBatch)
        this.sendRaft(connection, raft.length <= perBatch ? raft : raft.slice(start, start + perBatch));
      for (let start = 0; start < envelopes.length; start += envelopesPerFrame) {
        const part =
          envelopes.length <= envelopesPerFrame
            ? envelopes
            : envelopes.slice(start, start + envelopesPerFrame);
        this.sendBatch(connection, part);
      }
      connection.socket.uncork();
    }
  }

  /**
   * Sends `envelopes` as one frame, or, when that frame would pass the frame limit (which the
   * peer would refuse by closing the connection), as halves. An envelope too large for a frame
   * on its own is dropped and counted, as a lost message: Raft's appends and snapshot chunks are
   * bounded well below the limit, so only an oversized call or reply can be. An envelope that
   * cannot be encoded at all (what a machine returns is checked before it gets here, so this is
   * a defence, not a path) is dropped the same way, alone, and reported.
   */
  private sendBatch(connection: Connection, envelopes: readonly Envelope[]): void {
    let payload: Buffer | null = null;
    try {
      payload = encodeBatch(envelopes);
    } catch (error) {
      if (envelopes.length === 1)
        this.options.log?.(
          'UNENCODABLE',
          `an envelope to ${connection.peer ?? 'a peer'} could not be encoded: ${String(error)}`,
        );
    }
    if (payload !== null && 1 + payload.byteLength <= this.settings.maxFrameBytes) {
      connection.write(FrameType.batch, payload);
      this.framesSent += 1;
      this.envelopesSent += envelopes.length;
    } else if (envelopes.length === 1) {
      this.dropped += 1;
    } else {
      const half = envelopes.length >> 1;
      this.sendBatch(connection, envelopes.slice(0, half));
      this.sendBatch(connection, envelopes.slice(half));
    }
  }

  /**
   * Raft messages (`flat`: group, from, message) as one raft batch of shard 0 of 0, which no
   * peer's shard takes as it came (no shard framed it); as halves when that batch would pass the
   * frame limit, which the peer would refuse by closing the connection. A message too large for
   * a frame on its own is dropped and counted, as sendBatch drops an envelope: Raft's appends and
   * snapshot chunks are bounded well below the limit.
   */
  private sendRaft(connection: Connection, flat: readonly unknown[]): void {
    const batch = encodeRaftBatch(0, 0, flat);
    const messages = flat.length / 3;
    if (1 + batch.byteLength <= this.settings.maxFrameBytes) {
      connection.writeOwned(FrameType.raft, batch);
      this.framesSent += 1;
      this.envelopesSent += messages;
    } else if (messages === 1) {
      this.dropped += 1;
    } else {
      const half = 3 * (messages >> 1);
      this.sendRaft(connection, flat.slice(0, half));
      this.sendRaft(connection, flat.slice(half));
    }
  }

  /** A client's calls: each answered on its connection; anything but a call closes it. */
  private clientAsked(connection: Connection, envelopes: readonly Envelope[]): void {
    for (const envelope of envelopes) {
      if (envelope.kind !== 'call' || this.events.clientCall === undefined) {
        this.connectionEvents.rejected(connection, `a client sent a ${envelope.kind} envelope`, false);
        connection.close();
        return;
      }
      const { id } = envelope;
      this.events.clientCall(envelope.call, (outcome) =>
        connection.write(FrameType.batch, encodeBatch([{ kind: 'result', id, outcome }])),
      );
    }
  }

  /** The node whose name sorts first dials: one connection per pair. */
  private dials(link: PeerLink): boolean {
    return this.name < link.name;
  }

  private dial(link: PeerLink): void {
    if (this.closed || link.dialing !== null || link.connection !== null) return;
    const connection = this.connect(dialSocket(link.address, this.options.tls), 'dialer', link.name);
    link.dialing = connection;
  }

  private accepted(socket: Socket): void {
    if (this.closed) {
      socket.destroy();
      return;
    }
    this.pendingAccepts.add(this.connect(socket, 'listener', null));
  }

  private connect(socket: Socket, role: Role, expected: string | null): Connection {
    const connection = new Connection(
      socket,
      role,
      {
        node: this.name,
        secret: this.options.secret,
        maxFrameBytes: this.settings.maxFrameBytes,
        client: false,
        expected,
        process: this.process,
        accepts: (peer) => {
          const link = this.links.get(peer);
          return link !== undefined && (role === 'dialer' || !this.dials(link));
        },
      },
      this.connectionEvents,
    );
    const deadline = setTimeout(() => {
      if (!connection.open) {
        this.connectionEvents.rejected(connection, 'no handshake in time', true);
        connection.close();
      }
    }, this.settings.handshakeMs);
    deadline.unref();
    socket.once('close', () => clearTimeout(deadline));
    return connection;
  }

  private authenticated(connection: Connection, peer: string, client: boolean, process: string | null): void {
    this.pendingAccepts.delete(connection);
    if (client) {
      this.clients.add(connection);
      return;
    }
    const link = this.links.get(peer)!;
    if (link.dialing === connection) link.dialing = null;
    // A peer that reconnects replaces its old connection, which may not have noticed it is dead.
    const old = link.connection;
    link.connection = connection;
    link.backoffMs = minBackoffMs;
    if (old !== null && old !== connection) old.close();
    // A new process of the peer: its old one is gone, even if no connection was seen to close
    // (a quiet follower of a member there would wait on it for ever), so it was down meanwhile.
    const restarted = process !== null && link.process !== null && process !== link.process;
    link.process = process;
    if (link.up && restarted) {
      link.up = false;
      this.events.peerDown(peer);
    }
    if (!link.up) {
      link.up = true;
      this.events.peerUp(peer);
    }
  }

  private closedConnection(connection: Connection): void {
    this.pendingAccepts.delete(connection);
    this.clients.delete(connection);
    for (const link of this.links.values()) {
      if (link.dialing === connection) {
        link.dialing = null;
        this.scheduleDial(link);
      }
      if (link.connection !== connection) continue;
      link.connection = null;
      this.clearQueued(link);
      if (link.up) {
        link.up = false;
        this.events.peerDown(link.name);
      }
      if (this.dials(link)) this.scheduleDial(link);
    }
  }

  /** Dials again after a backoff that doubles up to a cap, with jitter so peers do not align. */
  private scheduleDial(link: PeerLink): void {
    if (this.closed || link.retry !== null || !this.dials(link)) return;
    const delay = link.backoffMs * (0.5 + Math.random());
    link.backoffMs = Math.min(maxBackoffMs, link.backoffMs * 2);
    link.retry = setTimeout(() => {
      link.retry = null;
      this.dial(link);
    }, delay);
  }

  /** Once per interval: ping quiet links, and close those silent past the limit. */
  private checkLiveness(): void {
    const now = Date.now();
    for (const link of this.links.values()) {
      const connection = link.connection;
      if (connection === null) continue;
      if (now - connection.lastHeard > this.settings.downAfterMs) {
        connection.close();
        continue;
      }
      if (now - connection.lastSent >= this.settings.heartbeatMs) {
        connection.write(FrameType.ping, empty);
        this.pingsSent += 1;
      }
    }
  }
}

const empty = new Uint8Array(0);
