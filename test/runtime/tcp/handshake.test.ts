// The handshake's proofs: only a holder of the secret can make one, and a proof is bound to
// its connection's nonces, to both names and to the sender's role.
import { describe, expect, it } from 'vitest';
import { decodeHello, encodeHello, freshNonce, proofHolds, proofOf } from '../../../runtime/tcp/handshake.js';

describe('the handshake', () => {
  const dialer = { node: 'a', nonce: freshNonce() };
  const listener = { node: 'b', nonce: freshNonce() };

  it('accepts the proof of a peer that knows the secret', () => {
    const proof = proofOf('secret-1', 'dialer', dialer, listener);
    expect(proofHolds('secret-1', 'dialer', dialer, listener, proof)).toBe(true);
  });

  it('refuses a wrong secret, another connection, a reflected proof and a truncated one', () => {
    const proof = proofOf('secret-1', 'dialer', dialer, listener);
    expect(proofHolds('secret-2', 'dialer', dialer, listener, proof)).toBe(false);
    const later = { node: 'b', nonce: freshNonce() };
    expect(proofHolds('secret-1', 'dialer', dialer, later, proof)).toBe(false);
    // The listener's own proof sent back to it as if from the dialer.
    const reflected = proofOf('secret-1', 'listener', listener, dialer);
    expect(proofHolds('secret-1', 'dialer', dialer, listener, reflected)).toBe(false);
    expect(proofHolds('secret-1', 'dialer', dialer, listener, proof.subarray(0, 16))).toBe(false);
  });

  it('reads a hello back, and says why a bad one is not one', () => {
    const nonce = freshNonce();
    expect(decodeHello(encodeHello('node-a', nonce))).toEqual({
      version: 1,
      node: 'node-a',
      nonce,
      client: false,
      process: null,
    });
    expect(decodeHello(encodeHello('watcher', nonce, true))).toMatchObject({ node: 'watcher', client: true });
    // A node names its process, so its peers can tell a restart from a reconnect.
    expect(decodeHello(encodeHello('node-a', nonce, false, '0123abcd'))).toMatchObject({
      process: '0123abcd',
    });
    expect(decodeHello(encodeHello('node-a', nonce, false, ''))).toMatch(/bad process/);
    expect(decodeHello(Buffer.from([0xd9]))).toMatch(/not msgpack/);
    expect(decodeHello(Buffer.from([0x05]))).toMatch(/not a map/);
    expect(decodeHello(encodeHello('', nonce))).toMatch(/no node name/);
    expect(decodeHello(encodeHello('a', nonce.subarray(0, 8)))).toMatch(/bad nonce/);
  });
});
