// Copies of small byte runs (a command, an entry's data) made into shared chunks rather than a
// buffer each. A buffer of its own per command was measured to cost 3 µs per command in all,
// most of it in the collector; a chunk is one buffer for dozens. Each copy is a view of one chunk,
// so an entry a log keeps long pins one chunk, never the whole batch or frame it came in.

/** Small enough that a copy kept long pins little beside itself; large enough to hold dozens. */
const chunkBytes = 8 * 1024;
/** Runs larger than this get a buffer of their own. */
const ownBufferBytes = chunkBytes / 4;

let chunk = new Uint8Array(chunkBytes);
let chunkUsed = 0;

/** A copy of `source`, sharing nothing with it (see the module comment). */
export function chunkCopy(source: Uint8Array): Uint8Array {
  // A new Uint8Array copies (a Buffer's slice would not).
  if (source.byteLength > ownBufferBytes) return new Uint8Array(source);
  if (chunkUsed + source.byteLength > chunkBytes) {
    chunk = new Uint8Array(chunkBytes);
    chunkUsed = 0;
  }
  const copy = chunk.subarray(chunkUsed, chunkUsed + source.byteLength);
  copy.set(source);
  chunkUsed += source.byteLength;
  return copy;
}
