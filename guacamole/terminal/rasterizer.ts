/**
 * Outline → anti-aliased coverage mask, pure and dependency-free. Curves are flattened into line
 * segments; each segment adds its signed area to an accumulation buffer, one row at a time, and a
 * running sum along every row turns those contributions into per-pixel coverage (non-zero-ish:
 * the absolute sum, clamped to 1, which is exact for the non-overlapping contours of font glyphs).
 */

/** Path commands as opentype.js produces them, in pixel coordinates with y growing downwards. */
export type PathCommand =
  | { readonly type: 'M' | 'L'; readonly x: number; readonly y: number }
  | { readonly type: 'Q'; readonly x1: number; readonly y1: number; readonly x: number; readonly y: number }
  | {
      readonly type: 'C';
      readonly x1: number;
      readonly y1: number;
      readonly x2: number;
      readonly y2: number;
      readonly x: number;
      readonly y: number;
    }
  | { readonly type: 'Z' };

/** A coverage mask: one byte (0–255) per pixel, row-major. */
export interface CoverageMask {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
}

const CURVE_STEPS = 8;

export class Rasterizer {
  readonly #acc: Float32Array;
  /** Row stride of the accumulation buffer: one extra column, into which the right edge spills. */
  readonly #stride: number;

  constructor(
    readonly width: number,
    readonly height: number,
  ) {
    this.#stride = width + 1;
    this.#acc = new Float32Array(this.#stride * height);
  }

  /** Adds the line (x0,y0)→(x1,y1) to the accumulation buffer. */
  line(x0: number, y0: number, x1: number, y1: number): void {
    if (y0 === y1) return;
    const dir = y0 < y1 ? 1 : -1;
    // Walk downwards.
    if (dir < 0) [x0, y0, x1, y1] = [x1, y1, x0, y0];
    const dxdy = (x1 - x0) / (y1 - y0);
    const yStart = Math.max(0, y0);
    const yEnd = Math.min(this.height, y1);
    for (let row = Math.floor(yStart); row < yEnd; row++) {
      const top = Math.max(row, yStart);
      const bottom = Math.min(row + 1, yEnd);
      if (bottom <= top) continue;
      const xa = x0 + (top - y0) * dxdy;
      const xb = x0 + (bottom - y0) * dxdy;
      this.#span(row, xa, xb, (bottom - top) * dir);
    }
  }

  /** One row's piece of a segment: from xa to xb, covering `dy` (signed) of the row's height. */
  #span(row: number, xa: number, xb: number, dy: number): void {
    const base = row * this.#stride;
    const lo = Math.min(xa, xb);
    const hi = Math.max(xa, xb);
    const first = Math.floor(lo);
    const last = Math.floor(hi);
    if (first === last || hi - lo < 1e-9) {
      this.#cell(base, first, (lo + hi) / 2 - first, dy);
      return;
    }
    // Split at every column boundary; dy is shared in proportion to the x length of each piece.
    const per = dy / (hi - lo);
    let x = lo;
    for (let col = first; col <= last; col++) {
      const next = Math.min(hi, col + 1);
      if (next > x) this.#cell(base, col, (x + next) / 2 - col, per * (next - x));
      x = next;
    }
  }

  /** A piece inside one pixel column: `frac` is its mean x within the pixel (0..1). */
  #cell(base: number, col: number, frac: number, dy: number): void {
    if (col < 0) {
      // Left of the mask: everything to the right is covered.
      this.#acc[base] = this.#acc[base]! + dy;
      return;
    }
    if (col >= this.width) return;
    this.#acc[base + col] = this.#acc[base + col]! + dy * (1 - frac);
    this.#acc[base + col + 1] = this.#acc[base + col + 1]! + dy * frac;
  }

  /** Adds a whole path (M/L/Q/C/Z), translated by (dx, dy). */
  path(commands: readonly PathCommand[], dx = 0, dy = 0): void {
    let cx = 0;
    let cy = 0;
    let sx = 0;
    let sy = 0;
    for (const c of commands) {
      switch (c.type) {
        case 'M':
          cx = sx = c.x + dx;
          cy = sy = c.y + dy;
          break;
        case 'L':
          this.line(cx, cy, c.x + dx, c.y + dy);
          cx = c.x + dx;
          cy = c.y + dy;
          break;
        case 'Q': {
          const [x1, y1, x, y] = [c.x1 + dx, c.y1 + dy, c.x + dx, c.y + dy];
          let px = cx;
          let py = cy;
          for (let i = 1; i <= CURVE_STEPS; i++) {
            const t = i / CURVE_STEPS;
            const u = 1 - t;
            const nx = u * u * cx + 2 * u * t * x1 + t * t * x;
            const ny = u * u * cy + 2 * u * t * y1 + t * t * y;
            this.line(px, py, nx, ny);
            px = nx;
            py = ny;
          }
          cx = x;
          cy = y;
          break;
        }
        case 'C': {
          const [x1, y1, x2, y2, x, y] = [c.x1 + dx, c.y1 + dy, c.x2 + dx, c.y2 + dy, c.x + dx, c.y + dy];
          let px = cx;
          let py = cy;
          for (let i = 1; i <= CURVE_STEPS; i++) {
            const t = i / CURVE_STEPS;
            const u = 1 - t;
            const nx = u * u * u * cx + 3 * u * u * t * x1 + 3 * u * t * t * x2 + t * t * t * x;
            const ny = u * u * u * cy + 3 * u * u * t * y1 + 3 * u * t * t * y2 + t * t * t * y;
            this.line(px, py, nx, ny);
            px = nx;
            py = ny;
          }
          cx = x;
          cy = y;
          break;
        }
        case 'Z':
          this.line(cx, cy, sx, sy);
          cx = sx;
          cy = sy;
          break;
      }
    }
  }

  /** Coverage per pixel from the accumulated areas. */
  mask(): CoverageMask {
    const data = new Uint8Array(this.width * this.height);
    for (let row = 0; row < this.height; row++) {
      let sum = 0;
      const base = row * this.#stride;
      for (let col = 0; col < this.width; col++) {
        sum += this.#acc[base + col]!;
        data[row * this.width + col] = Math.min(255, Math.round(Math.abs(sum) * 255));
      }
    }
    return { width: this.width, height: this.height, data };
  }
}

/** Rasterises one path into a width×height mask. */
export function rasterize(commands: readonly PathCommand[], width: number, height: number, dx = 0, dy = 0): CoverageMask {
  const r = new Rasterizer(width, height);
  r.path(commands, dx, dy);
  return r.mask();
}
