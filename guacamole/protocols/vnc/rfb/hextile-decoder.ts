/**
 * Hextile (RFC 6143 §7.7.4) and RRE (§7.7.3). Hextile has no length prefix, so it is decoded one
 * 16×16 tile at a time from the queue and resumes where it stopped when bytes run out.
 */
import { allocImage, type PixelConverter } from './pixel-format.js';
import type { ByteQueue } from './byte-queue.js';
import type { DecodedArea } from './zrle-decoder.js';
import { protocolError } from './errors.js';

const RAW = 1, BACKGROUND = 2, FOREGROUND = 4, ANY_SUBRECTS = 8, SUBRECTS_COLOURED = 16;

export class HextileDecoder {
  private readonly img;
  private tile = 0;
  private readonly cols: number;
  private readonly tiles: number;
  private bg = 0;
  private fg = 0;
  private allSolid = true;
  private solid: number | undefined;

  constructor(private readonly width: number, private readonly height: number, private readonly conv: PixelConverter) {
    this.img = allocImage(width, height);
    this.cols = Math.ceil(width / 16);
    this.tiles = this.cols * Math.ceil(height / 16);
  }

  /** Decodes as many tiles as are queued; the result once the last tile is in, else undefined. */
  feed(q: ByteQueue): DecodedArea | undefined {
    const bpp = this.conv.bytesPerPixel;
    const out = this.img.words;
    const width = this.width;
    while (this.tile < this.tiles) {
      const tx = (this.tile % this.cols) * 16;
      const ty = Math.floor(this.tile / this.cols) * 16;
      const tw = Math.min(16, width - tx);
      const th = Math.min(16, this.height - ty);
      const head = q.peek(1);
      if (!head) return undefined;
      const mask = head.buf[head.off]!;
      let need: number;
      if (mask & RAW) need = 1 + tw * th * bpp;
      else {
        need = 1 + (mask & BACKGROUND ? bpp : 0) + (mask & FOREGROUND ? bpp : 0);
        if (mask & ANY_SUBRECTS) {
          const p = q.peek(need + 1);
          if (!p) return undefined;
          const n = p.buf[p.off + need]!;
          need += 1 + n * (mask & SUBRECTS_COLOURED ? bpp + 2 : 2);
        }
      }
      const p = q.peek(need);
      if (!p) return undefined;
      const b = p.buf;
      let pos = p.off + 1;
      if (mask & RAW) {
        this.allSolid = false;
        for (let y = 0; y < th; y++, pos += tw * bpp) this.conv.row(b, pos, out, (ty + y) * width + tx, tw);
      } else {
        if (mask & BACKGROUND) { this.bg = this.conv.rgba(b, pos); pos += bpp; }
        if (mask & FOREGROUND) { this.fg = this.conv.rgba(b, pos); pos += bpp; }
        for (let y = 0; y < th; y++) out.fill(this.bg, (ty + y) * width + tx, (ty + y) * width + tx + tw);
        if (this.allSolid) {
          if (this.solid === undefined) this.solid = this.bg;
          else if (this.solid !== this.bg) this.allSolid = false;
        }
        if (mask & ANY_SUBRECTS) {
          const n = b[pos++]!;
          if (n > 0) this.allSolid = false;
          for (let i = 0; i < n; i++) {
            let colour = this.fg;
            if (mask & SUBRECTS_COLOURED) { colour = this.conv.rgba(b, pos); pos += bpp; }
            const xy = b[pos++]!, wh = b[pos++]!;
            const sx = xy >> 4, sy = xy & 15, sw = (wh >> 4) + 1, sh = (wh & 15) + 1;
            if (sx + sw > tw || sy + sh > th) throw protocolError('BAD_SUBENCODING', 'Hextile sub-rectangle outside its tile');
            for (let y = sy; y < sy + sh; y++) {
              const row = (ty + y) * width + tx;
              out.fill(colour, row + sx, row + sx + sw);
            }
          }
        }
      }
      q.skip(need);
      this.tile++;
    }
    return { image: { width, height: this.height, data: this.img.data }, solid: this.allSolid ? this.solid : undefined };
  }
}

/** RRE body after its 4-byte sub-rectangle count: background then `n` (pixel, x, y, w, h) records. */
export function rreLength(n: number, bpp: number): number {
  return bpp + n * (bpp + 8);
}

export function decodeRre(b: Buffer, off: number, n: number, width: number, height: number, conv: PixelConverter): DecodedArea {
  const bpp = conv.bytesPerPixel;
  const bg = conv.rgba(b, off);
  off += bpp;
  if (n === 0) return { image: { width, height, data: new Uint8Array(0) }, solid: bg };
  const img = allocImage(width, height);
  img.words.fill(bg);
  for (let i = 0; i < n; i++) {
    const c = conv.rgba(b, off);
    off += bpp;
    const x = b.readUInt16BE(off), y = b.readUInt16BE(off + 2), w = b.readUInt16BE(off + 4), h = b.readUInt16BE(off + 6);
    off += 8;
    if (x + w > width || y + h > height) throw protocolError('BAD_SUBENCODING', 'RRE sub-rectangle outside its rectangle');
    for (let r = y; r < y + h; r++) img.words.fill(c, r * width + x, r * width + x + w);
  }
  return { image: { width, height, data: img.data }, solid: undefined };
}
