import { GLYPH_H, GLYPH_W, glyph } from './font.js';

/** An RGB framebuffer with a text renderer, for the built-in console. */
export class Framebuffer {
  readonly rgb: Uint8Array;

  constructor(
    readonly width: number,
    readonly height: number,
  ) {
    this.rgb = new Uint8Array(width * height * 3);
  }

  fill(r: number, g: number, b: number): void {
    for (let i = 0; i < this.rgb.length; i += 3) {
      this.rgb[i] = r;
      this.rgb[i + 1] = g;
      this.rgb[i + 2] = b;
    }
  }

  /** Draws `text` at (x, y) with each font pixel `scale`×`scale`. */
  text(x: number, y: number, text: string, scale: number, rgb: readonly [number, number, number]): void {
    let cx = x;
    for (const ch of text) {
      const rows = glyph(ch);
      for (let row = 0; row < GLYPH_H; row++) {
        for (let col = 0; col < GLYPH_W; col++) {
          if (!((rows[row]! >> (GLYPH_W - 1 - col)) & 1)) continue;
          for (let dy = 0; dy < scale; dy++) {
            for (let dx = 0; dx < scale; dx++) this.set(cx + col * scale + dx, y + row * scale + dy, rgb);
          }
        }
      }
      cx += (GLYPH_W + 1) * scale;
    }
  }

  private set(x: number, y: number, [r, g, b]: readonly [number, number, number]): void {
    if (x < 0 || y < 0 || x >= this.width || y >= this.height) return;
    const i = (y * this.width + x) * 3;
    this.rgb[i] = r;
    this.rgb[i + 1] = g;
    this.rgb[i + 2] = b;
  }
}

/** RFB pixel format (RFC 6143 §7.4). */
export interface PixelFormat {
  bitsPerPixel: number;
  depth: number;
  bigEndian: boolean;
  trueColour: boolean;
  redMax: number;
  greenMax: number;
  blueMax: number;
  redShift: number;
  greenShift: number;
  blueShift: number;
}

export const DEFAULT_PIXEL_FORMAT: PixelFormat = {
  bitsPerPixel: 32,
  depth: 24,
  bigEndian: false,
  trueColour: true,
  redMax: 255,
  greenMax: 255,
  blueMax: 255,
  redShift: 16,
  greenShift: 8,
  blueShift: 0,
};

/** Encodes the whole framebuffer as raw pixels in `pf`. */
export function encodeRaw(fb: Framebuffer, pf: PixelFormat): Buffer {
  const bpp = pf.bitsPerPixel / 8;
  const out = Buffer.alloc(fb.width * fb.height * bpp);
  for (let p = 0, o = 0; p < fb.rgb.length; p += 3, o += bpp) {
    const v =
      ((Math.round((fb.rgb[p]! * pf.redMax) / 255) << pf.redShift) |
        (Math.round((fb.rgb[p + 1]! * pf.greenMax) / 255) << pf.greenShift) |
        (Math.round((fb.rgb[p + 2]! * pf.blueMax) / 255) << pf.blueShift)) >>>
      0;
    if (bpp === 4) {
      if (pf.bigEndian) out.writeUInt32BE(v, o);
      else out.writeUInt32LE(v, o);
    } else if (bpp === 2) {
      if (pf.bigEndian) out.writeUInt16BE(v & 0xffff, o);
      else out.writeUInt16LE(v & 0xffff, o);
    } else out[o] = v & 0xff;
  }
  return out;
}

export function encodePixelFormat(pf: PixelFormat): Buffer {
  const b = Buffer.alloc(16);
  b[0] = pf.bitsPerPixel;
  b[1] = pf.depth;
  b[2] = pf.bigEndian ? 1 : 0;
  b[3] = pf.trueColour ? 1 : 0;
  b.writeUInt16BE(pf.redMax, 4);
  b.writeUInt16BE(pf.greenMax, 6);
  b.writeUInt16BE(pf.blueMax, 8);
  b[10] = pf.redShift;
  b[11] = pf.greenShift;
  b[12] = pf.blueShift;
  return b;
}

export function decodePixelFormat(b: Buffer): PixelFormat {
  return {
    bitsPerPixel: b[0]!,
    depth: b[1]!,
    bigEndian: b[2] !== 0,
    trueColour: b[3] !== 0,
    redMax: b.readUInt16BE(4),
    greenMax: b.readUInt16BE(6),
    blueMax: b.readUInt16BE(8),
    redShift: b[10]!,
    greenShift: b[11]!,
    blueShift: b[12]!,
  };
}
