/**
 * One layer's pixels (8-bit RGBA, row-major) and what changed since the last flush:
 * dirty rectangles, to be sent as images or fills with their final pixels, and the moves
 * (CopyRect) to be replayed by the client in order before them.
 */
import { DirtyRegion } from './dirty.js';
import { clip, isEmpty, type Rect } from './rect.js';

export interface RgbaImage {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
}

/** An area moved within the surface, replayed on the client with `copy`. */
export interface MoveOp {
  readonly kind: 'copy';
  readonly sx: number;
  readonly sy: number;
  readonly width: number;
  readonly height: number;
  readonly dx: number;
  readonly dy: number;
}

/** The surface changed size (`size` instruction). */
export interface ResizeOp {
  readonly kind: 'size';
  readonly width: number;
  readonly height: number;
}

/** A solid rectangle drawn on the client with `rect` + `cfill` (nothing marked dirty). */
export interface FillOp {
  readonly kind: 'fill';
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  readonly rgba: readonly [number, number, number, number];
}

/** An area copied in from another layer (an off-screen buffer), replayed with `copy,<srcLayer>,…`. */
export interface BlitOp {
  readonly kind: 'blit';
  readonly srcLayer: number;
  readonly sx: number;
  readonly sy: number;
  readonly width: number;
  readonly height: number;
  readonly dx: number;
  readonly dy: number;
}

export type SurfaceOp = MoveOp | ResizeOp | FillOp | BlitOp;

export class Surface {
  #width: number;
  #height: number;
  #data: Uint8Array;
  readonly dirty = new DirtyRegion();
  /** Moves and resizes in the order they happened; sent before the dirty rectangles. */
  #ops: SurfaceOp[] = [];

  constructor(width = 0, height = 0) {
    this.#width = width;
    this.#height = height;
    this.#data = new Uint8Array(width * height * 4);
  }

  get width(): number {
    return this.#width;
  }
  get height(): number {
    return this.#height;
  }
  get data(): Uint8Array {
    return this.#data;
  }

  /** Resizes, keeping the pixels that still fit; new areas are transparent black. */
  resize(width: number, height: number): void {
    if (width === this.#width && height === this.#height) return;
    const next = new Uint8Array(width * height * 4);
    const rowBytes = Math.min(width, this.#width) * 4;
    for (let y = 0; y < Math.min(height, this.#height); y++) {
      next.set(this.#data.subarray(y * this.#width * 4, y * this.#width * 4 + rowBytes), y * width * 4);
    }
    this.#data = next;
    this.#width = width;
    this.#height = height;
    this.dirty.clip(width, height);
    this.#ops.push({ kind: 'size', width, height });
  }

  /** Draws `image` at (x, y), clipped to the surface. */
  put(x: number, y: number, image: RgbaImage): void {
    const r = clip({ x, y, width: image.width, height: image.height }, this.#width, this.#height);
    if (r.width <= 0 || r.height <= 0) return;
    const srcX = r.x - x;
    for (let row = 0; row < r.height; row++) {
      const src = ((r.y - y + row) * image.width + srcX) * 4;
      this.#data.set(image.data.subarray(src, src + r.width * 4), ((r.y + row) * this.#width + r.x) * 4);
    }
    this.dirty.add(r);
  }

  /** Fills a rectangle with one colour. */
  fill(x: number, y: number, width: number, height: number, rgba: readonly [number, number, number, number]): void {
    const r = this.#fillPixels(x, y, width, height, rgba);
    if (r) this.dirty.add(r);
  }

  /**
   * Fills a rectangle with one colour and queues it as a `rect`+`cfill` instruction instead of
   * marking it dirty (text terminals clear and paint backgrounds this way).
   */
  paint(x: number, y: number, width: number, height: number, rgba: readonly [number, number, number, number]): void {
    const r = this.#fillPixels(x, y, width, height, rgba);
    if (r) this.#ops.push({ kind: 'fill', x: r.x, y: r.y, width: r.width, height: r.height, rgba: [rgba[0], rgba[1], rgba[2], rgba[3]] });
  }

  /** Sets the pixels of a rectangle, clipped to the surface; the clipped rectangle, or undefined when empty. */
  #fillPixels(x: number, y: number, width: number, height: number, rgba: readonly [number, number, number, number]): Rect | undefined {
    const r = clip({ x, y, width, height }, this.#width, this.#height);
    if (isEmpty(r)) return undefined;
    const row = new Uint8Array(r.width * 4);
    for (let i = 0; i < row.length; i += 4) row.set(rgba, i);
    for (let j = 0; j < r.height; j++) this.#data.set(row, ((r.y + j) * this.#width + r.x) * 4);
    return r;
  }

  /**
   * Copies an area of another surface (an off-screen buffer whose index on the client is
   * `srcLayer`) into this one and queues a `copy` from that layer. The source's pixels must reach
   * the client before this surface's operations (Display sends buffers first).
   */
  blit(src: Surface, srcLayer: number, sx: number, sy: number, width: number, height: number, dx: number, dy: number): void {
    if (dx < 0) [width, sx, dx] = [width + dx, sx - dx, 0];
    if (dy < 0) [height, sy, dy] = [height + dy, sy - dy, 0];
    width = Math.min(width, this.#width - dx, src.width - sx);
    height = Math.min(height, this.#height - dy, src.height - sy);
    if (width <= 0 || height <= 0 || sx < 0 || sy < 0) return;
    // Pixel by pixel through 32-bit views: no per-row allocation (terminals blit thousands of glyphs a frame).
    const from = new Uint32Array(src.data.buffer, src.data.byteOffset, src.data.byteLength >> 2);
    const to = new Uint32Array(this.#data.buffer, this.#data.byteOffset, this.#data.byteLength >> 2);
    for (let j = 0; j < height; j++) {
      const s = (sy + j) * src.width + sx;
      const d = (dy + j) * this.#width + dx;
      for (let i = 0; i < width; i++) to[d + i] = from[s + i]!;
    }
    this.#ops.push({ kind: 'blit', srcLayer, sx, sy, width, height, dx, dy });
  }

  /**
   * Moves an area (CopyRect). When the source holds pixels the client has not seen yet, the
   * destination is simply marked dirty; otherwise the move is queued for a `copy` instruction.
   */
  copy(sx: number, sy: number, width: number, height: number, dx: number, dy: number): void {
    // Clip so that both the source and the destination lie inside the surface.
    if (sx < 0) [width, dx, sx] = [width + sx, dx - sx, 0];
    if (dx < 0) [width, sx, dx] = [width + dx, sx - dx, 0];
    if (sy < 0) [height, dy, sy] = [height + sy, dy - sy, 0];
    if (dy < 0) [height, sy, dy] = [height + dy, sy - dy, 0];
    width = Math.min(width, this.#width - sx, this.#width - dx);
    height = Math.min(height, this.#height - sy, this.#height - dy);
    if (width <= 0 || height <= 0) return;
    const s: Rect = { x: sx, y: sy, width, height };
    const dst: Rect = { x: dx, y: dy, width, height };
    const stride = this.#width * 4;
    const rows: Uint8Array[] = [];
    for (let j = 0; j < s.height; j++) {
      const start = (s.y + j) * stride + s.x * 4;
      rows.push(this.#data.slice(start, start + s.width * 4));
    }
    rows.forEach((row, j) => this.#data.set(row, (dst.y + j) * stride + dst.x * 4));
    if (this.dirty.intersects(s)) {
      this.dirty.add(dst);
    } else {
      this.#ops.push({ kind: 'copy', sx: s.x, sy: s.y, width: s.width, height: s.height, dx: dst.x, dy: dst.y });
    }
  }

  /** True when moves, resizes or dirty pixels wait to be sent. */
  get hasChanges(): boolean {
    return this.#ops.length > 0 || !this.dirty.isEmpty;
  }

  /** Takes the pending moves/resizes and dirty rectangles, leaving the surface clean. */
  takeChanges(): { ops: readonly SurfaceOp[]; rects: readonly Rect[] } {
    const ops = this.#ops;
    const rects = this.dirty.rects();
    this.#ops = [];
    this.dirty.clear();
    return { ops, rects };
  }

  /** Copies a rectangle's pixels out as a tightly packed RGBA image. */
  read(r: Rect): RgbaImage {
    const out = new Uint8Array(r.width * r.height * 4);
    const stride = this.#width * 4;
    for (let j = 0; j < r.height; j++) {
      const start = (r.y + j) * stride + r.x * 4;
      out.set(this.#data.subarray(start, start + r.width * 4), j * r.width * 4);
    }
    return { width: r.width, height: r.height, data: out };
  }
}

