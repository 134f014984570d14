/**
 * Terminal colours: the xterm 256-colour palette (16 base colours, the 6×6×6 cube, 24 greys) and
 * guacd's `color-scheme` parameter (presets such as "gray-black", or a custom
 * "foreground: rgb:ff/ff/ff; background: color0; color1: rgb:cc/00/00" list).
 */

export type Rgb = readonly [number, number, number];

/** guacd's base colours: dim 0x99 ramp for 0–7, bright 0x55/0xff ramp for 8–15. */
const BASE16: readonly Rgb[] = [
  [0x00, 0x00, 0x00], [0x99, 0x00, 0x00], [0x00, 0x99, 0x00], [0x99, 0x99, 0x00],
  [0x00, 0x00, 0x99], [0x99, 0x00, 0x99], [0x00, 0x99, 0x99], [0x99, 0x99, 0x99],
  [0x55, 0x55, 0x55], [0xff, 0x55, 0x55], [0x55, 0xff, 0x55], [0xff, 0xff, 0x55],
  [0x55, 0x55, 0xff], [0xff, 0x55, 0xff], [0x55, 0xff, 0xff], [0xff, 0xff, 0xff],
];

const CUBE_LEVELS = [0, 95, 135, 175, 215, 255] as const;

/** The 256-entry palette: index → RGB. */
export function defaultPalette(): Rgb[] {
  const palette: Rgb[] = [...BASE16];
  for (let r = 0; r < 6; r++) {
    for (let g = 0; g < 6; g++) {
      for (let b = 0; b < 6; b++) palette.push([CUBE_LEVELS[r]!, CUBE_LEVELS[g]!, CUBE_LEVELS[b]!]);
    }
  }
  for (let i = 0; i < 24; i++) {
    const v = 8 + 10 * i;
    palette.push([v, v, v]);
  }
  return palette;
}

export interface ColorScheme {
  readonly foreground: Rgb;
  readonly background: Rgb;
  readonly palette: readonly Rgb[];
}

/** guacd's preset schemes: foreground and background as palette indices. */
const PRESETS: Readonly<Record<string, readonly [number, number]>> = {
  'gray-black': [7, 0],
  'black-white': [0, 15],
  'green-black': [2, 0],
  'white-black': [15, 0],
};

export const DEFAULT_COLOR_SCHEME = 'gray-black';

export class ColorSchemeError extends Error {
  override readonly name = 'ColorSchemeError';
  readonly code = 'TERMINAL_BAD_COLOR_SCHEME';
}

/** `rgb:RR/GG/BB` (1–4 hex digits per channel, as X11) or `colorN`. */
function parseColor(spec: string, palette: readonly Rgb[]): Rgb {
  const s = spec.trim().toLowerCase();
  const indexed = /^color(\d{1,3})$/.exec(s);
  if (indexed) {
    const c = palette[Number(indexed[1])];
    if (!c) throw new ColorSchemeError(`Invalid color-scheme: no palette entry "${spec.trim()}"`);
    return c;
  }
  const rgb = /^rgb:([0-9a-f]{1,4})\/([0-9a-f]{1,4})\/([0-9a-f]{1,4})$/.exec(s);
  if (rgb) {
    const channel = (hex: string): number => Math.round((parseInt(hex, 16) / (16 ** hex.length - 1)) * 255);
    return [channel(rgb[1]!), channel(rgb[2]!), channel(rgb[3]!)];
  }
  throw new ColorSchemeError(`Invalid color-scheme: cannot read colour "${spec.trim()}"`);
}

/** Parses guacd's `color-scheme` value; empty means gray-black. */
export function parseColorScheme(value: string | undefined): ColorScheme {
  const palette = defaultPalette();
  const text = (value ?? '').trim() || DEFAULT_COLOR_SCHEME;
  const preset = PRESETS[text];
  if (preset) return { foreground: palette[preset[0]]!, background: palette[preset[1]]!, palette };
  let foreground = palette[7]!;
  let background = palette[0]!;
  // Palette entries first, so that foreground/background may name them in any order.
  const pairs = text
    .split(';')
    .map((p) => p.trim())
    .filter((p) => p !== '')
    .map((p) => {
      const colon = p.indexOf(':');
      if (colon < 0) throw new ColorSchemeError(`Invalid color-scheme: "${p}" is not "name: value"`);
      return [p.slice(0, colon).trim().toLowerCase(), p.slice(colon + 1)] as const;
    });
  for (const [name, spec] of pairs) {
    const m = /^color(\d{1,3})$/.exec(name);
    if (!m) continue;
    const i = Number(m[1]);
    if (i > 255) throw new ColorSchemeError(`Invalid color-scheme: no palette entry "${name}"`);
    palette[i] = parseColor(spec, palette);
  }
  for (const [name, spec] of pairs) {
    if (name === 'foreground') foreground = parseColor(spec, palette);
    else if (name === 'background') background = parseColor(spec, palette);
    else if (!/^color\d{1,3}$/.test(name)) throw new ColorSchemeError(`Invalid color-scheme: unknown name "${name}"`);
  }
  return { foreground, background, palette };
}
