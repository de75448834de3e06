// Group names repeat on almost every record of a WAL file: scans decode each name once, found
// again by a hash of its bytes.
interface KnownName {
  readonly name: string;
  readonly bytes: Buffer;
}

export class GroupNames {
  private readonly known = new Map<number, KnownName>();

  /** The name whose UTF-8 bytes are `buffer[start, start + length)`. */
  at(buffer: Buffer, start: number, length: number): string {
    let hash = length;
    for (let position = start; position < start + length; position += 1)
      hash = Math.imul(hash ^ buffer[position]!, 0x01000193);
    const known = this.known.get(hash);
    if (
      known !== undefined &&
      known.bytes.byteLength === length &&
      known.bytes.compare(buffer, start, start + length) === 0
    ) {
      return known.name;
    }
    const bytes = Buffer.from(buffer.subarray(start, start + length));
    const name = bytes.toString('utf8');
    this.known.set(hash, { name, bytes });
    return name;
  }
}
