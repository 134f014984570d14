/**
 * PixelFormat (RFC 6143 §7.4): parse and serialise the 16-byte structure, and turn pixels of any
 * true-colour or colour-map format into RGBA. Pixels are handled as packed 32-bit values laid out so
 * that a Uint32Array over an RGBA byte buffer stores them as R, G, B, A bytes (host byte order).
 */
import { endianness } from 'node:os';
import type { ColourMapEntry } from './messages.js';
import { protocolError } from './errors.js';

export interface PixelFormat {
  readonly bitsPerPixel: 8 | 16 | 32;
  readonly depth: number;
  readonly bigEndian: boolean;
  readonly trueColour: boolean;
  readonly redMax: number;
  readonly greenMax: number;
  readonly blueMax: number;
  readonly redShift: number;
  readonly greenShift: number;
  readonly blueShift: number;
}

export const PIXEL_FORMAT_LENGTH = 16;

/** 32 bpp, depth 24, little-endian, shifts 16/8/0: what guacd asks for with color-depth 24/32. */
export const RGB888: PixelFormat = Object.freeze({
  bitsPerPixel: 32, depth: 24, bigEndian: false, trueColour: true,
  redMax: 255, greenMax: 255, blueMax: 255, redShift: 16, greenShift: 8, blueShift: 0,
});
/** 16 bpp 5-6-5 (color-depth 16). */
export const RGB565: PixelFormat = Object.freeze({
  bitsPerPixel: 16, depth: 16, bigEndian: false, trueColour: true,
  redMax: 31, greenMax: 63, blueMax: 31, redShift: 11, greenShift: 5, blueShift: 0,
});
/** 8 bpp BGR233 as libvncclient sets it for color-depth 8. */
export const BGR233: PixelFormat = Object.freeze({
  bitsPerPixel: 8, depth: 8, bigEndian: false, trueColour: true,
  redMax: 7, greenMax: 7, blueMax: 3, redShift: 0, greenShift: 3, blueShift: 6,
});

export function pixelFormatForDepth(colorDepth: 8 | 16 | 24 | 32 | undefined): PixelFormat {
  return colorDepth === 8 ? BGR233 : colorDepth === 16 ? RGB565 : RGB888;
}

export function parsePixelFormat(buf: Uint8Array, offset = 0): PixelFormat {
  const view = new DataView(buf.buffer, buf.byteOffset + offset, PIXEL_FORMAT_LENGTH);
  const bpp = view.getUint8(0);
  if (bpp !== 8 && bpp !== 16 && bpp !== 32) {
    throw protocolError('BAD_PIXEL_FORMAT', `unsupported bits-per-pixel ${bpp}`);
  }
  return {
    bitsPerPixel: bpp,
    depth: view.getUint8(1),
    bigEndian: view.getUint8(2) !== 0,
    trueColour: view.getUint8(3) !== 0,
    redMax: view.getUint16(4),
    greenMax: view.getUint16(6),
    blueMax: view.getUint16(8),
    redShift: view.getUint8(10),
    greenShift: view.getUint8(11),
    blueShift: view.getUint8(12),
  };
}

export function serializePixelFormat(pf: PixelFormat): Buffer {
  const b = Buffer.alloc(PIXEL_FORMAT_LENGTH);
  b.writeUInt8(pf.bitsPerPixel, 0);
  b.writeUInt8(pf.depth, 1);
  b.writeUInt8(pf.bigEndian ? 1 : 0, 2);
  b.writeUInt8(pf.trueColour ? 1 : 0, 3);
  b.writeUInt16BE(pf.redMax, 4);
  b.writeUInt16BE(pf.greenMax, 6);
  b.writeUInt16BE(pf.blueMax, 8);
  b.writeUInt8(pf.redShift, 10);
  b.writeUInt8(pf.greenShift, 11);
  b.writeUInt8(pf.blueShift, 12);
  return b;
}

const LITTLE_ENDIAN_HOST = endianness() === 'LE';

/** Packs 8-bit channels so that a Uint32Array element over RGBA bytes holds them in order. */
export function packRgba(r: number, g: number, b: number, a = 255): number {
  return LITTLE_ENDIAN_HOST ? (r | (g << 8) | (b << 16) | (a << 24)) >>> 0 : ((r << 24) | (g << 16) | (b << 8) | a) >>> 0;
}

export function unpackRgba(p: number): [number, number, number, number] {
  return LITTLE_ENDIAN_HOST
    ? [p & 0xff, (p >>> 8) & 0xff, (p >>> 16) & 0xff, p >>> 24]
    : [p >>> 24, (p >>> 16) & 0xff, (p >>> 8) & 0xff, p & 0xff];
}

function scaleTable(max: number): Uint8Array {
  const t = new Uint8Array(max + 1);
  for (let v = 0; v <= max; v++) t[v] = max === 0 ? 0 : Math.round((v * 255) / max);
  return t;
}

/**
 * Converts pixel values of one format to packed RGBA. Built once per pixel format / colour map.
 * `compactBytes` is the CPIXEL length for ZRLE (3 when the colours fit in 3 of 4 bytes).
 */
export class PixelConverter {
  readonly format: PixelFormat;
  readonly bytesPerPixel: number;
  /** ZRLE's CPIXEL length (RFC 6143 §7.7.6). */
  readonly compactBytes: number;
  /** Where the 3 CPIXEL bytes sit inside a 4-byte pixel in wire order (0 or 1). */
  private readonly compactOffset: number;
  private readonly red: Uint8Array;
  private readonly green: Uint8Array;
  private readonly blue: Uint8Array;
  private readonly palette: Uint32Array | undefined;
  /** 32 bpp little-endian with 8-bit channels at shifts 16/8/0: the common case, converted byte-wise. */
  private readonly fastBgrx: boolean;

  constructor(format: PixelFormat, colourMap?: readonly (ColourMapEntry | undefined)[]) {
    this.format = format;
    this.bytesPerPixel = format.bitsPerPixel >> 3;
    this.red = scaleTable(format.redMax);
    this.green = scaleTable(format.greenMax);
    this.blue = scaleTable(format.blueMax);
    if (!format.trueColour) {
      const size = 1 << format.bitsPerPixel;
      this.palette = new Uint32Array(Math.min(size, 65536)).fill(packRgba(0, 0, 0));
      colourMap?.forEach((c, i) => {
        if (c && i < this.palette!.length) this.palette![i] = packRgba(c.red >> 8, c.green >> 8, c.blue >> 8);
      });
    }
    this.fastBgrx = format.trueColour && format.bitsPerPixel === 32 && !format.bigEndian
      && format.redMax === 255 && format.greenMax === 255 && format.blueMax === 255
      && format.redShift === 16 && format.greenShift === 8 && format.blueShift === 0;
    let compact = this.bytesPerPixel;
    let compactOffset = 0;
    if (format.trueColour && format.bitsPerPixel === 32 && format.depth <= 24) {
      const mask = (format.redMax << format.redShift) | (format.greenMax << format.greenShift) | (format.blueMax << format.blueShift);
      if ((mask & 0xff000000) === 0) {
        compact = 3;
        compactOffset = format.bigEndian ? 1 : 0; // least significant 3 bytes
      } else if ((mask & 0xff) === 0) {
        compact = 3;
        compactOffset = format.bigEndian ? 0 : 1; // most significant 3 bytes
      }
    }
    this.compactBytes = compact;
    this.compactOffset = compactOffset;
  }

  /** The raw pixel value at `off`. */
  value(buf: Uint8Array, off: number): number {
    switch (this.bytesPerPixel) {
      case 1: return buf[off]!;
      case 2: return this.format.bigEndian ? (buf[off]! << 8) | buf[off + 1]! : buf[off]! | (buf[off + 1]! << 8);
      default: return this.format.bigEndian
        ? ((buf[off]! << 24) | (buf[off + 1]! << 16) | (buf[off + 2]! << 8) | buf[off + 3]!) >>> 0
        : (buf[off]! | (buf[off + 1]! << 8) | (buf[off + 2]! << 16) | (buf[off + 3]! << 24)) >>> 0;
    }
  }

  /** Packed RGBA of a pixel value. */
  rgbaOfValue(v: number): number {
    const f = this.format;
    if (this.palette) return this.palette[v] ?? packRgba(0, 0, 0);
    return packRgba(
      this.red[(v >>> f.redShift) & f.redMax]!,
      this.green[(v >>> f.greenShift) & f.greenMax]!,
      this.blue[(v >>> f.blueShift) & f.blueMax]!,
    );
  }

  /** Packed RGBA of the PIXEL at `off`. */
  rgba(buf: Uint8Array, off: number): number {
    if (this.fastBgrx) return packRgba(buf[off + 2]!, buf[off + 1]!, buf[off]!);
    return this.rgbaOfValue(this.value(buf, off));
  }

  /** Packed RGBA of the ZRLE CPIXEL at `off`. */
  compactRgba(buf: Uint8Array, off: number): number {
    if (this.compactBytes === this.bytesPerPixel) return this.rgba(buf, off);
    const b0 = buf[off]!, b1 = buf[off + 1]!, b2 = buf[off + 2]!;
    let v: number;
    if (this.format.bigEndian) v = this.compactOffset === 1 ? (b0 << 16) | (b1 << 8) | b2 : ((b0 << 24) | (b1 << 16) | (b2 << 8)) >>> 0;
    else v = this.compactOffset === 0 ? b0 | (b1 << 8) | (b2 << 16) : ((b0 << 8) | (b1 << 16) | (b2 << 24)) >>> 0;
    return this.rgbaOfValue(v);
  }

  /** Converts `count` PIXELs starting at `off` into `dst[dstIndex…]`. */
  row(buf: Uint8Array, off: number, dst: Uint32Array, dstIndex: number, count: number): void {
    const bpp = this.bytesPerPixel;
    if (this.fastBgrx) {
      if (LITTLE_ENDIAN_HOST) {
        for (let i = 0; i < count; i++, off += 4) {
          dst[dstIndex + i] = (buf[off + 2]! | (buf[off + 1]! << 8) | (buf[off]! << 16) | 0xff000000) >>> 0;
        }
        return;
      }
    }
    for (let i = 0; i < count; i++, off += bpp) dst[dstIndex + i] = this.rgba(buf, off);
  }
}

/**
 * Memory of decoded images that have been copied out (`recycle`), reused by later `alloc`s. A typed array's
 * memory lives outside V8's heap: QEMU sends a text frame as ~70 small rectangles, all decoded before the
 * first is drawn, and fresh memory for each (a megabyte of pixels a frame) made V8 start a full collection
 * every second or so. Bounded in count and bytes; past them the smallest buffers are left to V8.
 */
export class ImageMemoryPool {
  readonly #spares: ArrayBuffer[] = [];
  #bytes = 0;

  constructor(private readonly maxBuffers = 256, private readonly maxBytes = 16 * 1024 * 1024) {}

  /** Buffers and bytes kept for reuse. */
  get size(): { buffers: number; bytes: number } {
    return { buffers: this.#spares.length, bytes: this.#bytes };
  }

  /** A new RGBA image (all zero) with a Uint32 view for packed writes. */
  alloc(width: number, height: number): { width: number; height: number; data: Uint8Array; words: Uint32Array } {
    const bytes = width * height * 4;
    // The smallest spare that fits, so that small rectangles leave the large buffers to large ones.
    const spares = this.#spares;
    let best = -1;
    for (let i = 0; i < spares.length; i++) {
      const size = spares[i]!.byteLength;
      if (size >= bytes && (best < 0 || size < spares[best]!.byteLength)) best = i;
    }
    let data: Uint8Array;
    if (best >= 0) {
      data = new Uint8Array(this.#take(best), 0, bytes).fill(0);
    } else {
      data = new Uint8Array(bytes);
    }
    return { width, height, data, words: new Uint32Array(data.buffer, data.byteOffset, width * height) };
  }

  /** Takes back an image's memory once its pixels were copied elsewhere; nothing may use `image` afterwards. */
  recycle(image: { readonly data: Uint8Array }): void {
    const buffer = image.data.buffer;
    if (!(buffer instanceof ArrayBuffer) || buffer.byteLength === 0 || buffer.byteLength > this.maxBytes) return;
    const spares = this.#spares;
    if (spares.includes(buffer)) return;
    while (spares.length > 0 && (spares.length >= this.maxBuffers || this.#bytes + buffer.byteLength > this.maxBytes)) {
      let smallest = 0;
      for (let i = 1; i < spares.length; i++) if (spares[i]!.byteLength < spares[smallest]!.byteLength) smallest = i;
      if (spares[smallest]!.byteLength >= buffer.byteLength) return;
      this.#take(smallest);
    }
    spares.push(buffer);
    this.#bytes += buffer.byteLength;
  }

  #take(i: number): ArrayBuffer {
    const spares = this.#spares;
    const buffer = spares[i]!;
    spares[i] = spares[spares.length - 1]!;
    spares.pop();
    this.#bytes -= buffer.byteLength;
    return buffer;
  }
}

/** Shared by every session: all decoding runs on one thread, and each image is copied out before the next read. */
const sharedPool = new ImageMemoryPool();

/** A new RGBA image (all zero), from the shared pool. */
export const allocImage = (width: number, height: number): ReturnType<ImageMemoryPool['alloc']> => sharedPool.alloc(width, height);

/** Gives a decoded image's memory back to the shared pool once the display copied its pixels. */
export const recycleImage = (image: { readonly data: Uint8Array }): void => sharedPool.recycle(image);
