/**
 * The glyph cache: every distinct glyph (character + colours + bold/underline/wide) is rasterised
 * once into a slot of an off-screen buffer layer, uploaded once, and `copy`'d into place wherever
 * it appears (the pre-0.9.2 guacd approach). Slots are reused least-recently-used first; a slot
 * still referenced by unsent drawing is only reused after the display has flushed.
 */
import type { Display } from '../display/display.js';
import type { TerminalFont } from './font.js';
import { glyphKey, renderGlyph, type GlyphStyle } from './glyph.js';

export const DEFAULT_GLYPH_CAPACITY = 1024;
/** Slots per atlas row; each slot is two cells wide so that wide glyphs fit. */
const SLOTS_PER_ROW = 32;

export interface GlyphCacheStats {
  readonly hits: number;
  readonly misses: number;
  readonly evictions: number;
  readonly size: number;
}

export class GlyphCache {
  readonly layer: number;
  readonly capacity: number;
  /** key → slot, in least-recently-used order (oldest first). */
  readonly #slots = new Map<string, number>();
  /** The display frame number at which each slot was last drawn from. */
  readonly #usedInFrame: number[] = [];
  #next = 0;
  #hits = 0;
  #misses = 0;
  #evictions = 0;

  constructor(
    readonly display: Display,
    readonly font: TerminalFont,
    capacity = DEFAULT_GLYPH_CAPACITY,
  ) {
    this.capacity = Math.max(1, capacity);
    const rows = Math.ceil(this.capacity / SLOTS_PER_ROW);
    this.layer = display.createBuffer(SLOTS_PER_ROW * 2 * font.cellWidth, rows * font.cellHeight);
  }

  get stats(): GlyphCacheStats {
    return { hits: this.#hits, misses: this.#misses, evictions: this.#evictions, size: this.#slots.size };
  }

  /**
   * Draws the glyph at (x, y) of the default layer: a `copy` from the cache, rasterising it first if new.
   * `key` is `glyphKey(chars, style)`, passed by callers that have it already.
   */
  draw(chars: string, style: GlyphStyle, x: number, y: number, key = glyphKey(chars, style)): void {
    let slot = this.#slots.get(key);
    if (slot !== undefined) {
      this.#hits++;
      // Most recently used goes last.
      this.#slots.delete(key);
      this.#slots.set(key, slot);
    } else {
      this.#misses++;
      slot = this.#allocate();
      this.#slots.set(key, slot);
      const [sx, sy] = this.#origin(slot);
      this.display.putBuffer(this.layer, sx, sy, renderGlyph(this.font, chars, style));
    }
    this.#usedInFrame[slot] = this.display.frames;
    const [sx, sy] = this.#origin(slot);
    this.display.copyFromBuffer(this.layer, sx, sy, this.font.cellWidth * style.width, this.font.cellHeight, x, y);
  }

  #allocate(): number {
    if (this.#next < this.capacity) return this.#next++;
    const [oldestKey, slot] = this.#slots.entries().next().value as [string, number];
    this.#slots.delete(oldestKey);
    this.#evictions++;
    // Copies from this slot may still wait in the current frame: send them before redrawing the slot.
    if (this.#usedInFrame[slot] === this.display.frames) this.display.flush();
    return slot;
  }

  #origin(slot: number): [number, number] {
    return [(slot % SLOTS_PER_ROW) * 2 * this.font.cellWidth, Math.floor(slot / SLOTS_PER_ROW) * this.font.cellHeight];
  }
}
