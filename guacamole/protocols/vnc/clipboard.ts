/**
 * Clipboard text between Guacamole (UTF-8 `clipboard` streams) and RFB cut text, whose bytes are in
 * the connection's `clipboard-encoding` (ISO8859-1 by default, or UTF-8, UTF-16, CP1252).
 * The RFB client hands cut text over as a byte string (one char per byte, ISO 8859-1), so the
 * conversion is: byte string ↔ bytes ↔ text in the chosen encoding. Like guacd's clipboard buffer,
 * either direction carries at most CLIPBOARD_MAX_BYTES, cut before the first character that does not fit.
 */
import { CLIPBOARD_MAX_BYTES } from '../../daemon/handlers.js';
import type { ClipboardEncoding } from './settings.js';

/** CP1252's 0x80–0x9F; undefined entries are unassigned and map to themselves. */
const CP1252_HIGH: readonly (number | undefined)[] = [
  0x20ac, undefined, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021, 0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, undefined, 0x017d, undefined,
  undefined, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, undefined, 0x017e, 0x0178,
];
const CP1252_REVERSE = new Map<number, number>(
  CP1252_HIGH.flatMap((cp, i) => (cp === undefined ? [] : [[cp, 0x80 + i] as [number, number]])),
);

/** Text → bytes in `encoding`; characters the encoding lacks become '?'. */
export function encodeClipboard(text: string, encoding: ClipboardEncoding): Buffer {
  switch (encoding) {
    case 'UTF-8':
      return Buffer.from(text, 'utf8');
    case 'UTF-16':
      return Buffer.from(text, 'utf16le');
    case 'ISO8859-1':
      return Buffer.from(Array.from(text, (c) => (c.codePointAt(0)! <= 0xff ? c.codePointAt(0)! : 0x3f)));
    case 'CP1252':
      return Buffer.from(
        Array.from(text, (c) => {
          const cp = c.codePointAt(0)!;
          if (cp < 0x80 || (cp >= 0xa0 && cp <= 0xff)) return cp;
          return CP1252_REVERSE.get(cp) ?? 0x3f;
        }),
      );
  }
}

/** Bytes in `encoding` → text. */
export function decodeClipboard(bytes: Uint8Array, encoding: ClipboardEncoding): string {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  switch (encoding) {
    case 'UTF-8':
      return buf.toString('utf8');
    case 'UTF-16':
      return buf.toString('utf16le', 0, buf.length & ~1);
    case 'ISO8859-1':
      return buf.toString('latin1');
    case 'CP1252':
      return Array.from(buf, (b) => String.fromCodePoint(b >= 0x80 && b <= 0x9f ? (CP1252_HIGH[b - 0x80] ?? b) : b)).join('');
  }
}

/** How many of `bytes` (in `encoding`) fit in `max` without cutting a character. */
function fittingLength(bytes: Buffer, encoding: ClipboardEncoding, max: number): number {
  if (bytes.length <= max) return bytes.length;
  switch (encoding) {
    case 'UTF-8': {
      let end = max;
      while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--;
      return end;
    }
    case 'UTF-16': {
      const end = max & ~1;
      const lastUnit = end >= 2 ? bytes.readUInt16LE(end - 2) : 0;
      return lastUnit >= 0xd800 && lastUnit <= 0xdbff ? end - 2 : end;
    }
    case 'ISO8859-1':
    case 'CP1252':
      return max;
  }
}

/** Guacamole text → the byte string the RFB client writes as ClientCutText (at most `maxBytes`). */
export function toCutText(text: string, encoding: ClipboardEncoding, maxBytes = CLIPBOARD_MAX_BYTES): string {
  const bytes = encodeClipboard(text, encoding);
  return bytes.toString('latin1', 0, fittingLength(bytes, encoding, maxBytes));
}

/** The RFB client's byte string from ServerCutText → Guacamole text (at most `maxBytes` of UTF-8). */
export function fromCutText(byteString: string, encoding: ClipboardEncoding, maxBytes = CLIPBOARD_MAX_BYTES): string {
  const utf8 = Buffer.from(decodeClipboard(Buffer.from(byteString, 'latin1'), encoding), 'utf8');
  return utf8.toString('utf8', 0, fittingLength(utf8, 'UTF-8', maxBytes));
}
