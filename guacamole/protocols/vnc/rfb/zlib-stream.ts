/**
 * One zlib stream that lasts a whole connection (ZRLE has one; Tight has four).
 *
 * RFB servers end each rectangle's compressed data with Z_SYNC_FLUSH, so each segment inflates completely on
 * its own while referring back to everything before it. The stream keeps one inflate state for its whole life
 * (pako's port of zlib's inflate, driven through its z_stream interface): QEMU sends dozens of small
 * rectangles a frame, and a native zlib context per rectangle, primed with the last 32 KiB as a dictionary,
 * cost more than the inflating itself and made megabytes of short-lived buffers a second. The stream is
 * inflated raw after its 2-byte zlib header: its Adler-32 never comes (the stream never ends), so keeping
 * the checksum up to date would be work for nothing.
 */
import { ZStream, Z_BUF_ERROR, Z_OK, Z_STREAM_END, Z_SYNC_FLUSH, zlibInflate, zlibInflateInit2 } from 'pako';
import { protocolError } from './errors.js';

/** The most one segment may inflate to by default: a 4096×4096 screen at 4 bytes a pixel, plus tile headers. */
export const MAX_SEGMENT_OUTPUT = 4096 * 4096 * 4 + (1 << 20);

/** Raw deflate data with a 32 KiB window (negative: no zlib wrapper), what follows the stream's header. */
const RAW_WINDOW_BITS = -15;
const ZLIB_HEADER_BYTES = 2;
const FIRST_OUTPUT_BYTES = 16 * 1024;
/** An output buffer grown past this for one large rectangle is not kept for the next. */
const KEPT_OUTPUT_BYTES = 1024 * 1024;

export class ZlibStream {
  #strm: ZStream | undefined;
  #out = new Uint8Array(0);
  #ended = false;
  /** The header bytes still to come (a segment may end inside the header), and its first byte once seen. */
  #headerLeft = ZLIB_HEADER_BYTES;
  #cmf = 0;

  /**
   * Inflates the next segment of the stream. The result is a view of this stream's output buffer, valid until
   * its next `inflate`. `maxOutput` bounds what one segment may expand to (a rectangle can never need more
   * than its pixels), so a hostile server cannot make the gateway inflate a zip bomb.
   */
  inflate(segment: Uint8Array, maxOutput = MAX_SEGMENT_OUTPUT): Uint8Array {
    if (this.#headerLeft > 0) segment = this.#readHeader(segment);
    if (segment.length === 0) return this.#out.subarray(0, 0);
    if (this.#ended) throw protocolError('ZLIB_ERROR', 'zlib data after the end of the stream');
    const strm = this.#strm ?? this.#start();
    if (this.#out.length === 0 || this.#out.length > KEPT_OUTPUT_BYTES) this.#out = new Uint8Array(FIRST_OUTPUT_BYTES);
    strm.input = segment;
    strm.next_in = 0;
    strm.avail_in = segment.length;
    let produced = 0;
    for (;;) {
      strm.output = this.#out;
      strm.next_out = produced;
      strm.avail_out = this.#out.length - produced;
      const status = zlibInflate(strm, Z_SYNC_FLUSH);
      produced = strm.next_out;
      if (produced > maxOutput) throw protocolError('ZLIB_ERROR', `zlib data inflates beyond ${maxOutput} bytes`);
      if (status === Z_STREAM_END) {
        this.#ended = true;
        break;
      }
      if (status !== Z_OK && status !== Z_BUF_ERROR) throw protocolError('ZLIB_ERROR', `zlib data error: ${strm.msg || status}`);
      // With room left over, zlib has given everything this input holds.
      if (strm.avail_out > 0) break;
      const grown = new Uint8Array(Math.min(this.#out.length * 2, maxOutput + 1));
      if (grown.length <= this.#out.length) throw protocolError('ZLIB_ERROR', `zlib data inflates beyond ${maxOutput} bytes`);
      grown.set(this.#out.subarray(0, produced));
      this.#out = grown;
    }
    strm.input = EMPTY;
    return this.#out.subarray(0, produced);
  }

  /** Starts a new stream (Tight's reset bits). */
  reset(): void {
    this.#strm = undefined;
    this.#ended = false;
    this.#headerLeft = ZLIB_HEADER_BYTES;
  }

  /** Checks and drops the zlib header (RFC 1950: deflate, a check that divides by 31, no preset dictionary). */
  #readHeader(segment: Uint8Array): Uint8Array {
    const take = Math.min(this.#headerLeft, segment.length);
    for (let i = 0; i < take; i++, this.#headerLeft--) {
      if (this.#headerLeft === 2) {
        this.#cmf = segment[i]!;
        if ((this.#cmf & 0x0f) !== 8) throw protocolError('ZLIB_ERROR', 'zlib stream does not start with a deflate header');
      } else {
        const flg = segment[i]!;
        if ((this.#cmf * 256 + flg) % 31 !== 0 || flg & 0x20) throw protocolError('ZLIB_ERROR', 'zlib stream header is invalid');
      }
    }
    return segment.subarray(take);
  }

  #start(): ZStream {
    const strm = new ZStream();
    if (zlibInflateInit2(strm, RAW_WINDOW_BITS) !== Z_OK) throw protocolError('ZLIB_ERROR', `zlib inflate could not start: ${strm.msg}`);
    this.#strm = strm;
    return strm;
  }
}

const EMPTY = new Uint8Array(0);
