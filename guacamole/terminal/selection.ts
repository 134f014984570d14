/**
 * Text selection with the mouse, in absolute buffer coordinates (scrollback rows included), so a
 * selection stays on its text while the view scrolls. Pure apart from reading the buffer's lines.
 */
import type { IBuffer } from '@xterm/headless';

export interface CellPoint {
  readonly col: number;
  /** Absolute row in the buffer (0 = oldest scrollback line). */
  readonly row: number;
}

export class Selection {
  #anchor: CellPoint | undefined;
  #head: CellPoint | undefined;
  #dragging = false;

  get active(): boolean {
    return this.#anchor !== undefined && this.#head !== undefined && !same(this.#anchor, this.#head);
  }
  get dragging(): boolean {
    return this.#dragging;
  }

  start(at: CellPoint): void {
    this.#anchor = at;
    this.#head = at;
    this.#dragging = true;
  }

  /** Moves the selection's free end; true when it changed. */
  extend(to: CellPoint): boolean {
    if (!this.#dragging || (this.#head && same(this.#head, to))) return false;
    this.#head = to;
    return true;
  }

  /** Ends the drag; returns whether something is selected. */
  finish(): boolean {
    this.#dragging = false;
    if (!this.active) this.clear();
    return this.active;
  }

  clear(): void {
    this.#anchor = undefined;
    this.#head = undefined;
    this.#dragging = false;
  }

  /** Start and end (inclusive), in reading order. */
  range(): [CellPoint, CellPoint] | undefined {
    if (!this.#anchor || !this.#head) return undefined;
    const a = this.#anchor;
    const b = this.#head;
    return a.row < b.row || (a.row === b.row && a.col <= b.col) ? [a, b] : [b, a];
  }

  contains(col: number, row: number): boolean {
    const r = this.active ? this.range() : undefined;
    if (!r) return false;
    const [s, e] = r;
    if (row < s.row || row > e.row) return false;
    if (row === s.row && col < s.col) return false;
    if (row === e.row && col > e.col) return false;
    return true;
  }

  /** The selected text: lines joined by '\n' except where a line wrapped, trailing blanks trimmed. */
  text(buffer: IBuffer, cols: number): string {
    const r = this.active ? this.range() : undefined;
    if (!r) return '';
    const [s, e] = r;
    let out = '';
    for (let row = s.row; row <= e.row; row++) {
      const line = buffer.getLine(row);
      if (!line) continue;
      const from = row === s.row ? s.col : 0;
      const to = row === e.row ? Math.min(cols, e.col + 1) : cols;
      if (row > s.row && !line.isWrapped) out += '\n';
      out += line.translateToString(false, from, to).replace(/ +$/, '');
    }
    return out;
  }
}

function same(a: CellPoint, b: CellPoint): boolean {
  return a.col === b.col && a.row === b.row;
}
