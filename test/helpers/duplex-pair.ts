/** Two connected in-memory Duplex streams: what one writes, the other reads. */
import { Duplex } from 'node:stream';

export function duplexPair(): [Duplex, Duplex] {
  const make = (peer: () => Duplex): Duplex => new Duplex({
    read() {},
    write(chunk: Buffer, _enc, cb) {
      const p = peer();
      if (!p.destroyed) p.push(chunk);
      cb();
    },
    final(cb) {
      peer().push(null);
      cb();
    },
    destroy(err, cb) {
      const p = peer();
      if (!p.destroyed) {
        p.push(null);
        setImmediate(() => p.destroy());
      }
      cb(err);
    },
  });
  const a: Duplex = make(() => b);
  const b: Duplex = make(() => a);
  return [a, b];
}

/** Reads exactly `n` bytes from `stream` (waiting as needed), keeping any extra for the next call. */
export class StreamReader {
  private buf = Buffer.alloc(0);
  private waiters: (() => void)[] = [];
  ended = false;

  constructor(stream: Duplex) {
    stream.on('data', (c: Buffer) => { this.buf = Buffer.concat([this.buf, c]); this.wake(); });
    stream.on('end', () => { this.ended = true; this.wake(); });
    stream.on('close', () => { this.ended = true; this.wake(); });
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    w.forEach((f) => f());
  }

  async read(n: number): Promise<Buffer> {
    while (this.buf.length < n) {
      if (this.ended) throw new Error(`stream ended with ${this.buf.length} of ${n} bytes`);
      await new Promise<void>((r) => this.waiters.push(r));
    }
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    return out;
  }

  /** Resolves once the stream has ended. */
  async end(): Promise<void> {
    while (!this.ended) await new Promise<void>((r) => this.waiters.push(r));
  }
}
