/**
 * Image encoders and the pixel statistics that choose between them
 * (guacd's `common/surface.c`: solid fills, PNG optimality, JPEG quality from lag).
 */
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
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

export function encodePng(image: RgbaImage, opaque = isOpaque(image)): Buffer {
  const png = { width: image.width, height: image.height, data: Buffer.from(image.data.buffer, image.data.byteOffset, image.data.byteLength) };
  return PNG.sync.write(png as unknown as PNG, { colorType: opaque ? 2 : 6, inputColorType: 6, inputHasAlpha: true });
}

/** JPEG quality from the client's processing lag, as guacd: 90 − (lag − 20), within 30..90. */
export function jpegQuality(lagMs: number): number {
  return Math.max(30, Math.min(90, 90 - (lagMs - 20)));
}

export function encodeJpeg(image: RgbaImage, quality: number): Buffer {
  return jpeg.encode({ width: image.width, height: image.height, data: image.data }, quality).data;
}
