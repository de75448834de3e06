// The handshake that proves both ends know the cluster secret before anything else is read.
// Each side sends its name and a fresh nonce, then an HMAC-SHA256 over both nonces, both names
// and its own role (dialer or listener): a proof is good for this connection only, cannot be
// replayed from an old one, and cannot be reflected back at its sender.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { Packr } from 'msgpackr';

export type Role = 'dialer' | 'listener';

export interface Hello {
  readonly version: number;
  readonly node: string;
  readonly nonce: Buffer;
  /** A client (`flotilla status`, a monitor) rather than a peer node: it may only ask. */
  readonly client: boolean;
  /**
   * The sending node's process (random, once per start), or null from a node that does not say:
   * a connection from a new process means the old one is gone with all it held in memory.
   */
  readonly process: string | null;
}

export const protocolVersion = 1;
const nonceBytes = 32;
const packr = new Packr({ useRecords: false });

export function freshNonce(): Buffer {
  return randomBytes(nonceBytes);
}

export function encodeHello(node: string, nonce: Buffer, client = false, process?: string): Buffer {
  return packr.pack({
    version: protocolVersion,
    node,
    nonce,
    client,
    ...(process === undefined ? {} : { process }),
  });
}

/** The peer's hello, or a reason it is not one. */
export function decodeHello(payload: Buffer): Hello | string {
  let hello: unknown;
  try {
    hello = packr.unpack(payload);
  } catch {
    return 'a hello that is not msgpack';
  }
  if (typeof hello !== 'object' || hello === null) return 'a hello that is not a map';
  const { version, node, nonce, client, process } = hello as Record<string, unknown>;
  if (version !== protocolVersion) return `protocol version ${String(version)}, not ${protocolVersion}`;
  if (typeof node !== 'string' || node === '' || Buffer.byteLength(node) > 255)
    return 'a hello with no node name';
  if (!(nonce instanceof Uint8Array) || nonce.byteLength !== nonceBytes) return 'a hello with a bad nonce';
  if (client !== undefined && typeof client !== 'boolean') return 'a hello with a bad client flag';
  if (process !== undefined && !(typeof process === 'string' && process.length > 0 && process.length <= 64))
    return 'a hello with a bad process';
  return { version, node, nonce: Buffer.from(nonce), client: client === true, process: process ?? null };
}

/** What `role` sends to prove the secret; the other side computes the same to check it. */
export function proofOf(
  secret: string,
  role: Role,
  own: { readonly node: string; readonly nonce: Buffer },
  peer: { readonly node: string; readonly nonce: Buffer },
): Buffer {
  const hmac = createHmac('sha256', secret);
  hmac.update(`flotilla/${protocolVersion}/${role}\n`);
  for (const part of [own.nonce, peer.nonce, Buffer.from(own.node), Buffer.from(peer.node)]) {
    const length = Buffer.allocUnsafe(4);
    length.writeUInt32BE(part.byteLength, 0);
    hmac.update(length);
    hmac.update(part);
  }
  return hmac.digest();
}

/** Whether `proof` is what a peer in `peerRole` who knows the secret would have sent. */
export function proofHolds(
  secret: string,
  peerRole: Role,
  peer: { readonly node: string; readonly nonce: Buffer },
  own: { readonly node: string; readonly nonce: Buffer },
  proof: Buffer,
): boolean {
  const expected = proofOf(secret, peerRole, peer, own);
  return proof.byteLength === expected.byteLength && timingSafeEqual(proof, expected);
}
