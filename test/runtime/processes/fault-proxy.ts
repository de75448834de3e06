// A TCP proxy the fault tests put between two nodes. It can cut the link both ways or one way.
// A change of state drops the connections it carries, so no stream is cut mid-frame. While a
// way is cut, new connections are accepted, but bytes going that way are thrown away.
import { connect, createServer, type Server, type Socket } from 'node:net';

export class FaultProxy {
  /** Bytes from the dialing side to the listening side get through. */
  forward = true;
  /** Bytes from the listening side back to the dialing side get through. */
  backward = true;
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  /** A proxy on a free loopback port to `target` (host:port). */
  static async start(target: string): Promise<FaultProxy> {
    const [host, port] = [
      target.slice(0, target.lastIndexOf(':')),
      Number(target.slice(target.lastIndexOf(':') + 1)),
    ];
    let proxy: FaultProxy | undefined;
    const server = createServer((downstream) => proxy!.carry(downstream, host, port));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    proxy = new FaultProxy(server, typeof address === 'object' && address !== null ? address.port : 0);
    return proxy;
  }

  /** Cuts or heals each way; the connections carried so far are dropped. */
  set(forward: boolean, backward: boolean): void {
    this.forward = forward;
    this.backward = backward;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
  }

  close(): void {
    this.set(false, false);
    this.server.close();
  }

  private carry(downstream: Socket, host: string, port: number): void {
    const upstream = connect({ host, port });
    for (const socket of [downstream, upstream]) {
      this.sockets.add(socket);
      socket.on('error', () => {});
      socket.on('close', () => {
        this.sockets.delete(socket);
        downstream.destroy();
        upstream.destroy();
      });
    }
    downstream.on('data', (chunk) => {
      if (this.forward) upstream.write(chunk);
    });
    upstream.on('data', (chunk) => {
      if (this.backward) downstream.write(chunk);
    });
  }
}
