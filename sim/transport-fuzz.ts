// Hostile frames for a node's TCP port: random bytes, frames of random type and payload, batches
// of envelopes with fields twisted out of shape, before the handshake and after a good one. A
// node must refuse each, close that connection and go on serving. The test suite sends 10,000
// frames; `npm run fuzz -- --frames N` sends as many as asked at a node of its own.
import { connect, type Socket } from 'node:net';
import { Packr } from 'msgpackr';
import { encodeFrame, FrameReader, FrameType } from '../runtime/tcp/frames.js';
import { decodeHello, encodeHello, freshNonce, proofOf } from '../runtime/tcp/handshake.js';

export interface FuzzTarget {
  readonly host: string;
  readonly port: number;
  readonly secret: string;
  /** A peer name the node accepts connections from (one that sorts before its own). */
  readonly asNode: string;
  /** The process the hello names, if any. */
  readonly process?: string;
}

export interface FuzzReport {
  readonly frames: number;
  readonly connections: number;
  /** Connections the node had not closed a second after the fuzzer was done with them. */
  readonly leftOpen: number;
}

const packr = new Packr({ useRecords: false });

/** A seeded generator: a failing run replays with its seed. */
export class Random {
  constructor(private state: number) {}
  next(): number {
    this.state = (Math.imul(this.state, 1103515245) + 12345) >>> 0;
    return this.state >>> 8;
  }
  below(limit: number): number {
    return this.next() % limit;
  }
  bytes(length: number): Buffer {
    const bytes = Buffer.allocUnsafe(length);
    for (let at = 0; at < length; at += 1) bytes[at] = this.below(256);
    return bytes;
  }
}

/** Something msgpack can carry, of no particular shape. */
function junk(random: Random, depth = 0): unknown {
  switch (random.below(depth > 2 ? 6 : 9)) {
    case 0:
      return random.next() - 0x400000;
    case 1:
      return -1;
    case 2:
      return random.bytes(random.below(8)).toString('latin1');
    case 3:
      return null;
    case 4:
      return random.below(2) === 0;
    case 5:
      return random.bytes(random.below(16));
    case 6:
      return Array.from({ length: random.below(4) }, () => junk(random, depth + 1));
    case 7:
      return { type: 'append', term: junk(random, depth + 1), entries: junk(random, depth + 1) };
    default:
      return { kind: ['raft', 'call', 'result'][random.below(3)], id: junk(random, depth + 1) };
  }
}

/** An envelope close to a real one, with one field made wrong. */
function twisted(random: Random): unknown {
  const envelope: Record<string, unknown> = {
    kind: 'raft',
    group: `fuzz-${random.below(4)}`,
    from: 'a',
    message: {
      type: ['append', 'vote', 'heartbeat', 'snapshot', 'appendResponse'][random.below(5)],
      term: random.below(5),
      prevIndex: 0,
      prevTerm: 0,
      commit: 0,
      probe: false,
      entries: [{ index: 1, term: 1, kind: 'command', data: random.bytes(4), config: null, time: 0 }],
    },
  };
  const message = envelope.message as Record<string, unknown>;
  const keys = Object.keys(message);
  message[keys[random.below(keys.length)]!] = junk(random);
  return [envelope];
}

function frameFor(random: Random, authenticated: boolean): Buffer {
  switch (random.below(authenticated ? 5 : 3)) {
    case 0:
      // Not even a frame: raw bytes, a length prefix among them.
      return random.bytes(1 + random.below(64));
    case 1:
      return encodeFrame(FrameType.hello, random.bytes(random.below(96)));
    case 2:
      return encodeFrame((1 + random.below(8)) as 1, random.bytes(random.below(128)));
    case 3:
      return encodeFrame(FrameType.batch, packr.pack(junk(random)));
    default:
      return encodeFrame(FrameType.batch, packr.pack(twisted(random)));
  }
}

function closed(socket: Socket, ms: number): Promise<boolean> {
  if (socket.destroyed) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/** Connects and proves the secret as `asNode`; resolves with the socket, ready for batches. */
export async function handshakeAs(target: FuzzTarget): Promise<Socket> {
  const socket = connect({ host: target.host, port: target.port });
  socket.on('error', () => {});
  const nonce = freshNonce();
  const reader = new FrameReader(1024);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no handshake from the node in 5 s')), 5000);
    socket.on('data', function onData(chunk: Buffer) {
      for (const frame of reader.push(chunk)) {
        if (frame.type === FrameType.hello) {
          const hello = decodeHello(frame.payload);
          if (typeof hello === 'string') throw new Error(hello);
          const own = { node: target.asNode, nonce };
          socket.write(encodeFrame(FrameType.proof, proofOf(target.secret, 'dialer', own, hello)));
        } else if (frame.type === FrameType.ping) {
          // The node pings once it has checked our proof. (Its own proof is not checked: the
          // fuzzer only needs to be let in.)
          clearTimeout(timer);
          socket.off('data', onData);
          resolve(socket);
        }
      }
    });
    socket.once('close', () => reject(new Error('the node closed the handshake')));
    socket.write(encodeFrame(FrameType.hello, encodeHello(target.asNode, nonce, false, target.process)));
  });
}

/** Sends `frames` hostile frames over as many connections as it takes, `parallel` at a time. */
export async function fuzzNode(
  target: FuzzTarget,
  frames: number,
  seed: number,
  parallel = 8,
  progress?: (sent: number) => void,
): Promise<FuzzReport> {
  const random = new Random(seed);
  let sent = 0;
  let connections = 0;
  let leftOpen = 0;
  const one = async (): Promise<void> => {
    const authenticated = random.below(2) === 0;
    const socket = authenticated
      ? await handshakeAs(target)
      : connect({ host: target.host, port: target.port });
    socket.on('error', () => {});
    // Whatever the node sends is read and dropped, so its closing the stream is seen.
    socket.resume();
    connections += 1;
    for (let count = 1 + random.below(4); count > 0 && sent < frames && !socket.destroyed; count -= 1) {
      socket.write(frameFor(random, authenticated));
      sent += 1;
      if (sent % 1000 === 0) progress?.(sent);
    }
    socket.end();
    if (!(await closed(socket, 1000))) {
      leftOpen += 1;
      socket.destroy();
    }
  };
  const workers = Array.from({ length: parallel }, async () => {
    while (sent < frames) await one();
  });
  await Promise.all(workers);
  return { frames: sent, connections, leftOpen };
}
