// Frames on a node-to-node connection: a 4-byte big-endian length, then a type byte and the
// payload. The reader takes the stream's chunks as they come and hands back whole frames; a
// length past the limit is refused before a byte of it is buffered.

export const FrameType = {
  /** The sender's name and a fresh nonce: the first frame each side sends. */
  hello: 1,
  /** The HMAC that proves the sender knows the secret, over both nonces. */
  proof: 2,
  /** A msgpackr batch of envelopes for many groups. */
  batch: 3,
  /** Nothing to say this interval: the peer is alive. */
  ping: 4,
  /** A raft batch (actors/raft-batch.ts): one shard's, or a node's own. */
  raft: 5,
} as const;

export type FrameTypeCode = (typeof FrameType)[keyof typeof FrameType];

export interface Frame {
  readonly type: number;
  readonly payload: Buffer;
}

export class FrameError extends Error {}

const lengthBytes = 4;

/** A frame as bytes: the length covers the type byte and the payload. */
export function encodeFrame(type: FrameTypeCode, payload: Uint8Array): Buffer {
  const frame = Buffer.allocUnsafe(lengthBytes + 1 + payload.byteLength);
  frame.writeUInt32BE(1 + payload.byteLength, 0);
  frame[lengthBytes] = type;
  frame.set(payload, lengthBytes + 1);
  return frame;
}

/** What comes before a payload of `payloadBytes` in its frame: written apart, the payload is not copied. */
export function frameHeader(type: FrameTypeCode, payloadBytes: number): Buffer {
  const header = Buffer.allocUnsafe(lengthBytes + 1);
  header.writeUInt32BE(1 + payloadBytes, 0);
  header[lengthBytes] = type;
  return header;
}

export class FrameReader {
  private chunks: Buffer[] = [];
  private buffered = 0;

  /**
   * `maxFrameBytes` bounds one frame, and so what one connection can make this side buffer; it
   * may be changed between pushes (a connection allows more once its peer is proven).
   */
  constructor(public maxFrameBytes: number) {}

  /** The frames `chunk` completes, in order; throws FrameError on a length no frame may have. */
  push(chunk: Buffer): Frame[] {
    this.chunks.push(chunk);
    this.buffered += chunk.byteLength;
    const frames: Frame[] = [];
    for (;;) {
      if (this.buffered < lengthBytes) return frames;
      const length = this.peekLength();
      if (length === 0) throw new FrameError('a frame of length 0');
      if (length > this.maxFrameBytes)
        throw new FrameError(`a frame of ${length} bytes, past the limit of ${this.maxFrameBytes}`);
      if (this.buffered < lengthBytes + length) return frames;
      const bytes = this.take(lengthBytes + length);
      frames.push({ type: bytes[lengthBytes]!, payload: bytes.subarray(lengthBytes + 1) });
    }
  }

  private peekLength(): number {
    const first = this.chunks[0]!;
    if (first.byteLength >= lengthBytes) return first.readUInt32BE(0);
    return this.take(lengthBytes, true).readUInt32BE(0);
  }

  /** The next `count` bytes, removed from the buffer unless `peek`. */
  private take(count: number, peek = false): Buffer {
    const first = this.chunks[0]!;
    let bytes: Buffer;
    if (first.byteLength >= count) {
      bytes = first.subarray(0, count);
      if (peek) return bytes;
      if (first.byteLength === count) this.chunks.shift();
      else this.chunks[0] = first.subarray(count);
    } else {
      // Joined once: a peek leaves the joined bytes in place of the chunks they came from.
      const joined = Buffer.concat(this.chunks, this.buffered);
      bytes = joined.subarray(0, count);
      if (peek) {
        this.chunks = [joined];
        return bytes;
      }
      this.chunks = joined.byteLength > count ? [joined.subarray(count)] : [];
    }
    this.buffered -= count;
    return bytes;
  }
}
