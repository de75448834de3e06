// Buffers that grow by doubling, keeping what they hold: a batch, a live WAL file's bytes and a
// shard's encoded writes all grow this way, so a long run of growth copies each byte about once.

/**
 * `buffer` if `more` bytes fit after its first `used`, or else a buffer at least twice as large
 * holding those `used` bytes. `allocate` makes the new one (a buffer of its own, to move it to
 * another thread, or one from the pool).
 */
export function grownBuffer(
  buffer: Buffer,
  used: number,
  more: number,
  allocate: (size: number) => Buffer = Buffer.allocUnsafe,
): Buffer {
  if (used + more <= buffer.byteLength) return buffer;
  let size = Math.max(1, buffer.byteLength) * 2;
  while (size < used + more) size *= 2;
  const grown = allocate(size);
  buffer.copy(grown, 0, 0, used);
  return grown;
}
