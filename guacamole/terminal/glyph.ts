/**
 * One terminal glyph as pixels: a cell (or two, for wide characters) filled with the background,
 * the character(s) blended on top in the foreground colour, plus underline. Combining marks are
 * drawn over their base character; a glyph wider than its cells is shrunk to fit (like guacd).
 */
import type { Rgb } from './colors.js';
import type { GlyphOutline, TerminalFont } from './font.js';
import { Rasterizer } from './rasterizer.js';
import type { RgbaImage } from '../display/surface.js';

export interface GlyphStyle {
  readonly fg: Rgb;
  readonly bg: Rgb;
  readonly bold: boolean;
  readonly underline: boolean;
  /** Cells the glyph spans: 1, or 2 for wide (CJK) characters. */
  readonly width: 1 | 2;
}

/** A stable key for a glyph (character + attributes), used by the glyph cache. */
export function glyphKey(chars: string, style: GlyphStyle): string {
  const fg = (style.fg[0] << 16) | (style.fg[1] << 8) | style.fg[2];
  const bg = (style.bg[0] << 16) | (style.bg[1] << 8) | style.bg[2];
  const flags = (style.bold ? 1 : 0) | (style.underline ? 2 : 0) | (style.width === 2 ? 4 : 0);
  return `${chars}\u0000${fg}\u0000${bg}\u0000${flags}`;
}

/** Draws `chars` (a base character and any combining marks) into a width×height RGBA image. */
export function renderGlyph(font: TerminalFont, chars: string, style: GlyphStyle): RgbaImage {
  const width = font.cellWidth * style.width;
  const height = font.cellHeight;
  const raster = new Rasterizer(width, height);
  let base: GlyphOutline | undefined;
  for (const ch of chars) {
    if (ch === ' ') continue;
    const outline = font.outline(ch, style.bold);
    if (!base) {
      base = outline;
      // Shrink a glyph wider than its cells, centred; centre a narrower one (CJK in the fallback font).
      const inkWidth = outline.right - outline.left;
      if (isBoxDrawing(ch) && outline.advance > 0) {
        // Box-drawing and block characters are stretched to the cell so that they join up.
        raster.path(outline.commands.map((c) => scaleCommand(c, width / outline.advance, 1, 0, font.baseline)));
      } else if (outline.right > width + 0.5 || outline.left < -0.5) {
        const s = Math.min(1, width / Math.max(1, inkWidth));
        raster.path(
          outline.commands.map((c) => scaleCommand(c, s, s, (width - inkWidth * s) / 2 - outline.left * s, font.baseline)),
        );
      } else {
        raster.path(outline.commands, style.width === 2 ? (width - outline.advance) / 2 : 0);
      }
    } else {
      // A combining mark: fonts place it left of its origin (zero-width) or within a full advance.
      const shift = outline.right <= font.cellWidth * 0.3 ? font.cellWidth : 0;
      raster.path(outline.commands, shift + (style.width === 2 ? font.cellWidth / 2 : 0));
    }
  }
  const mask = raster.mask();
  const data = new Uint8Array(width * height * 4);
  const [fr, fg, fb] = style.fg;
  const [br, bgc, bb] = style.bg;
  for (let i = 0, p = 0; i < mask.data.length; i++, p += 4) {
    const a = mask.data[i]! / 255;
    data[p] = Math.round(br + (fr - br) * a);
    data[p + 1] = Math.round(bgc + (fg - bgc) * a);
    data[p + 2] = Math.round(bb + (fb - bb) * a);
    data[p + 3] = 255;
  }
  if (style.underline) {
    for (let y = font.underlineY; y < font.underlineY + font.underlineHeight && y < height; y++) {
      for (let x = 0; x < width; x++) data.set([fr, fg, fb, 255], (y * width + x) * 4);
    }
  }
  return { width, height, data };
}

type Command = Parameters<Rasterizer['path']>[0][number];

/** U+2500–U+259F: box drawing, block elements. */
function isBoxDrawing(ch: string): boolean {
  const cp = ch.codePointAt(0)!;
  return cp >= 0x2500 && cp <= 0x259f;
}

/** Scales a command about (0, baseline) by `sx`, `sy` and shifts it by `dx`. */
function scaleCommand(c: Command, sx: number, sy: number, dx: number, baseline: number): Command {
  const X = (x: number): number => x * sx + dx;
  const Y = (y: number): number => baseline + (y - baseline) * sy;
  switch (c.type) {
    case 'M':
    case 'L':
      return { type: c.type, x: X(c.x), y: Y(c.y) };
    case 'Q':
      return { type: 'Q', x1: X(c.x1), y1: Y(c.y1), x: X(c.x), y: Y(c.y) };
    case 'C':
      return { type: 'C', x1: X(c.x1), y1: Y(c.y1), x2: X(c.x2), y2: Y(c.y2), x: X(c.x), y: Y(c.y) };
    case 'Z':
      return c;
  }
}
