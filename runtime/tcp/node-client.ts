// A client of one node process: it proves the cluster secret like a peer, then may only ask
// (the node's overview, a member's status). `flotilla status` and the fault tests use it.
import { randomBytes } from 'node:crypto';
import type { Outcome } from '../../actors/index.js';
import type { RemoteCall } from '../envelope.js';
import { FlotillaError } from '../errors.js';
import type { GroupStatus } from '../node.js';
import type { Overview } from '../overview.js';
import { Connection } from './connection.js';
import { FrameType } from './frames.js';
import { dialSocket, type TlsSettings } from './tcp-transport.js';
import { encodeBatch } from './wire.js';

export interface NodeClientOptions {
  /** host:port the node listens on. */
  readonly address: string;
  readonly secret: string;
  readonly tls?: TlsSettings;
  /** For connecting and for each answer (default 5000 ms). */
  readonly timeoutMs?: number;
}

export class NodeClient {
  private nextId = 1;
  private readonly waiting = new Map<number, (outcome: Outcome) => void>();
  private closedWith: string | null = null;

  private constructor(
    private readonly connection: Connection,
    private readonly timeoutMs: number,
  ) {}

  /** Connects and proves the secret; rejects with UNAUTHORIZED if the node closes instead. */
  static connect(options: NodeClientOptions): Promise<NodeClient> {
    const timeoutMs = options.timeoutMs ?? 5000;
    const socket = dialSocket(options.address, options.tls);
    return new Promise((resolve, reject) => {
      let client: NodeClient | undefined;
      const timer = setTimeout(() => {
        connection.close();
        reject(new FlotillaError('TIMEOUT', `no handshake with ${options.address} in ${timeoutMs} ms`));
      }, timeoutMs);
      const connection = new Connection(
        socket,
        'dialer',
        {
          node: `client-${randomBytes(4).toString('hex')}`,
          secret: options.secret,
          maxFrameBytes: 64 * 1024 * 1024,
          accepts: () => true,
          client: true,
          expected: null,
        },
        {
          authenticated: () => {
            clearTimeout(timer);
            client = new NodeClient(connection, timeoutMs);
            resolve(client);
          },
          receive: (_, envelopes) => {
            for (const envelope of envelopes)
              if (envelope.kind === 'result') client?.answered(envelope.id, envelope.outcome);
          },
          // A node frames raft messages for its peers only: a client that hears one closes.
          receiveFramed: (from) => {
            from.close();
          },
          rejected: (_, reason) => {
            if (client !== undefined) client.closedWith = reason;
          },
          closed: () => {
            clearTimeout(timer);
            if (client === undefined)
              reject(
                new FlotillaError(
                  'UNAUTHORIZED',
                  `${options.address} closed the connection during the handshake (a wrong secret?)`,
                ),
              );
            else client.failAll();
          },
        },
      );
    });
  }

  overview(): Promise<Overview> {
    return this.ask({ op: 'overview' }) as Promise<Overview>;
  }

  status(group: string): Promise<GroupStatus> {
    return this.ask({ op: 'status', group }) as Promise<GroupStatus>;
  }

  close(): void {
    this.connection.close();
  }

  private ask(call: RemoteCall): Promise<unknown> {
    if (!this.connection.open)
      return Promise.reject(new FlotillaError('STOPPED', 'the connection is closed'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new FlotillaError('TIMEOUT', `no answer to ${call.op} in ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      this.waiting.set(id, (outcome) => {
        clearTimeout(timer);
        if (outcome.kind === 'ok') resolve(outcome.value);
        else if (outcome.kind === 'error') reject(new FlotillaError(outcome.code, outcome.message));
        else reject(new FlotillaError('STOPPED', `the node answered ${outcome.kind}`));
      });
      this.connection.write(FrameType.batch, encodeBatch([{ kind: 'call', id, call }]));
    });
  }

  private answered(id: number, outcome: Outcome): void {
    const waiter = this.waiting.get(id);
    this.waiting.delete(id);
    waiter?.(outcome);
  }

  private failAll(): void {
    const reason = this.closedWith ?? 'the node closed the connection';
    for (const waiter of this.waiting.values()) waiter({ kind: 'error', code: 'STOPPED', message: reason });
    this.waiting.clear();
  }
}
