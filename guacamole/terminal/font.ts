/**
 * The terminal's font: a monospace TrueType font from Debian (DejaVu Sans Mono, regular and bold),
 * with Droid Sans Fallback for what it lacks (CJK), parsed with opentype.js and sized in points at
 * the client's DPI like guacd's `font-name` / `font-size` (12 pt "monospace" by default).
 * Cell size and baseline come from the primary font's metrics.
 */
import { existsSync, readFileSync } from 'node:fs';
import opentype, { type OpenTypeFont, type OpenTypeGlyph } from 'opentype.js';
import type { PathCommand } from './rasterizer.js';

export const DEFAULT_FONT_NAME = 'monospace';
export const DEFAULT_FONT_SIZE = 12;

const DEJAVU = '/usr/share/fonts/truetype/dejavu';
/** Font families we can draw, by lower-case name: regular and bold files. */
const FAMILIES: Readonly<Record<string, { readonly regular: string; readonly bold: string }>> = {
  'dejavu sans mono': { regular: `${DEJAVU}/DejaVuSansMono.ttf`, bold: `${DEJAVU}/DejaVuSansMono-Bold.ttf` },
};
/** Names that fontconfig would resolve to the default monospace family. */
const ALIASES: Readonly<Record<string, string>> = { monospace: 'dejavu sans mono', mono: 'dejavu sans mono' };
const FALLBACK_FILES = [
  '/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf',
  '/usr/share/fonts-droid-fallback/truetype/DroidSansFallback.ttf',
];

export class FontError extends Error {
  override readonly name = 'FontError';
  readonly code = 'TERMINAL_FONT_MISSING';
}

const loaded = new Map<string, OpenTypeFont>();

function load(file: string): OpenTypeFont {
  let font = loaded.get(file);
  if (!font) {
    if (!existsSync(file)) throw new FontError(`Font file ${file} is missing (install fonts-dejavu-core)`);
    const buf = readFileSync(file);
    font = opentype.parse(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer);
    loaded.set(file, font);
  }
  return font;
}

/** A glyph ready to rasterise: its outline in pixels, relative to the cell's top-left corner. */
export interface GlyphOutline {
  readonly commands: readonly PathCommand[];
  /** Horizontal advance in pixels. */
  readonly advance: number;
  /** Left and right ink bounds in pixels. */
  readonly left: number;
  readonly right: number;
  readonly found: boolean;
}

export class TerminalFont {
  readonly family: string;
  /** Pixel size of the em. */
  readonly pixelSize: number;
  readonly cellWidth: number;
  readonly cellHeight: number;
  /** Baseline, in pixels from the top of the cell. */
  readonly baseline: number;
  readonly underlineY: number;
  readonly underlineHeight: number;
  readonly #regular: OpenTypeFont;
  readonly #bold: OpenTypeFont;
  #fallback: OpenTypeFont | null | undefined;

  /** `name` is matched case-insensitively; an unknown family falls back to the default (like fontconfig). */
  constructor(name: string = DEFAULT_FONT_NAME, points: number = DEFAULT_FONT_SIZE, dpi = 96) {
    const wanted = name.trim().toLowerCase() || DEFAULT_FONT_NAME;
    this.family = FAMILIES[wanted] ? wanted : (ALIASES[wanted] ?? 'dejavu sans mono');
    const files = FAMILIES[this.family]!;
    this.#regular = load(files.regular);
    this.#bold = existsSync(files.bold) ? load(files.bold) : this.#regular;
    this.pixelSize = (points * dpi) / 72;
    const scale = this.pixelSize / this.#regular.unitsPerEm;
    const advance = this.#regular.charToGlyph('M').advanceWidth ?? this.#regular.unitsPerEm / 2;
    this.cellWidth = Math.max(1, Math.round(advance * scale));
    const ascent = Math.round(this.#regular.ascender * scale);
    const descent = Math.round(-this.#regular.descender * scale);
    this.cellHeight = Math.max(2, ascent + descent);
    this.baseline = ascent;
    const post = this.#regular.tables.post;
    this.underlineHeight = Math.max(1, Math.round((post?.underlineThickness ?? 90) * scale));
    this.underlineY = Math.min(this.cellHeight - this.underlineHeight, ascent + Math.max(1, Math.round(-(post?.underlinePosition ?? -130) * scale)));
  }

  #fallbackFont(): OpenTypeFont | null {
    if (this.#fallback === undefined) {
      const file = FALLBACK_FILES.find((f) => existsSync(f));
      this.#fallback = file ? load(file) : null;
    }
    return this.#fallback;
  }

  /** The outline of one code point (a character of a cell), placed on the cell's baseline. */
  outline(char: string, bold: boolean): GlyphOutline {
    let font = bold ? this.#bold : this.#regular;
    let glyph: OpenTypeGlyph = font.charToGlyph(char);
    let found = glyph.index !== 0;
    if (!found) {
      const fallback = this.#fallbackFont();
      if (fallback) {
        const g = fallback.charToGlyph(char);
        if (g.index !== 0) {
          font = fallback;
          glyph = g;
          found = true;
        }
      }
    }
    const scale = this.pixelSize / font.unitsPerEm;
    const box = glyph.getBoundingBox();
    return {
      commands: glyph.getPath(0, this.baseline, this.pixelSize).commands,
      advance: (glyph.advanceWidth ?? 0) * scale,
      left: box.x1 * scale,
      right: box.x2 * scale,
      found,
    };
  }
}
