/**
 * Tight encoding (TightVNC; RFB community registry, encoding 7) and Tight PNG (-260, QEMU and
 * libvncserver): fill, JPEG, PNG and basic compression with copy, palette and gradient filters over
 * four persistent zlib streams. JPEG and PNG rectangles are handed on as they came, not decoded:
 * the display decides whether the client can take them as they are.
 */
import type { ByteQueue } from './byte-queue.js';
import { protocolError } from './errors.js';
import type { EncodedImageType } from './messages.js';
import { allocImage, packRgba, type PixelConverter } from './pixel-format.js';
import { ZlibStream } from './zlib-stream.js';
import type { DecodedArea } from './zrle-decoder.js';

const FILL = 0x08, JPEG = 0x09, PNG = 0x0a;

/** A Tight JPEG or PNG rectangle: the image file's bytes, copied out of the receive queue. */
export interface EncodedArea {
  readonly mimetype: EncodedImageType;
  readonly data: Uint8Array;
}
const FILTER_COPY = 0, FILTER_PALETTE = 1, FILTER_GRADIENT = 2;
const MIN_TO_COMPRESS = 12;

/** Tight's 1–3 byte length at `off` of the queued bytes: value and size, or undefined if not all there. */
function compactLength(q: ByteQueue, off: number): { value: number; size: number } | undefined {
  let value = 0;
  for (let i = 0; i < 3; i++) {
    const p = q.peek(off + i + 1);
    if (!p) return undefined;
    const b = p.buf[p.off + off + i]!;
    value |= (i === 2 ? b : b & 0x7f) << (7 * i);
    if (i === 2 || !(b & 0x80)) return { value, size: i + 1 };
  }
  return undefined;
}

export class TightDecoder {
  private readonly streams = [new ZlibStream(), new ZlibStream(), new ZlibStream(), new ZlibStream()];

  /** TPIXEL length: 3 bytes (R, G, B) for 32 bpp depth 24 with 8-bit channels, else a PIXEL. */
  private static tpixel(conv: PixelConverter): number {
    const f = conv.format;
    return f.trueColour && f.bitsPerPixel === 32 && f.depth === 24 && f.redMax === 255 && f.greenMax === 255 && f.blueMax === 255
      ? 3 : conv.bytesPerPixel;
  }

  private static readTpixel(conv: PixelConverter, size: number, b: Uint8Array, off: number): number {
    return size === 3 ? packRgba(b[off]!, b[off + 1]!, b[off + 2]!) : conv.rgba(b, off);
  }

  /** Decodes one rectangle once all its bytes are queued; undefined until then. */
  feed(q: ByteQueue, width: number, height: number, conv: PixelConverter): DecodedArea | EncodedArea | undefined {
    const h = q.peek(1);
    if (!h) return undefined;
    const control = h.buf[h.off]!;
    const type = control >> 4;
    const tpx = TightDecoder.tpixel(conv);

    if (type === FILL) {
      const p = q.peek(1 + tpx);
      if (!p) return undefined;
      const colour = TightDecoder.readTpixel(conv, tpx, p.buf, p.off + 1);
      this.resetStreams(control);
      q.skip(1 + tpx);
      return { image: { width, height, data: new Uint8Array(0) }, solid: colour };
    }
    if (type === JPEG || type === PNG) {
      const len = compactLength(q, 1);
      if (!len) return undefined;
      const p = q.peek(1 + len.size + len.value);
      if (!p) return undefined;
      const start = p.off + 1 + len.size;
      this.resetStreams(control);
      const data = new Uint8Array(p.buf.subarray(start, start + len.value));
      q.skip(1 + len.size + len.value);
      return { mimetype: type === JPEG ? 'image/jpeg' : 'image/png', data };
    }
    if (type & 0x08) throw protocolError('BAD_SUBENCODING', `Tight compression type ${type} is not supported`);

    // Basic compression.
    const streamId = type & 0x03;
    let header = 1;
    let filter = FILTER_COPY;
    if (type & 0x04) {
      const p = q.peek(2);
      if (!p) return undefined;
      filter = p.buf[p.off + 1]!;
      header = 2;
    }
    let paletteSize = 0;
    if (filter === FILTER_PALETTE) {
      const p = q.peek(header + 1);
      if (!p) return undefined;
      paletteSize = p.buf[p.off + header]! + 1;
      header += 1 + paletteSize * tpx;
    } else if (filter !== FILTER_COPY && filter !== FILTER_GRADIENT) {
      throw protocolError('BAD_SUBENCODING', `Tight filter ${filter} is not defined`);
    }
    const rowBytes = filter === FILTER_PALETTE ? (paletteSize <= 2 ? (width + 7) >> 3 : width) : width * tpx;
    const rawSize = rowBytes * height;
    let total: number;
    let dataOff: number;
    if (rawSize < MIN_TO_COMPRESS) {
      total = header + rawSize;
      dataOff = header;
    } else {
      const len = compactLength(q, header);
      if (!len) return undefined;
      dataOff = header + len.size;
      total = dataOff + len.value;
    }
    const p = q.peek(total);
    if (!p) return undefined;
    this.resetStreams(control);
    let data: Uint8Array = p.buf.subarray(p.off + dataOff, p.off + total);
    if (rawSize >= MIN_TO_COMPRESS) data = this.streams[streamId]!.inflate(data, rawSize + 1024);
    if (data.length < rawSize) throw protocolError('BAD_SUBENCODING', 'Tight data is shorter than its rectangle');
    const palette: number[] = [];
    for (let i = 0; i < paletteSize; i++) palette.push(TightDecoder.readTpixel(conv, tpx, p.buf, p.off + header - (paletteSize - i) * tpx));
    q.skip(total);

    const img = allocImage(width, height);
    const out = img.words;
    if (filter === FILTER_PALETTE) {
      for (let y = 0; y < height; y++) {
        for (let x = 0; x < width; x++) {
          const idx = paletteSize <= 2 ? (data[y * rowBytes + (x >> 3)]! >> (7 - (x & 7))) & 1 : data[y * rowBytes + x]!;
          out[y * width + x] = palette[idx] ?? palette[0]!;
        }
      }
    } else if (filter === FILTER_COPY) {
      for (let i = 0, o = 0; i < width * height; i++, o += tpx) out[i] = TightDecoder.readTpixel(conv, tpx, data, o);
    } else {
      this.gradient(data, width, height, tpx, conv, out);
    }
    return { image: { width, height, data: img.data }, solid: undefined };
  }

  /** Gradient filter: each channel is predicted as left + up − up-left, clamped, and the data is the difference. */
  private gradient(data: Uint8Array, width: number, height: number, tpx: number, conv: PixelConverter, out: Uint32Array): void {
    const f = conv.format;
    const max = tpx === 3 ? [255, 255, 255] : [f.redMax, f.greenMax, f.blueMax];
    const shift = [f.redShift, f.greenShift, f.blueShift];
    let prev = new Uint16Array(width * 3);
    let cur = new Uint16Array(width * 3);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const o = (y * width + x) * tpx;
        const v = tpx === 3 ? 0 : conv.value(data, o);
        for (let c = 0; c < 3; c++) {
          const left = x > 0 ? cur[(x - 1) * 3 + c]! : 0;
          const up = prev[x * 3 + c]!;
          const upLeft = x > 0 ? prev[(x - 1) * 3 + c]! : 0;
          const pred = Math.min(max[c]!, Math.max(0, left + up - upLeft));
          const diff = tpx === 3 ? data[o + c]! : (v >>> shift[c]!) & max[c]!;
          cur[x * 3 + c] = (pred + diff) & max[c]!;
        }
        const r = cur[x * 3]!, g = cur[x * 3 + 1]!, b = cur[x * 3 + 2]!;
        out[y * width + x] = tpx === 3 ? packRgba(r, g, b) : conv.rgbaOfValue((r << f.redShift) | (g << f.greenShift) | (b << f.blueShift));
      }
      [prev, cur] = [cur, prev];
    }
  }

  private resetStreams(control: number): void {
    for (let i = 0; i < 4; i++) if (control & (1 << i)) this.streams[i]!.reset();
  }
}
