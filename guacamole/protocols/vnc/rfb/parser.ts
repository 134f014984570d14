/**
 * Pure streaming parser of RFB server messages (RFC 6143 §7.6): bytes in, typed messages out, the
 * unfinished tail kept for the next chunk. It knows the negotiated pixel format and the framebuffer
 * size, and owns the per-connection decoder state (the ZRLE and Tight zlib streams). No sockets.
 */
import { ByteQueue } from './byte-queue.js';
import { protocolError } from './errors.js';
import { HextileDecoder, decodeRre, rreLength } from './hextile-decoder.js';
import {
  Encoding, ServerMessageType,
  type ColourMapEntry, type Rectangle, type ServerMessage, type Screen,
} from './messages.js';
import { PixelConverter, allocImage, unpackRgba, type PixelFormat } from './pixel-format.js';
import { encodedImageSize } from '../../../display/decoders.js';
import { TightDecoder } from './tight-decoder.js';
import { ZlibStream } from './zlib-stream.js';
import { decodeZrle, type DecodedArea } from './zrle-decoder.js';

export interface ParserOptions {
  pixelFormat: PixelFormat;
  width: number;
  height: number;
  /** Largest ServerCutText accepted, in bytes (default 16 MiB). */
  maxCutText?: number;
}

const enum State {
  MESSAGE_TYPE,
  UPDATE_HEADER,
  RECT_HEADER,
  RECT_BODY,
  COLOUR_MAP,
  CUT_TEXT,
}

interface RectHeader {
  x: number;
  y: number;
  width: number;
  height: number;
  encoding: number;
}

const DEFAULT_MAX_CUT_TEXT = 16 * 1024 * 1024;
/** Cursors are small pictures; a larger one is a server trying to make us allocate. */
const MAX_CURSOR_SIZE = 256;

export class Parser {
  private readonly queue = new ByteQueue();
  private state = State.MESSAGE_TYPE;
  private conv: PixelConverter;
  private colourMap: (ColourMapEntry | undefined)[] = [];
  private width: number;
  private height: number;
  private readonly maxCutText: number;
  private readonly zrle = new ZlibStream();
  private readonly tight: TightDecoder;
  /** Rectangles left in the current FramebufferUpdate (0xffff may be ended by LastRect). */
  private rectsLeft = 0;
  private rects: Rectangle[] = [];
  private rect: RectHeader | undefined;
  private hextile: HextileDecoder | undefined;

  constructor(options: ParserOptions) {
    this.conv = new PixelConverter(options.pixelFormat);
    this.width = options.width;
    this.height = options.height;
    this.maxCutText = options.maxCutText ?? DEFAULT_MAX_CUT_TEXT;
    this.tight = new TightDecoder();
  }

  get pixelFormat(): PixelFormat {
    return this.conv.format;
  }

  /** After SetPixelFormat: the server uses this format for every following update. */
  setPixelFormat(pf: PixelFormat): void {
    this.conv = new PixelConverter(pf, this.colourMap);
  }

  /** The framebuffer size that rectangles are checked against. */
  setSize(width: number, height: number): void {
    this.width = width;
    this.height = height;
  }

  /** Appends a chunk and returns every message it completes. Throws RfbClientError on bad data. */
  push(chunk: Uint8Array): ServerMessage[] {
    this.queue.push(chunk);
    const out: ServerMessage[] = [];
    while (this.step(out));
    return out;
  }

  /** Bytes received but not yet parsed. */
  get buffered(): number {
    return this.queue.length;
  }

  /** Runs one state; false when it needs more bytes. */
  private step(out: ServerMessage[]): boolean {
    const q = this.queue;
    switch (this.state) {
      case State.MESSAGE_TYPE: {
        const p = q.peek(1);
        if (!p) return false;
        const type = p.buf[p.off]!;
        switch (type) {
          case ServerMessageType.FramebufferUpdate: this.state = State.UPDATE_HEADER; return true;
          case ServerMessageType.SetColourMapEntries: this.state = State.COLOUR_MAP; return true;
          case ServerMessageType.ServerCutText: this.state = State.CUT_TEXT; return true;
          case ServerMessageType.Bell:
            q.skip(1);
            out.push({ type: ServerMessageType.Bell });
            return true;
          default:
            throw protocolError('UNKNOWN_MESSAGE_TYPE', `unknown server message type ${type}`);
        }
      }
      case State.UPDATE_HEADER: {
        const b = q.take(4);
        if (!b) return false;
        this.rectsLeft = b.readUInt16BE(2);
        this.rects = [];
        return this.nextRect(out);
      }
      case State.RECT_HEADER: {
        const b = q.take(12);
        if (!b) return false;
        this.rect = {
          x: b.readUInt16BE(0), y: b.readUInt16BE(2), width: b.readUInt16BE(4), height: b.readUInt16BE(6),
          encoding: b.readInt32BE(8),
        };
        this.state = State.RECT_BODY;
        return true;
      }
      case State.RECT_BODY: {
        const r = this.rect!;
        const result = this.rectBody(r);
        if (result === undefined) return false;
        if (result === 'last') {
          this.rectsLeft = 0;
        } else {
          if (result !== null) this.rects.push(result);
          this.rectsLeft--;
        }
        this.rect = undefined;
        this.hextile = undefined;
        return this.nextRect(out);
      }
      case State.COLOUR_MAP: {
        const h = q.peek(6);
        if (!h) return false;
        const first = h.buf.readUInt16BE(h.off + 2);
        const n = h.buf.readUInt16BE(h.off + 4);
        const p = q.peek(6 + n * 6);
        if (!p) return false;
        const colours: ColourMapEntry[] = [];
        for (let i = 0, o = p.off + 6; i < n; i++, o += 6) {
          const c = { red: p.buf.readUInt16BE(o), green: p.buf.readUInt16BE(o + 2), blue: p.buf.readUInt16BE(o + 4) };
          colours.push(c);
          this.colourMap[first + i] = c;
        }
        q.skip(6 + n * 6);
        this.conv = new PixelConverter(this.conv.format, this.colourMap);
        out.push({ type: ServerMessageType.SetColourMapEntries, firstColour: first, colours });
        this.state = State.MESSAGE_TYPE;
        return true;
      }
      case State.CUT_TEXT: {
        const h = q.peek(8);
        if (!h) return false;
        const len = h.buf.readInt32BE(h.off + 4);
        // A negative length is the Extended Clipboard pseudo-encoding, which we never ask for: skip it.
        const size = Math.abs(len);
        if (size > this.maxCutText) throw protocolError('TOO_LARGE', `ServerCutText of ${size} bytes is over the limit`);
        const p = q.peek(8 + size);
        if (!p) return false;
        const text = p.buf.toString('latin1', p.off + 8, p.off + 8 + size);
        q.skip(8 + size);
        if (len >= 0) out.push({ type: ServerMessageType.ServerCutText, text });
        this.state = State.MESSAGE_TYPE;
        return true;
      }
    }
  }

  private nextRect(out: ServerMessage[]): boolean {
    if (this.rectsLeft > 0) {
      this.state = State.RECT_HEADER;
      return true;
    }
    out.push({ type: ServerMessageType.FramebufferUpdate, rectangles: this.rects });
    this.rects = [];
    this.state = State.MESSAGE_TYPE;
    return true;
  }

  private checkBounds(r: RectHeader): void {
    if (r.x + r.width > this.width || r.y + r.height > this.height) {
      throw protocolError('RECT_OUT_OF_BOUNDS',
        `rectangle ${r.width}x${r.height}+${r.x}+${r.y} lies outside the ${this.width}x${this.height} framebuffer`);
    }
  }

  private area(r: RectHeader, encoding: Encoding, d: DecodedArea): Rectangle {
    if (d.solid !== undefined) {
      return { kind: 'fill', encoding, x: r.x, y: r.y, width: r.width, height: r.height, rgba: unpackRgba(d.solid) };
    }
    return { kind: 'pixels', encoding, x: r.x, y: r.y, image: d.image };
  }

  /** A decoded rectangle, null for nothing to report, 'last' for LastRect, undefined for "need more bytes". */
  private rectBody(r: RectHeader): Rectangle | null | 'last' | undefined {
    const q = this.queue;
    const bpp = this.conv.bytesPerPixel;
    switch (r.encoding) {
      case Encoding.Raw: {
        this.checkBounds(r);
        const n = r.width * r.height * bpp;
        const p = q.peek(n);
        if (!p) return undefined;
        const img = allocImage(r.width, r.height);
        this.conv.row(p.buf, p.off, img.words, 0, r.width * r.height);
        q.skip(n);
        return { kind: 'pixels', encoding: Encoding.Raw, x: r.x, y: r.y, image: { width: r.width, height: r.height, data: img.data } };
      }
      case Encoding.CopyRect: {
        this.checkBounds(r);
        const b = q.take(4);
        if (!b) return undefined;
        const srcX = b.readUInt16BE(0), srcY = b.readUInt16BE(2);
        if (srcX + r.width > this.width || srcY + r.height > this.height) {
          throw protocolError('RECT_OUT_OF_BOUNDS', 'CopyRect source lies outside the framebuffer');
        }
        return { kind: 'copy', x: r.x, y: r.y, width: r.width, height: r.height, srcX, srcY };
      }
      case Encoding.RRE: {
        this.checkBounds(r);
        const h = q.peek(4);
        if (!h) return undefined;
        const n = h.buf.readUInt32BE(h.off);
        if (n > r.width * r.height) throw protocolError('BAD_SUBENCODING', `RRE with ${n} sub-rectangles`);
        const p = q.peek(4 + rreLength(n, bpp));
        if (!p) return undefined;
        const d = decodeRre(p.buf, p.off + 4, n, r.width, r.height, this.conv);
        q.skip(4 + rreLength(n, bpp));
        return this.area(r, Encoding.RRE, d);
      }
      case Encoding.Hextile: {
        this.checkBounds(r);
        this.hextile ??= new HextileDecoder(r.width, r.height, this.conv);
        const d = this.hextile.feed(q);
        return d && this.area(r, Encoding.Hextile, d);
      }
      case Encoding.ZRLE: {
        this.checkBounds(r);
        const h = q.peek(4);
        if (!h) return undefined;
        const len = h.buf.readUInt32BE(h.off);
        // ZRLE never needs more than the raw pixels plus a byte per 64×64 tile, before or after deflate.
        const maxData = r.width * r.height * bpp + Math.ceil(r.width / 64) * Math.ceil(r.height / 64) + 1024;
        if (len > maxData + (maxData >> 3) + 1024) {
          throw protocolError('TOO_LARGE', `ZRLE rectangle of ${r.width}x${r.height} announces ${len} bytes`);
        }
        const p = q.peek(4 + len);
        if (!p) return undefined;
        const data = this.zrle.inflate(p.buf.subarray(p.off + 4, p.off + 4 + len), maxData);
        q.skip(4 + len);
        if (r.width === 0 || r.height === 0) return null;
        return this.area(r, Encoding.ZRLE, decodeZrle(data, r.width, r.height, this.conv));
      }
      case Encoding.Tight:
      case Encoding.TightPng: {
        this.checkBounds(r);
        const d = this.tight.feed(q, r.width, r.height, this.conv);
        if (!d) return undefined;
        if ('mimetype' in d) {
          const size = encodedImageSize(d.mimetype, d.data);
          if (!size || size.width !== r.width || size.height !== r.height) {
            const got = size ? `${size.width}x${size.height}` : 'not a valid image';
            throw protocolError('BAD_SUBENCODING', `Tight ${d.mimetype} data is ${got}, its rectangle is ${r.width}x${r.height}`);
          }
          return { kind: 'image', encoding: r.encoding, x: r.x, y: r.y, width: r.width, height: r.height, mimetype: d.mimetype, data: d.data };
        }
        return this.area(r, r.encoding, d);
      }
      case Encoding.DesktopSize:
        this.setSize(r.width, r.height);
        return { kind: 'desktopSize', encoding: Encoding.DesktopSize, width: r.width, height: r.height };
      case Encoding.ExtendedDesktopSize: {
        const h = q.peek(4);
        if (!h) return undefined;
        const n = h.buf[h.off]!;
        const p = q.peek(4 + n * 16);
        if (!p) return undefined;
        const screens: Screen[] = [];
        for (let i = 0, o = p.off + 4; i < n; i++, o += 16) {
          screens.push({
            id: p.buf.readUInt32BE(o), x: p.buf.readUInt16BE(o + 4), y: p.buf.readUInt16BE(o + 6),
            width: p.buf.readUInt16BE(o + 8), height: p.buf.readUInt16BE(o + 10), flags: p.buf.readUInt32BE(o + 12),
          });
        }
        q.skip(4 + n * 16);
        if (r.y === 0) this.setSize(r.width, r.height);
        return {
          kind: 'desktopSize', encoding: Encoding.ExtendedDesktopSize, width: r.width, height: r.height,
          reason: r.x, status: r.y, screens,
        };
      }
      case Encoding.Cursor: {
        if (r.width > MAX_CURSOR_SIZE || r.height > MAX_CURSOR_SIZE) {
          throw protocolError('TOO_LARGE', `a ${r.width}x${r.height} cursor is over ${MAX_CURSOR_SIZE}x${MAX_CURSOR_SIZE}`);
        }
        const maskRow = (r.width + 7) >> 3;
        const n = r.width * r.height * bpp + maskRow * r.height;
        const p = q.peek(n);
        if (!p) return undefined;
        const img = allocImage(r.width, r.height);
        this.conv.row(p.buf, p.off, img.words, 0, r.width * r.height);
        const mask = p.off + r.width * r.height * bpp;
        for (let y = 0; y < r.height; y++) {
          for (let x = 0; x < r.width; x++) {
            const bit = (p.buf[mask + y * maskRow + (x >> 3)]! >> (7 - (x & 7))) & 1;
            img.data[(y * r.width + x) * 4 + 3] = bit ? 255 : 0;
          }
        }
        q.skip(n);
        return { kind: 'cursor', hotX: r.x, hotY: r.y, image: { width: r.width, height: r.height, data: img.data } };
      }
      case Encoding.LastRect:
        return 'last';
      default:
        throw protocolError('UNSUPPORTED_ENCODING', `the server used encoding ${r.encoding}, which was not requested`);
    }
  }
}
