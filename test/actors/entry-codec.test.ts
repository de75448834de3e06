// Entry payloads: what a machine receives is its own (binaries are copies), decoding leaves the
// entry's bytes as they were, and payloads past the scratch size decode the same way.
import { describe, expect, it } from 'vitest';
import { decodeEntryData, decodeState, encodeCommand, encodeState } from '../../actors/entry-codec.js';

describe('the entry codec', () => {
  it('decodes a command to an equal value whose binaries share nothing with the entry', () => {
    const command = { op: 'put', key: 'k', blob: Buffer.from([1, 2, 3]) };
    const data = encodeCommand(command);
    const before = Uint8Array.from(data);
    const [tag, decoded] = decodeEntryData(data);
    expect(tag).toBe(0);
    expect(decoded).toEqual(command);
    const blob = (decoded as typeof command).blob;
    // Decoding another entry must not change what the machine kept from this one.
    decodeEntryData(encodeCommand({ op: 'put', key: 'k', blob: Buffer.from([7, 7, 7]) }));
    expect([...blob]).toEqual([1, 2, 3]);
    blob[0] = 99;
    expect(data).toEqual(before);
    expect(Object.keys(data)).toEqual(Object.keys(before));
  });

  it('decodes payloads larger than the scratch buffer, and states of any size', () => {
    const big = 'y'.repeat(200_000);
    expect(decodeEntryData(encodeCommand(big))).toEqual([0, big]);
    expect(decodeState(encodeState(3, { items: [big, 1] }))).toEqual({
      version: 3,
      state: { items: [big, 1] },
    });
    expect(decodeState(encodeState(0, { n: 1 }))).toEqual({ version: 0, state: { n: 1 } });
  });
});
