/**
 * Cells → Guacamole drawing. Keeps what the client shows (one key per cell) and, for each frame,
 * sends only the differences: a whole-screen or region scroll becomes one `copy` of the rows that
 * moved, runs of blank cells become `rect`+`cfill`, and every glyph is a `copy` from the glyph cache.
 */
import type { Display } from '../display/display.js';
import type { Rgb } from './colors.js';
import type { GlyphCache } from './glyph-cache.js';
import { glyphKey } from './glyph.js';
import { inverted, type Cell } from './screen.js';

/** Cells drawn inverted on top of the content (cursor, selection): (col, row) → true. */
export type Highlight = (col: number, row: number) => boolean;

export interface RenderStats {
  /** Rows moved with `copy` instead of being redrawn. */
  scrolledRows: number;
  glyphCopies: number;
  fills: number;
}

const rgbKey = (c: Rgb): number => (c[0] << 16) | (c[1] << 8) | c[2];

function isBlank(cell: Cell): boolean {
  return (cell.chars === '' || cell.chars === ' ') && !cell.underline;
}

function cellKey(cell: Cell): string {
  if (cell.width === 0) return '\u0002';
  if (isBlank(cell)) return `\u0001${rgbKey(cell.bg)}`;
  return glyphKey(cell.chars, { fg: cell.fg, bg: cell.bg, bold: cell.bold, underline: cell.underline, width: cell.width });
}

export class TerminalRenderer {
  /** Keys of what the client shows, by row; undefined rows are unknown (redrawn). */
  #shown: (string[] | undefined)[] = [];
  #shownSignature: (string | undefined)[] = [];
  /** Signatures of the rows' content without cursor or selection, to recognise moved rows. */
  #shownContent: (string | undefined)[] = [];
  readonly stats: RenderStats = { scrolledRows: 0, glyphCopies: 0, fills: 0 };

  constructor(
    readonly display: Display,
    readonly glyphs: GlyphCache,
  ) {}

  get cellWidth(): number {
    return this.glyphs.font.cellWidth;
  }
  get cellHeight(): number {
    return this.glyphs.font.cellHeight;
  }

  /** Forgets what the client shows: the next frame redraws everything. */
  invalidate(): void {
    this.#shown = [];
    this.#shownSignature = [];
    this.#shownContent = [];
  }

  /** Draws the rows into the display, with the `highlight`ed cells (cursor, selection) inverted. */
  render(content: readonly (readonly Cell[])[], highlight: Highlight = () => false): void {
    const keys = content.map((row) => row.map(cellKey));
    const contentSignatures = keys.map((k) => k.join('\u0003'));
    // Only the highlighted cells get new keys; every other row keeps its content keys and signature.
    const signatures = [...contentSignatures];
    const rows = content.map((row, y) => {
      let drawn: Cell[] | undefined;
      for (let x = 0; x < row.length; x++) {
        if (!highlight(x, y)) continue;
        drawn ??= [...row];
        drawn[x] = inverted(row[x]!);
        keys[y]![x] = cellKey(drawn[x]);
      }
      if (!drawn) return row;
      signatures[y] = keys[y]!.join('\u0003');
      return drawn;
    });
    this.#scroll(contentSignatures, rows[0]?.length ?? 0);
    for (let y = 0; y < rows.length; y++) {
      this.#shownContent[y] = contentSignatures[y];
      if (this.#shownSignature[y] === signatures[y]) continue;
      this.#drawRow(y, rows[y]!, keys[y]!, this.#shown[y]);
      this.#shown[y] = keys[y]!;
      this.#shownSignature[y] = signatures[y];
    }
    this.#shown.length = rows.length;
    this.#shownSignature.length = rows.length;
    this.#shownContent.length = rows.length;
  }

  /**
   * Finds the shift d for which most new rows equal old rows d further down (output scrolled up)
   * or up (reverse scroll), and moves the longest such run of rows with one `copy`.
   */
  #scroll(next: readonly string[], cols: number): void {
    const old = this.#shownContent;
    const n = next.length;
    let bestShift = 0;
    let bestStart = 0;
    let bestLength = 0;
    const tried = new Set<number>();
    for (let i = 0; i < n && tried.size < 4; i++) {
      if (old[i] === next[i]) continue;
      for (let j = 0; j < old.length; j++) {
        if (j === i || old[j] !== next[i] || tried.has(j - i)) continue;
        const d = j - i;
        tried.add(d);
        // The longest run of rows y with next[y] == old[y + d] and not already in place.
        let run = 0;
        for (let y = 0; y < n; y++) {
          const src = y + d;
          if (src >= 0 && src < old.length && old[src] === next[y] && old[y] !== next[y]) {
            run++;
            if (run > bestLength) [bestLength, bestStart, bestShift] = [run, y - run + 1, d];
          } else run = 0;
        }
        break;
      }
    }
    if (bestLength < 2) return;
    const h = this.cellHeight;
    this.display.copy(0, (bestStart + bestShift) * h, cols * this.cellWidth, bestLength * h, 0, bestStart * h);
    const from = bestStart + bestShift;
    const movedKeys = this.#shown.slice(from, from + bestLength);
    const movedSigs = this.#shownSignature.slice(from, from + bestLength);
    const movedContent = old.slice(from, from + bestLength);
    for (let k = 0; k < bestLength; k++) {
      this.#shown[bestStart + k] = movedKeys[k];
      this.#shownSignature[bestStart + k] = movedSigs[k];
      this.#shownContent[bestStart + k] = movedContent[k];
    }
    this.stats.scrolledRows += bestLength;
  }

  #drawRow(y: number, row: readonly Cell[], keys: readonly string[], shown: readonly string[] | undefined): void {
    const cw = this.cellWidth;
    const ch = this.cellHeight;
    const py = y * ch;
    let x = 0;
    while (x < row.length) {
      const cell = row[x]!;
      const key = keys[x]!;
      if (shown?.[x] === key && key !== '\u0002') {
        x++;
        continue;
      }
      if (cell.width === 0) {
        // The right half of a wide character whose left half is unchanged: nothing to draw,
        // unless there is no left half (a stray continuation): clear it.
        if (x === 0 || row[x - 1]!.width !== 2) {
          this.display.paint(x * cw, py, cw, ch, [cell.bg[0], cell.bg[1], cell.bg[2], 255]);
          this.stats.fills++;
        }
        x++;
        continue;
      }
      if (isBlank(cell)) {
        // A run of changed blank cells of one background colour.
        let end = x + 1;
        while (end < row.length && keys[end] === key && shown?.[end] !== key) end++;
        this.display.paint(x * cw, py, (end - x) * cw, ch, [cell.bg[0], cell.bg[1], cell.bg[2], 255]);
        this.stats.fills++;
        x = end;
        continue;
      }
      const style = { fg: cell.fg, bg: cell.bg, bold: cell.bold, underline: cell.underline, width: cell.width };
      // The cell's key is its glyph key (cellKey), so the cache need not build it again.
      this.glyphs.draw(cell.chars, style, x * cw, py, key);
      this.stats.glyphCopies++;
      x += cell.width;
    }
  }
}
