/**
 * Dirty-rectangle bookkeeping for one surface. Rectangles that touch, or whose union costs little
 * more than the two apart, are merged (a cost model in the spirit of guacd's `common/surface.c`:
 * every rectangle sent carries a fixed overhead, so two nearby ones are cheaper as one).
 */
import { area, intersects, union, type Rect } from './rect.js';

/** Pixels' worth of overhead per separate rectangle (instruction, image header, stream). */
export const RECT_BASE_COST = 4096;
/** Beyond this many queued rectangles they collapse into their bounding box (guacd sends at most 256). */
export const MAX_DIRTY_RECTS = 256;

export class DirtyRegion {
  #rects: Rect[] = [];

  get isEmpty(): boolean {
    return this.#rects.length === 0;
  }

  /** The queued rectangles, top to bottom then left to right. */
  rects(): readonly Rect[] {
    return [...this.#rects].sort((a, b) => a.y - b.y || a.x - b.x);
  }

  intersects(r: Rect): boolean {
    return this.#rects.some((d) => intersects(d, r));
  }

  add(rect: Rect): void {
    if (rect.width <= 0 || rect.height <= 0) return;
    let current = rect;
    // Merge until no queued rectangle is worth combining with `current`.
    for (let merged = true; merged; ) {
      merged = false;
      for (let i = 0; i < this.#rects.length; i++) {
        const other = this.#rects[i]!;
        if (shouldMerge(current, other)) {
          current = union(current, other);
          this.#rects.splice(i, 1);
          merged = true;
          break;
        }
      }
    }
    this.#rects.push(current);
    if (this.#rects.length > MAX_DIRTY_RECTS) {
      this.#rects = [this.#rects.reduce(union)];
    }
  }

  clear(): void {
    this.#rects = [];
  }

  /** Cuts every rectangle to a resized surface, dropping those that fall outside. */
  clip(width: number, height: number): void {
    this.#rects = this.#rects
      .map((r) => ({ x: r.x, y: r.y, width: Math.min(r.x + r.width, width) - r.x, height: Math.min(r.y + r.height, height) - r.y }))
      .filter((r) => r.width > 0 && r.height > 0);
  }
}

/** A frame's rectangles whose bounding box is at least this full go out as that one box. */
export const MIN_FRAME_COVERAGE = 0.5;

/**
 * The rectangles one frame sends. When their bounding box is mostly covered by them (a screen of text
 * lines changes as many thin strips with blank gaps between), one image of the box costs less than an
 * image per strip: every image carries its own encoder setup, headers and instructions.
 */
export function frameRects(rects: readonly Rect[]): readonly Rect[] {
  if (rects.length < 2) return rects;
  const box = rects.reduce(union);
  const covered = rects.reduce((sum, r) => sum + area(r), 0);
  return covered >= MIN_FRAME_COVERAGE * area(box) ? [box] : rects;
}

function shouldMerge(a: Rect, b: Rect): boolean {
  if (intersects(a, b)) return true;
  const wasted = area(union(a, b)) - area(a) - area(b);
  return wasted <= RECT_BASE_COST;
}
