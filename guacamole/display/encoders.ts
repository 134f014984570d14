/**
 * Image encoders and the pixel statistics that choose between them
 * (guacd's `common/surface.c`: solid fills, PNG optimality, JPEG quality from lag).
 */
import { crc32, deflateSync } from 'node:zlib';
import jpeg from 'jpeg-js';
import type { RgbaImage } from './surface.js';

export type ImageMimetype = 'image/png' | 'image/jpeg';

/** The colour when every pixel of `image` is the same, else undefined. */
export function solidColor(image: RgbaImage): [number, number, number, number] | undefined {
  const d = image.data;
  if (d.length < 4) return undefined;
  const view = new Uint32Array(d.buffer, d.byteOffset, d.byteLength >> 2);
  // Uint32Array needs 4-byte alignment; images from Surface.read always have it.
  const first = view[0];
  for (let i = 1; i < view.length; i++) if (view[i] !== first) return undefined;
  return [d[0]!, d[1]!, d[2]!, d[3]!];
}

/** A little-endian 32-bit RGBA key (as `palettise` makes them) as its four channels. */
export function rgbaOf(key: number): [number, number, number, number] {
  return [key & 0xff, (key >>> 8) & 0xff, (key >>> 16) & 0xff, key >>> 24];
}

export function isOpaque(image: RgbaImage): boolean {
  const d = image.data;
  for (let i = 3; i < d.length; i += 4) if (d[i] !== 255) return false;
  return true;
}

/**
 * guacd's PNG optimality: `256·same/different − 1024` over horizontally adjacent pixels.
 * Negative means photo-like content that PNG compresses badly.
 */
export function pngOptimality(image: RgbaImage): number {
  const d = image.data;
  let same = 0;
  let different = 0;
  for (let y = 0; y < image.height; y++) {
    let i = y * image.width * 4;
    for (let x = 1; x < image.width; x++, i += 4) {
      if (d[i] === d[i + 4] && d[i + 1] === d[i + 5] && d[i + 2] === d[i + 6]) same++;
      else different++;
    }
  }
  if (different === 0) return 0x100000;
  return Math.floor((256 * same) / different) - 1024;
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
/** PNG colour types (ISO 15948 §11.2.2). */
const enum PngColorType {
  RGB = 2,
  PALETTE = 3,
  RGBA = 6,
}
const MAX_PALETTE = 256;
/** zlib level: 6 compresses text and UI screens about as well as 9 at a fraction of the time. */
const PNG_DEFLATE_LEVEL = 6;

function pngChunk(type: string, data: Uint8Array): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const tail = Buffer.alloc(4);
  tail.writeUInt32BE(crc32(data, crc32(head.subarray(4))) >>> 0);
  return Buffer.concat([head, data, tail]);
}

/**
 * Up to 256 colours (RGBA as 32-bit keys, in the order first seen) and the image in terms of them: either one
 * index per pixel, or (two colours at most) the PNG scanlines themselves, one bit an index.
 */
export type Palette =
  | { readonly colours: readonly number[]; readonly indices: Uint8Array; readonly scanlines?: undefined }
  | { readonly colours: readonly number[]; readonly scanlines: Uint8Array; readonly indices?: undefined };

let indexScratch = new Uint8Array(0);
let scanlineScratch = new Uint8Array(0);

/** A rectangle of a larger RGBA picture as 32-bit pixels, read in place: `stride` pixels a row, the first at `offset`. */
export interface PixelArea {
  readonly words: Uint32Array;
  readonly offset: number;
  readonly stride: number;
  readonly width: number;
  readonly height: number;
}

/**
 * The image's palette, or undefined beyond 256 colours. Index and scanline memory is a shared scratch, valid
 * until the next `palettise` or `bilevelPalette`.
 */
export function palettise(image: RgbaImage): Palette | undefined {
  const { width, height, data: d } = image;
  const words = new Uint32Array(d.buffer, d.byteOffset, d.byteLength >> 2);
  return bilevelPalette({ words, offset: 0, stride: width, width, height }) ?? indexedPalette(image);
}

/**
 * At most two colours: the PNG scanlines (filter byte 0, then 1 bit a pixel, most significant first) made in
 * the same pass that finds the colours, reading the pixels where they are. Text screens are two colours a
 * cell; building the bits here spares a copy of the area and a second pass over an index per pixel. Gives up,
 * undefined, at the third colour (or for an empty area).
 */
export function bilevelPalette(area: PixelArea): Palette | undefined {
  const { words, stride, width, height } = area;
  if (width <= 0 || height <= 0) return undefined;
  const rowBytes = (width + 7) >> 3;
  const size = (rowBytes + 1) * height;
  if (scanlineScratch.length < size) scanlineScratch = new Uint8Array(size);
  const out = scanlineScratch;
  const first = words[area.offset]!;
  // The second colour, once a pixel differs from the first; until then it stands in for the first.
  let second = first;
  const whole = width >> 3;
  const rest = width & 7;
  let o = 0;
  for (let y = 0; y < height; y++) {
    out[o++] = 0;
    let i = area.offset + y * stride;
    // Eight pixels a byte, unrolled, every comparison made (`&`, not `&&`): text alternates between its two
    // colours, so branches on single pixels would be mispredicted often. The one branch is taken at a pixel
    // of neither colour: the first time (the second colour appears) or at a third colour.
    for (let b = 0; b < whole; b++, i += 8) {
      const c0 = words[i]!, c1 = words[i + 1]!, c2 = words[i + 2]!, c3 = words[i + 3]!;
      const c4 = words[i + 4]!, c5 = words[i + 5]!, c6 = words[i + 6]!, c7 = words[i + 7]!;
      const d0 = +(c0 !== first), d1 = +(c1 !== first), d2 = +(c2 !== first), d3 = +(c3 !== first);
      const d4 = +(c4 !== first), d5 = +(c5 !== first), d6 = +(c6 !== first), d7 = +(c7 !== first);
      const stranger =
        (d0 & +(c0 !== second)) | (d1 & +(c1 !== second)) | (d2 & +(c2 !== second)) | (d3 & +(c3 !== second)) |
        (d4 & +(c4 !== second)) | (d5 & +(c5 !== second)) | (d6 & +(c6 !== second)) | (d7 & +(c7 !== second));
      if (stranger) {
        // The second colour's first pixels, or a third colour. (Inline: `second` stays a plain local.)
        for (let k = 0; k < 8; k++) {
          const c = words[i + k]!;
          if (c !== first && c !== second) {
            if (second !== first) return undefined;
            second = c;
          }
        }
      }
      out[o++] = (d0 << 7) | (d1 << 6) | (d2 << 5) | (d3 << 4) | (d4 << 3) | (d5 << 2) | (d6 << 1) | d7;
    }
    if (rest > 0) {
      // The row's last pixels; the padding after them counts as the first colour (bit 0).
      let byte = 0;
      for (let k = 0; k < rest; k++) {
        const c = words[i + k]!;
        if (c !== first && c !== second) {
          if (second !== first) return undefined;
          second = c;
        }
        byte |= +(c !== first) << (7 - k);
      }
      out[o++] = byte;
    }
  }
  return { colours: second === first ? [first] : [first, second], scanlines: out.subarray(0, size) };
}

/** Up to 256 colours, one index a pixel. Runs of one colour cost one comparison a pixel. */
export function indexedPalette(image: RgbaImage): Palette | undefined {
  const d = image.data;
  const view = new Uint32Array(d.buffer, d.byteOffset, d.byteLength >> 2);
  if (indexScratch.length < view.length) indexScratch = new Uint8Array(view.length);
  const indices = indexScratch.subarray(0, view.length);
  const index = new Map<number, number>();
  const colours: number[] = [];
  // The last two colours seen answer most pixels (text alternates between two) without the Map.
  let last = -1, lastIndex = 0;
  let before = -1, beforeIndex = 0;
  for (let i = 0; i < view.length; i++) {
    const c = view[i]!;
    if (c !== last) {
      let k: number | undefined;
      if (c === before) k = beforeIndex;
      else {
        k = index.get(c);
        if (k === undefined) {
          if (colours.length === MAX_PALETTE) return undefined;
          k = colours.length;
          index.set(c, k);
          colours.push(c);
        }
      }
      before = last;
      beforeIndex = lastIndex;
      last = c;
      lastIndex = k;
    }
    indices[i] = lastIndex;
  }
  return { colours, indices };
}

/** At most 256 colours: a palettised PNG is lossless and small, so JPEG would only blur it (text, UI). */
export function hasPalette(image: RgbaImage): boolean {
  return palettise(image) !== undefined;
}

/** The smallest PNG palette bit depth for `n` colours (ISO 15948 §11.2.2: 1, 2, 4 or 8). */
function paletteDepth(n: number): 1 | 2 | 4 | 8 {
  return n <= 2 ? 1 : n <= 4 ? 2 : n <= 16 ? 4 : 8;
}

/** PNG scanlines (filter byte 0, then the indices packed `depth` bits each, most significant first). */
function packedRows(indices: Uint8Array, width: number, height: number, depth: 1 | 2 | 4 | 8): Buffer {
  const rowBytes = Math.ceil((width * depth) / 8);
  const raw = Buffer.alloc((rowBytes + 1) * height);
  if (depth === 8) {
    for (let y = 0; y < height; y++) raw.set(indices.subarray(y * width, (y + 1) * width), y * (rowBytes + 1) + 1);
    return raw;
  }
  const perByte = 8 / depth;
  const whole = Math.floor(width / perByte);
  for (let y = 0, i = 0; y < height; y++) {
    let o = y * (rowBytes + 1) + 1;
    for (let b = 0; b < whole; b++, o++) {
      let byte = 0;
      for (let k = 0; k < perByte; k++) byte = (byte << depth) | indices[i++]!;
      raw[o] = byte;
    }
    if (whole * perByte < width) {
      let byte = 0;
      for (let x = whole * perByte; x < whole * perByte + perByte; x++) byte = (byte << depth) | (x < width ? indices[i++]! : 0);
      raw[o] = byte;
    }
  }
  return raw;
}

/**
 * A PNG of `image`, as guacd sends them: palettised when it has at most 256 colours (1, 2, 4 or 8 bits
 * an index, whichever fits: a two-colour text screen deflates from an eighth of the bytes), else RGB
 * (opaque) or RGBA; rows unfiltered, deflated by zlib. Lossless either way. Pass `palette` when the
 * caller has already made it.
 */
export function encodePng(image: RgbaImage, opaque = isOpaque(image), palette = image.width * image.height > 0 ? palettise(image) : undefined): Buffer {
  return palette ? encodePalettePng(image.width, image.height, palette) : encodeTrueColourPng(image, opaque);
}

/** An RGB PNG of an opaque image, RGBA otherwise (any number of colours). */
export function encodeTrueColourPng(image: RgbaImage, opaque: boolean): Buffer {
  const { width, height, data } = image;
  let raw: Uint8Array;
  if (opaque) {
    raw = Buffer.alloc((width * 3 + 1) * height);
    let o = 0;
    for (let y = 0, i = 0; y < height; y++) {
      raw[o++] = 0; // filter: none
      for (let x = 0; x < width; x++, i += 4) {
        raw[o++] = data[i]!;
        raw[o++] = data[i + 1]!;
        raw[o++] = data[i + 2]!;
      }
    }
  } else {
    raw = Buffer.alloc((width * 4 + 1) * height);
    for (let y = 0; y < height; y++) raw.set(data.subarray(y * width * 4, (y + 1) * width * 4), y * (width * 4 + 1) + 1);
  }
  return pngFile(pngHeader(width, height, 8, opaque ? PngColorType.RGB : PngColorType.RGBA), [], raw);
}

/** A palettised PNG of a `width`×`height` area from its palette (1, 2, 4 or 8 bits an index; tRNS when translucent). */
export function encodePalettePng(width: number, height: number, palette: Palette): Buffer {
  const n = palette.colours.length;
  const depth = paletteDepth(n);
  const plte = Buffer.alloc(n * 3);
  const trns = Buffer.alloc(n);
  let translucent = false;
  const bytes = new Uint8Array(Uint32Array.from(palette.colours).buffer);
  for (let k = 0; k < n; k++) {
    plte[k * 3] = bytes[k * 4]!;
    plte[k * 3 + 1] = bytes[k * 4 + 1]!;
    plte[k * 3 + 2] = bytes[k * 4 + 2]!;
    trns[k] = bytes[k * 4 + 3]!;
    if (trns[k] !== 255) translucent = true;
  }
  const chunks = [pngChunk('PLTE', plte)];
  if (translucent) chunks.push(pngChunk('tRNS', trns));
  const raw = palette.scanlines ?? packedRows(palette.indices, width, height, depth);
  return pngFile(pngHeader(width, height, depth, PngColorType.PALETTE), chunks, raw);
}

function pngHeader(width: number, height: number, depth: number, colorType: PngColorType): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = depth;
  ihdr[9] = colorType;
  return ihdr;
}

/** The PNG file: signature, IHDR, the colour chunks, the deflated scanlines, IEND. */
function pngFile(ihdr: Buffer, chunks: readonly Buffer[], raw: Uint8Array): Buffer {
  const idat = deflateSync(raw, { level: PNG_DEFLATE_LEVEL });
  return Buffer.concat([PNG_SIGNATURE, pngChunk('IHDR', ihdr), ...chunks, pngChunk('IDAT', idat), pngChunk('IEND', Buffer.alloc(0))]);
}

/** JPEG quality from the client's processing lag, as guacd: 90 − (lag − 20), within 30..90. */
export function jpegQuality(lagMs: number): number {
  return Math.max(30, Math.min(90, 90 - (lagMs - 20)));
}

export function encodeJpeg(image: RgbaImage, quality: number): Buffer {
  return jpeg.encode({ width: image.width, height: image.height, data: image.data }, quality).data;
}
