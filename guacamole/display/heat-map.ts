/**
 * How often each part of a layer changes, in 64×64 cells with the times of their last five updates
 * (guacd's surface heat map). Fast-changing areas may be sent lossy.
 */
import type { Rect } from './rect.js';

export const HEAT_CELL_SIZE = 64;
const HISTORY = 5;

export class HeatMap {
  #columns = 0;
  #rows = 0;
  /** HISTORY timestamps per cell, a ring; `#next` holds each cell's next slot. */
  #times = new Float64Array(0);
  #next = new Uint8Array(0);

  resize(width: number, height: number): void {
    this.#columns = Math.ceil(width / HEAT_CELL_SIZE);
    this.#rows = Math.ceil(height / HEAT_CELL_SIZE);
    this.#times = new Float64Array(this.#columns * this.#rows * HISTORY);
    this.#next = new Uint8Array(this.#columns * this.#rows);
  }

  /** Records that `rect` was sent at `now`. */
  touch(rect: Rect, now: number): void {
    this.#forCells(rect, (cell) => {
      this.#times[cell * HISTORY + this.#next[cell]!] = now;
      this.#next[cell] = (this.#next[cell]! + 1) % HISTORY;
    });
  }

  /** Average updates per second over the cells of `rect` (0 without enough history). */
  framesPerSecond(rect: Rect): number {
    let sum = 0;
    let cells = 0;
    this.#forCells(rect, (cell) => {
      cells++;
      const base = cell * HISTORY;
      const newest = this.#times[base + ((this.#next[cell]! + HISTORY - 1) % HISTORY)]!;
      const oldest = this.#times[base + this.#next[cell]!]!;
      if (oldest > 0 && newest > oldest) sum += ((HISTORY - 1) * 1000) / (newest - oldest);
    });
    return cells === 0 ? 0 : sum / cells;
  }

  #forCells(rect: Rect, visit: (cell: number) => void): void {
    const x0 = Math.max(0, Math.floor(rect.x / HEAT_CELL_SIZE));
    const y0 = Math.max(0, Math.floor(rect.y / HEAT_CELL_SIZE));
    const x1 = Math.min(this.#columns - 1, Math.floor((rect.x + rect.width - 1) / HEAT_CELL_SIZE));
    const y1 = Math.min(this.#rows - 1, Math.floor((rect.y + rect.height - 1) / HEAT_CELL_SIZE));
    for (let y = y0; y <= y1; y++) for (let x = x0; x <= x1; x++) visit(y * this.#columns + x);
  }
}
