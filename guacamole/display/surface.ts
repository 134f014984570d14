/**
 * One layer's pixels (8-bit RGBA, row-major) and what changed since the last flush:
 * dirty rectangles, to be sent as images or fills with their final pixels, and the moves
 * (CopyRect), fills and finished images to be replayed by the client in order before them.
 *
 * A finished image (a PNG or JPEG the remote server made) goes to the client as it is and its pixels
 * are decoded only when someone needs them (a read, a draw over it, a joining user): until then it
 * waits in `#deferred` with the fills drawn over it, in order. An image or fill that covers an earlier
 * deferred one makes decoding that one unnecessary, so a screen that keeps changing is never decoded.
 */
import { decodeImage, ImageDecodeError } from './decoders.js';
import { DirtyRegion } from './dirty.js';
import type { ImageMimetype, PixelArea } from './encoders.js';
import { clip, intersects, isEmpty, union, type Rect } from './rect.js';

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

/** A finished image drawn on the client as it is (`img` stream with these bytes). */
export interface ImageOp {
  readonly kind: 'image';
  readonly x: number;
  readonly y: number;
  readonly mimetype: ImageMimetype;
  readonly data: Uint8Array;
}

export type SurfaceOp = MoveOp | ResizeOp | FillOp | BlitOp | ImageOp;

/** Drawing already queued for the client whose pixels are not in the surface yet. */
type DeferredDraw =
  | { readonly kind: 'image'; readonly rect: Rect; readonly mimetype: ImageMimetype; readonly data: Uint8Array }
  | { readonly kind: 'fill'; readonly rect: Rect; readonly rgba: readonly [number, number, number, number] };

/** Past either bound the deferred images are decoded anyway, so memory stays bounded. */
const MAX_DEFERRED_DRAWS = 256;
const MAX_DEFERRED_BYTES = 8 * 1024 * 1024;

function contains(outer: Rect, inner: Rect): boolean {
  return inner.x >= outer.x && inner.y >= outer.y &&
    inner.x + inner.width <= outer.x + outer.width && inner.y + inner.height <= outer.y + outer.height;
}

export class Surface {
  #width: number;
  #height: number;
  #data: Uint8Array;
  /** `#data` as 32-bit pixels (same memory). */
  #words: Uint32Array;
  readonly dirty = new DirtyRegion();
  /** Moves and resizes in the order they happened; sent before the dirty rectangles. */
  #ops: SurfaceOp[] = [];
  #deferred: DeferredDraw[] = [];
  /** The union of the deferred draws' rectangles, for a quick "does this touch them" test. */
  #deferredBounds: Rect | undefined;
  /** Images that failed to decode when their pixels were needed (their area keeps its old pixels). */
  #undecodable = 0;

  constructor(width = 0, height = 0) {
    this.#width = width;
    this.#height = height;
    this.#data = new Uint8Array(width * height * 4);
    this.#words = new Uint32Array(this.#data.buffer);
  }

  get width(): number {
    return this.#width;
  }
  get height(): number {
    return this.#height;
  }
  /** The pixels, with every deferred image decoded into them. */
  get data(): Uint8Array {
    this.#settle();
    return this.#data;
  }
  /** Finished images still waiting to be decoded (for tests and metrics). */
  get deferredDraws(): number {
    return this.#deferred.length;
  }
  get undecodableImages(): number {
    return this.#undecodable;
  }

  /** Resizes, keeping the pixels that still fit; new areas are transparent black. */
  resize(width: number, height: number): void {
    if (width === this.#width && height === this.#height) return;
    this.#settle();
    const next = new Uint8Array(width * height * 4);
    const rowBytes = Math.min(width, this.#width) * 4;
    for (let y = 0; y < Math.min(height, this.#height); y++) {
      next.set(this.#data.subarray(y * this.#width * 4, y * this.#width * 4 + rowBytes), y * width * 4);
    }
    this.#data = next;
    this.#words = new Uint32Array(next.buffer);
    this.#width = width;
    this.#height = height;
    this.dirty.clip(width, height);
    this.#ops.push({ kind: 'size', width, height });
  }

  /** Draws `image` at (x, y), clipped to the surface. */
  put(x: number, y: number, image: RgbaImage): void {
    const r = clip({ x, y, width: image.width, height: image.height }, this.#width, this.#height);
    if (r.width <= 0 || r.height <= 0) return;
    this.#settle(r);
    this.#write(x, y, image);
    this.dirty.add(r);
  }

  /** Fills a rectangle with one colour (over deferred images: queued as a fill, see `paint`). */
  fill(x: number, y: number, width: number, height: number, rgba: readonly [number, number, number, number]): void {
    if (this.#deferredBounds && intersects(this.#deferredBounds, { x, y, width, height })) {
      this.paint(x, y, width, height, rgba);
      return;
    }
    const r = this.#fillPixels(x, y, width, height, rgba);
    if (r) this.dirty.add(r);
  }

  /**
   * Queues a finished image (PNG or JPEG of exactly `rect`'s size) to go to the client as it is, its
   * pixels decoded only when needed. Returns false, doing nothing, when it cannot be sent that way: the
   * rectangle is not wholly inside the surface, or it overlaps pixels of this frame that will be sent
   * from the surface after the queued operations (the caller then decodes and `put`s it).
   */
  putEncoded(rect: Rect, mimetype: ImageMimetype, data: Uint8Array): boolean {
    if (isEmpty(rect) || !contains({ x: 0, y: 0, width: this.#width, height: this.#height }, rect)) return false;
    if (this.dirty.intersects(rect)) return false;
    this.#ops.push({ kind: 'image', x: rect.x, y: rect.y, mimetype, data });
    this.#defer({ kind: 'image', rect, mimetype, data });
    return true;
  }

  /**
   * Fills a rectangle with one colour and queues it as a `rect`+`cfill` instruction instead of
   * marking it dirty (text terminals clear and paint backgrounds this way).
   */
  paint(x: number, y: number, width: number, height: number, rgba: readonly [number, number, number, number]): void {
    const r = clip({ x, y, width, height }, this.#width, this.#height);
    if (isEmpty(r)) return;
    const colour = [rgba[0], rgba[1], rgba[2], rgba[3]] as const;
    // Over deferred images the fill waits its turn (an opaque one may even spare their decoding).
    if (this.#deferredBounds && intersects(this.#deferredBounds, r)) this.#defer({ kind: 'fill', rect: r, rgba: colour });
    else this.#fillPixels(r.x, r.y, r.width, r.height, colour);
    this.#ops.push({ kind: 'fill', x: r.x, y: r.y, width: r.width, height: r.height, rgba: colour });
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
    this.#settle({ x: dx, y: dy, width, height });
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
    this.#settle(union(s, dst));
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

  /** A rectangle's pixels where they are, without a copy; valid until the surface next changes. */
  area(r: Rect): PixelArea {
    this.#settle(r);
    return { words: this.#words, offset: r.y * this.#width + r.x, stride: this.#width, width: r.width, height: r.height };
  }

  /**
   * Copies a rectangle's pixels out as a tightly packed RGBA image; into `scratch` (the image's data is
   * then a view of it) when that is large enough.
   */
  read(r: Rect, scratch?: Uint8Array): RgbaImage {
    this.#settle(r);
    const size = r.width * r.height * 4;
    const out = scratch && scratch.byteLength >= size ? scratch.subarray(0, size) : new Uint8Array(size);
    const stride = this.#width * 4;
    for (let j = 0; j < r.height; j++) {
      const start = (r.y + j) * stride + r.x * 4;
      out.set(this.#data.subarray(start, start + r.width * 4), j * r.width * 4);
    }
    return { width: r.width, height: r.height, data: out };
  }

  /** Adds a deferred draw; earlier ones it covers whole are dropped (deferred draws are all opaque). */
  #defer(draw: DeferredDraw): void {
    const kept: DeferredDraw[] = [];
    let bytes = 0;
    for (const d of this.#deferred) {
      if (contains(draw.rect, d.rect)) continue;
      kept.push(d);
      if (d.kind === 'image') bytes += d.data.byteLength;
    }
    kept.push(draw);
    if (draw.kind === 'image') bytes += draw.data.byteLength;
    this.#deferred = kept;
    this.#deferredBounds = kept.map((d) => d.rect).reduce(union);
    if (kept.length > MAX_DEFERRED_DRAWS || bytes > MAX_DEFERRED_BYTES) this.#settle();
  }

  /** Decodes and draws every deferred draw, in order, if any of them touches `r` (or `r` is not given). */
  #settle(r?: Rect): void {
    if (!this.#deferredBounds) return;
    if (r && !intersects(this.#deferredBounds, r)) return;
    const draws = this.#deferred;
    this.#deferred = [];
    this.#deferredBounds = undefined;
    for (const d of draws) {
      if (d.kind === 'fill') {
        this.#fillPixels(d.rect.x, d.rect.y, d.rect.width, d.rect.height, d.rgba);
        continue;
      }
      let image: RgbaImage;
      try {
        image = decodeImage(d.mimetype, d.data);
      } catch (err) {
        if (!(err instanceof ImageDecodeError)) throw err;
        this.#undecodable++;
        continue;
      }
      this.#write(d.rect.x, d.rect.y, image);
    }
  }

  /** Copies `image` into the pixels at (x, y), clipped; marks nothing. */
  #write(x: number, y: number, image: RgbaImage): void {
    const r = clip({ x, y, width: image.width, height: image.height }, this.#width, this.#height);
    if (isEmpty(r)) return;
    const srcX = r.x - x;
    for (let row = 0; row < r.height; row++) {
      const src = ((r.y - y + row) * image.width + srcX) * 4;
      this.#data.set(image.data.subarray(src, src + r.width * 4), ((r.y + row) * this.#width + r.x) * 4);
    }
  }
}
