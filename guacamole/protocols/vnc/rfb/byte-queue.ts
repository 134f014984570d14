/**
 * The parser's input: chunks kept as they arrive, read by peeking at a contiguous prefix.
 * Chunks are only joined when a read spans them, so a large rectangle is copied once.
 */
export class ByteQueue {
  private chunks: Buffer[] = [];
  /** Read offset inside chunks[0]. */
  private head = 0;
  length = 0;

  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length));
    this.length += chunk.length;
  }

  /**
   * The first `n` bytes as one buffer plus the offset where they start, or undefined when fewer
   * than `n` bytes are queued. The bytes stay queued.
   */
  peek(n: number): { buf: Buffer; off: number } | undefined {
    if (n > this.length) return undefined;
    const first = this.chunks[0];
    if (n === 0) return { buf: first ?? Buffer.alloc(0), off: this.head };
    if (first!.length - this.head >= n) return { buf: first!, off: this.head };
    // Join as many whole chunks as needed into one.
    let have = first!.length - this.head;
    let k = 1;
    while (have < n) have += this.chunks[k++]!.length;
    const joined = Buffer.concat([first!.subarray(this.head), ...this.chunks.slice(1, k)], have);
    this.chunks.splice(0, k, joined);
    this.head = 0;
    return { buf: joined, off: 0 };
  }

  skip(n: number): void {
    this.length -= n;
    while (n > 0) {
      const first = this.chunks[0]!;
      const left = first.length - this.head;
      if (n < left) {
        this.head += n;
        return;
      }
      n -= left;
      this.chunks.shift();
      this.head = 0;
    }
    if (this.chunks.length > 0 && this.head === this.chunks[0]!.length) {
      this.chunks.shift();
      this.head = 0;
    }
  }

  /** Removes and returns `n` bytes (a view when they lie in one chunk). */
  take(n: number): Buffer | undefined {
    const p = this.peek(n);
    if (!p) return undefined;
    const out = p.buf.subarray(p.off, p.off + n);
    this.skip(n);
    return out;
  }
}
