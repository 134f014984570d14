/**
 * The cell model: xterm's buffer cells resolved into what is drawn — characters, width, final
 * foreground/background RGB (palette, 256 colours, true colour, bold-as-bright, inverse,
 * invisible), bold and underline. Pure functions over @xterm/headless's buffer API.
 */
import type { IBufferCell, IBufferLine } from '@xterm/headless';
import type { ColorScheme, Rgb } from './colors.js';

export interface Cell {
  /** The character and any combining marks; '' for an empty cell or the right half of a wide one. */
  readonly chars: string;
  /** 1 normal, 2 wide (CJK) character, 0 the second cell of a wide character. */
  readonly width: 0 | 1 | 2;
  /** Colours as drawn (inverse already applied). */
  readonly fg: Rgb;
  readonly bg: Rgb;
  readonly bold: boolean;
  readonly underline: boolean;
  readonly inverse: boolean;
}

function rgbOf(value: number): Rgb {
  return [(value >> 16) & 0xff, (value >> 8) & 0xff, value & 0xff];
}

function resolve(cell: IBufferCell, which: 'fg' | 'bg', scheme: ColorScheme, bold: boolean): Rgb {
  const palette = which === 'fg' ? cell.isFgPalette() : cell.isBgPalette();
  const rgb = which === 'fg' ? cell.isFgRGB() : cell.isBgRGB();
  const value = which === 'fg' ? cell.getFgColor() : cell.getBgColor();
  if (rgb) return rgbOf(value);
  if (palette) {
    // Bold brightens the eight base colours, as xterm and guacd do.
    const index = which === 'fg' && bold && value < 8 ? value + 8 : value;
    return scheme.palette[index] ?? scheme.foreground;
  }
  return which === 'fg' ? scheme.foreground : scheme.background;
}

/** Resolves one xterm cell. */
export function cellFrom(cell: IBufferCell, scheme: ColorScheme): Cell {
  const bold = cell.isBold() !== 0;
  const inverse = cell.isInverse() !== 0;
  let fg = resolve(cell, 'fg', scheme, bold);
  let bg = resolve(cell, 'bg', scheme, false);
  if (inverse) [fg, bg] = [bg, fg];
  if (cell.isInvisible() !== 0) fg = bg;
  const w = cell.getWidth();
  return {
    chars: w === 0 ? '' : cell.getChars(),
    width: w === 0 ? 0 : w === 2 ? 2 : 1,
    fg,
    bg,
    bold,
    underline: cell.isUnderline() !== 0,
    inverse,
  };
}

/** One line of `cols` cells; a missing line reads as blank cells in the scheme's colours. */
export function rowFrom(line: IBufferLine | undefined, cols: number, scheme: ColorScheme, scratch: IBufferCell | undefined): Cell[] {
  const row: Cell[] = [];
  for (let x = 0; x < cols; x++) {
    const cell = line?.getCell(x, scratch);
    row.push(cell ? cellFrom(cell, scheme) : blankCell(scheme));
  }
  return row;
}

export function blankCell(scheme: ColorScheme): Cell {
  return { chars: '', width: 1, fg: scheme.foreground, bg: scheme.background, bold: false, underline: false, inverse: false };
}

/** The cell with foreground and background exchanged (cursor, selection). */
export function inverted(cell: Cell): Cell {
  return { ...cell, fg: cell.bg, bg: cell.fg, inverse: !cell.inverse };
}
