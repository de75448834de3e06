// A running hash of everything that happens in a run (two 32-bit FNV-style lanes): two runs of
// one seed must print the same hash, which is how determinism is shown.

export class TraceHash {
  private high = 0x811c9dc5;
  private low = 0x050c5d1f;

  add(text: string): void {
    let high = this.high;
    let low = this.low;
    for (let position = 0; position < text.length; position += 1) {
      const code = text.charCodeAt(position);
      high = Math.imul(high ^ code, 0x01000193);
      low = Math.imul(low ^ code, 0x5bd1e995);
      low ^= low >>> 15;
    }
    this.high = high;
    this.low = low;
  }

  digest(): string {
    return (this.high >>> 0).toString(16).padStart(8, '0') + (this.low >>> 0).toString(16).padStart(8, '0');
  }
}
