/** The small part of opentype.js (which ships no types) that the terminal uses. */
declare module 'opentype.js' {
  export interface OpenTypePath {
    readonly commands: readonly import('./rasterizer.js').PathCommand[];
  }
  export interface OpenTypeGlyph {
    readonly index: number;
    readonly advanceWidth?: number;
    getPath(x: number, y: number, fontSize: number): OpenTypePath;
    getBoundingBox(): { x1: number; y1: number; x2: number; y2: number };
  }
  export interface OpenTypeFont {
    readonly unitsPerEm: number;
    readonly ascender: number;
    readonly descender: number;
    readonly tables: { readonly post?: { underlinePosition?: number; underlineThickness?: number } };
    charToGlyph(char: string): OpenTypeGlyph;
    hasChar(char: string): boolean;
  }
  export function parse(buffer: ArrayBuffer): OpenTypeFont;
  const opentype: { parse: typeof parse };
  export default opentype;
}
