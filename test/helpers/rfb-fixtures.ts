/**
 * A test-only writer of RFB server bytes (like pg's test-buffers.ts), written from RFC 6143 and
 * independent of the client's encoder and decoders. Colours are [r, g, b] with 8-bit channels.
 */
import { constants, createDeflate, type Deflate } from 'node:zlib';

export type Rgb = readonly [number, number, number];

export const u8 = (v: number): Buffer => Buffer.from([v & 0xff]);
export const u16 = (v: number): Buffer => { const b = Buffer.alloc(2); b.writeUInt16BE(v); return b; };
export const u32 = (v: number): Buffer => { const b = Buffer.alloc(4); b.writeUInt32BE(v >>> 0); return b; };
export const s32 = (v: number): Buffer => { const b = Buffer.alloc(4); b.writeInt32BE(v); return b; };
export const cat = (...parts: Buffer[]): Buffer => Buffer.concat(parts);
export const str = (s: string, enc: BufferEncoding = 'latin1'): Buffer => Buffer.from(s, enc);

/** The 16-byte PixelFormat as written by the server: 32 bpp, depth 24, little-endian, shifts 16/8/0. */
export function pixelFormat32(): Buffer {
  return cat(u8(32), u8(24), u8(0), u8(1), u16(255), u16(255), u16(255), u8(16), u8(8), u8(0), Buffer.alloc(3));
}

/** PIXEL for the 32 bpp little-endian format above: B, G, R, padding. */
export const px32 = ([r, g, b]: Rgb): Buffer => Buffer.from([b, g, r, 0]);
/** PIXEL for 16 bpp 5-6-5 little-endian (only exact 565 colours round-trip). */
export const px565 = ([r, g, b]: Rgb): Buffer => {
  const v = ((r >> 3) << 11) | ((g >> 2) << 5) | (b >> 3);
  return Buffer.from([v & 0xff, v >> 8]);
};
/** ZRLE CPIXEL for the 32 bpp format: the three least significant bytes, B, G, R. */
export const cpx32 = ([r, g, b]: Rgb): Buffer => Buffer.from([b, g, r]);

export const rectHeader = (x: number, y: number, w: number, h: number, encoding: number): Buffer =>
  cat(u16(x), u16(y), u16(w), u16(h), s32(encoding));

export const framebufferUpdate = (rects: Buffer[], count = rects.length): Buffer =>
  cat(u8(0), u8(0), u16(count), ...rects);

export const rawRect = (x: number, y: number, w: number, h: number, pixels: Rgb[], px = px32): Buffer =>
  cat(rectHeader(x, y, w, h, 0), ...pixels.map(px));

export const copyRect = (x: number, y: number, w: number, h: number, srcX: number, srcY: number): Buffer =>
  cat(rectHeader(x, y, w, h, 1), u16(srcX), u16(srcY));

export const rreRect = (x: number, y: number, w: number, h: number, bg: Rgb,
  subs: { c: Rgb; x: number; y: number; w: number; h: number }[]): Buffer =>
  cat(rectHeader(x, y, w, h, 2), u32(subs.length), px32(bg),
    ...subs.map((s) => cat(px32(s.c), u16(s.x), u16(s.y), u16(s.w), u16(s.h))));

export const desktopSize = (w: number, h: number): Buffer => rectHeader(0, 0, w, h, -223);

export const extendedDesktopSize = (w: number, h: number, reason: number, status: number): Buffer =>
  cat(rectHeader(reason, status, w, h, -308), u8(1), Buffer.alloc(3), u32(7), u16(0), u16(0), u16(w), u16(h), u32(0));

export const lastRect = (): Buffer => rectHeader(0, 0, 0, 0, -224);

/** Cursor pseudo-rectangle: pixels then a 1-bit mask, rows padded to whole bytes. */
export function cursorRect(hotX: number, hotY: number, w: number, h: number, pixels: Rgb[], mask: number[][]): Buffer {
  const rowBytes = Math.ceil(w / 8);
  const m = Buffer.alloc(rowBytes * h);
  mask.forEach((row, y) => row.forEach((bit, x) => { if (bit) m[y * rowBytes + (x >> 3)]! |= 0x80 >> (x & 7); }));
  return cat(rectHeader(hotX, hotY, w, h, -239), ...pixels.map(px32), m);
}

export const bell = (): Buffer => u8(2);
export const serverCutText = (text: string): Buffer => cat(u8(3), Buffer.alloc(3), u32(Buffer.byteLength(text, 'latin1')), str(text));
export const colourMapEntries = (first: number, colours: [number, number, number][]): Buffer =>
  cat(u8(1), u8(0), u16(first), u16(colours.length), ...colours.flatMap(([r, g, b]) => [u16(r), u16(g), u16(b)]));

// ---- Hextile (RFC 6143 §7.7.4) ----
export const hextile = {
  raw: (pixels: Rgb[]): Buffer => cat(u8(1), ...pixels.map(px32)),
  /** Background only (or nothing: 0 reuses the previous background). */
  bg: (c?: Rgb): Buffer => (c ? cat(u8(2), px32(c)) : u8(0)),
  /** Background, foreground and single-colour sub-rectangles. */
  fg: (bg: Rgb, fg: Rgb, subs: [number, number, number, number][]): Buffer =>
    cat(u8(2 | 4 | 8), px32(bg), px32(fg), u8(subs.length), ...subs.map(([x, y, w, h]) => Buffer.from([(x << 4) | y, ((w - 1) << 4) | (h - 1)]))),
  coloured: (bg: Rgb, subs: [Rgb, number, number, number, number][]): Buffer =>
    cat(u8(2 | 8 | 16), px32(bg), u8(subs.length), ...subs.map(([c, x, y, w, h]) => cat(px32(c), Buffer.from([(x << 4) | y, ((w - 1) << 4) | (h - 1)])))),
};

// ---- ZRLE tiles (RFC 6143 §7.7.6), before compression ----
function runLength(n: number): Buffer {
  const out: number[] = [];
  let left = n - 1;
  while (left >= 255) { out.push(255); left -= 255; }
  out.push(left);
  return Buffer.from(out);
}

export const zrleTile = {
  raw: (pixels: Rgb[]): Buffer => cat(u8(0), ...pixels.map(cpx32)),
  solid: (c: Rgb): Buffer => cat(u8(1), cpx32(c)),
  /** Packed palette: indices row by row, `w` wide, packed MSB first at 1, 2 or 4 bits, rows padded. */
  packed: (palette: Rgb[], w: number, indices: number[]): Buffer => {
    const bits = palette.length === 2 ? 1 : palette.length <= 4 ? 2 : 4;
    const rows: Buffer[] = [];
    for (let y = 0; y * w < indices.length; y++) {
      const row = Buffer.alloc(Math.ceil((w * bits) / 8));
      for (let x = 0; x < w; x++) {
        const bit = x * bits;
        row[bit >> 3]! |= indices[y * w + x]! << (8 - bits - (bit & 7));
      }
      rows.push(row);
    }
    return cat(u8(palette.length), ...palette.map(cpx32), ...rows);
  },
  plainRle: (runs: [Rgb, number][]): Buffer => cat(u8(128), ...runs.map(([c, n]) => cat(cpx32(c), runLength(n)))),
  paletteRle: (palette: Rgb[], runs: [number, number][]): Buffer =>
    cat(u8(128 + palette.length), ...palette.map(cpx32),
      ...runs.map(([i, n]) => (n === 1 ? u8(i) : cat(u8(i | 0x80), runLength(n))))),
};

/** One zlib stream for a connection's ZRLE rectangles, flushed (Z_SYNC_FLUSH) after each one. */
export class ZrleWriter {
  private readonly deflate: Deflate = createDeflate();
  private readonly out: Buffer[] = [];

  constructor() {
    this.deflate.on('data', (c: Buffer) => this.out.push(c));
  }

  async compress(payload: Buffer): Promise<Buffer> {
    this.deflate.write(payload);
    await new Promise<void>((resolve) => this.deflate.flush(constants.Z_SYNC_FLUSH, () => resolve()));
    const data = Buffer.concat(this.out);
    this.out.length = 0;
    return data;
  }

  async rect(x: number, y: number, w: number, h: number, tiles: Buffer[]): Promise<Buffer> {
    const data = await this.compress(Buffer.concat(tiles));
    return cat(rectHeader(x, y, w, h, 16), u32(data.length), data);
  }

  close(): void {
    this.deflate.close();
  }
}

// ---- Handshake (RFC 6143 §7.1–7.3), server side ----
export const server = {
  version: (v: '3.3' | '3.7' | '3.8' | string): Buffer => str(/^\d\.\d$/.test(v) ? `RFB 003.00${v[2]}\n` : v),
  securityTypes: (types: number[]): Buffer => cat(u8(types.length), Buffer.from(types)),
  security33: (type: number): Buffer => u32(type),
  reason: (text: string): Buffer => cat(u32(Buffer.byteLength(text)), str(text, 'utf8')),
  result: (ok: boolean): Buffer => u32(ok ? 0 : 1),
  serverInit: (w: number, h: number, name: string): Buffer =>
    cat(u16(w), u16(h), pixelFormat32(), u32(Buffer.byteLength(name)), str(name, 'utf8')),
};

/** RGBA bytes of an image given as colours (alpha 255), for comparisons. */
export function rgbaOf(pixels: Rgb[]): Uint8Array {
  return Uint8Array.from(pixels.flatMap(([r, g, b]) => [r, g, b, 255]));
}

// ---- Tight (TightVNC, encoding 7), for the 32 bpp depth-24 format whose TPIXEL is R, G, B ----
export const tpx = ([r, g, b]: Rgb): Buffer => Buffer.from([r, g, b]);

/** Tight's compact length: 7 bits per byte, low first, high bit = more. */
export function compactLength(n: number): Buffer {
  const out = [n & 0x7f];
  if (n > 0x7f) {
    out[0]! |= 0x80;
    out.push((n >> 7) & 0x7f);
    if (n > 0x3fff) {
      out[1]! |= 0x80;
      out.push((n >> 14) & 0xff);
    }
  }
  return Buffer.from(out);
}

export const tight = {
  fill: (x: number, y: number, w: number, h: number, c: Rgb): Buffer => cat(rectHeader(x, y, w, h, 7), u8(0x80), tpx(c)),
  jpeg: (x: number, y: number, w: number, h: number, jpegData: Buffer): Buffer =>
    cat(rectHeader(x, y, w, h, 7), u8(0x90), compactLength(jpegData.length), jpegData),
  /** Tight PNG (encoding -260): compression type 0xA, then the PNG file. */
  png: (x: number, y: number, w: number, h: number, pngData: Buffer): Buffer =>
    cat(rectHeader(x, y, w, h, -260), u8(0xa0), compactLength(pngData.length), pngData),
  /** Basic compression, copy filter, on zlib stream `stream` (compressed with `z` when 12 bytes or more). */
  copy: async (x: number, y: number, w: number, h: number, pixels: Rgb[], z: ZrleWriter, stream = 0): Promise<Buffer> => {
    const data = cat(...pixels.map(tpx));
    const body = data.length < 12 ? data : await z.compress(data).then((c) => cat(compactLength(c.length), c));
    return cat(rectHeader(x, y, w, h, 7), u8(stream << 4), body);
  },
  /** Basic compression with the palette filter; indices one per pixel, packed 1 bit per pixel for 2 colours. */
  palette: async (x: number, y: number, w: number, h: number, palette: Rgb[], indices: number[], z: ZrleWriter, stream = 1): Promise<Buffer> => {
    let data: Buffer;
    if (palette.length === 2) {
      const rowBytes = Math.ceil(w / 8);
      data = Buffer.alloc(rowBytes * h);
      indices.forEach((v, i) => { if (v) data[Math.floor(i / w) * rowBytes + ((i % w) >> 3)]! |= 0x80 >> ((i % w) & 7); });
    } else data = Buffer.from(indices);
    const body = data.length < 12 ? data : await z.compress(data).then((c) => cat(compactLength(c.length), c));
    return cat(rectHeader(x, y, w, h, 7), u8(0x40 | (stream << 4)), u8(1), u8(palette.length - 1), ...palette.map(tpx), body);
  },
};
