/**
 * One zlib stream that lasts a whole connection (ZRLE has one; Tight has four).
 *
 * RFB servers end each rectangle's compressed data with Z_SYNC_FLUSH, so every segment starts on a
 * deflate block boundary and may refer back to the last 32 KiB of output. Node's synchronous zlib API
 * closes its context after each call, so the persistent state is kept here as that 32 KiB window:
 * each segment is inflated raw with the window as preset dictionary, which continues the stream
 * exactly. The 2-byte zlib header is stripped from the first segment; the trailing Adler-32 never
 * comes, because the stream never ends.
 */
import { constants, inflateRawSync } from 'node:zlib';
import { protocolError } from './errors.js';

const WINDOW = 32 * 1024;

/** The most one segment may inflate to by default: a 4096×4096 screen at 4 bytes a pixel, plus tile headers. */
export const MAX_SEGMENT_OUTPUT = 4096 * 4096 * 4 + (1 << 20);

export class ZlibStream {
  private window: Buffer = Buffer.alloc(0);
  private headerPending = 2;

  /**
   * Inflates the next segment of the stream. `maxOutput` bounds what one segment may expand to (a rectangle
   * can never need more than its pixels), so a hostile server cannot make the gateway inflate a zip bomb.
   */
  inflate(segment: Uint8Array, maxOutput = MAX_SEGMENT_OUTPUT): Buffer {
    let input = Buffer.from(segment.buffer, segment.byteOffset, segment.length);
    if (this.headerPending > 0) {
      const strip = Math.min(this.headerPending, input.length);
      if (this.headerPending === 2 && strip >= 1 && (input[0]! & 0x0f) !== 8) {
        throw protocolError('ZLIB_ERROR', 'zlib stream does not start with a deflate header');
      }
      input = input.subarray(strip);
      this.headerPending -= strip;
    }
    if (input.length === 0) return Buffer.alloc(0);
    let out: Buffer;
    try {
      out = inflateRawSync(input, {
        finishFlush: constants.Z_SYNC_FLUSH,
        maxOutputLength: maxOutput,
        ...(this.window.length > 0 ? { dictionary: this.window } : {}),
      });
    } catch (err) {
      throw protocolError('ZLIB_ERROR', `zlib data error: ${(err as Error).message}`, err);
    }
    if (out.length >= WINDOW) this.window = Buffer.from(out.subarray(out.length - WINDOW));
    else if (out.length > 0) {
      const keep = Math.min(this.window.length, WINDOW - out.length);
      this.window = Buffer.concat([this.window.subarray(this.window.length - keep), out]);
    }
    return out;
  }

  /** Starts a new stream (Tight's reset bits). */
  reset(): void {
    this.window = Buffer.alloc(0);
    this.headerPending = 2;
  }
}
