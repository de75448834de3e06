// Frames: whole frames come out however the stream is cut, and a length no frame may have is
// refused before its bytes are buffered.
import { describe, expect, it } from 'vitest';
import { encodeFrame, FrameError, FrameReader, FrameType } from '../../../runtime/tcp/frames.js';

describe('frames', () => {
  it('come out whole and in order however the stream is cut', () => {
    const frames = [
      encodeFrame(FrameType.batch, Buffer.from('first')),
      encodeFrame(FrameType.ping, new Uint8Array(0)),
      encodeFrame(FrameType.batch, Buffer.alloc(10_000, 7)),
    ];
    const stream = Buffer.concat(frames);
    for (const cut of [1, 2, 3, 5, 4096, stream.byteLength]) {
      const reader = new FrameReader(1 << 20);
      const read = [];
      for (let at = 0; at < stream.byteLength; at += cut)
        read.push(...reader.push(stream.subarray(at, at + cut)));
      expect(read.map((frame) => frame.type)).toEqual([FrameType.batch, FrameType.ping, FrameType.batch]);
      expect(read[0]!.payload.toString()).toBe('first');
      expect(read[1]!.payload.byteLength).toBe(0);
      expect(read[2]!.payload.equals(Buffer.alloc(10_000, 7))).toBe(true);
    }
  });

  it('refuses a length past the limit from the prefix alone, and a length of zero', () => {
    const reader = new FrameReader(1024);
    const huge = Buffer.alloc(4);
    huge.writeUInt32BE(0xffffffff, 0);
    expect(() => reader.push(huge)).toThrow(FrameError);
    expect(() => new FrameReader(1024).push(Buffer.alloc(4))).toThrow(/length 0/);
  });

  it('holds a partial frame until the rest arrives', () => {
    const reader = new FrameReader(1024);
    const frame = encodeFrame(FrameType.batch, Buffer.from('abc'));
    expect(reader.push(frame.subarray(0, 6))).toEqual([]);
    expect(reader.push(frame.subarray(6)).map((read) => read.payload.toString())).toEqual(['abc']);
  });
});
