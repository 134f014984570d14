/**
 * Decoding the finished images a remote server sends (Tight PNG, Tight JPEG) back into pixels, for the
 * few times the display needs them: a user joins, pixels are read or drawn over, or the client cannot
 * take the format as it is.
 */
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import type { ImageMimetype } from './encoders.js';
import type { RgbaImage } from './surface.js';

export class ImageDecodeError extends Error {
  override readonly name = 'ImageDecodeError';
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** Width and height from the image's header, without decoding it; undefined when the header is not valid. */
export function encodedImageSize(mimetype: ImageMimetype, data: Uint8Array): { width: number; height: number } | undefined {
  return mimetype === 'image/png' ? pngSize(data) : jpegSize(data);
}

function pngSize(d: Uint8Array): { width: number; height: number } | undefined {
  // Signature, then the IHDR chunk first: length 13, "IHDR", width, height (big-endian).
  if (d.length < 24 || PNG_SIGNATURE.some((b, i) => d[i] !== b)) return undefined;
  if (d[12] !== 0x49 || d[13] !== 0x48 || d[14] !== 0x44 || d[15] !== 0x52) return undefined;
  const view = new DataView(d.buffer, d.byteOffset, d.byteLength);
  return { width: view.getUint32(16), height: view.getUint32(20) };
}

/** The first start-of-frame marker (SOF0–SOF15 except DHT, JPG and DAC) holds the size. */
function jpegSize(d: Uint8Array): { width: number; height: number } | undefined {
  if (d.length < 4 || d[0] !== 0xff || d[1] !== 0xd8) return undefined;
  let i = 2;
  while (i + 9 < d.length) {
    if (d[i] !== 0xff) return undefined;
    const marker = d[i + 1]!;
    if (marker === 0xff) {
      i++;
      continue;
    }
    const length = (d[i + 2]! << 8) | d[i + 3]!;
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      return { height: (d[i + 5]! << 8) | d[i + 6]!, width: (d[i + 7]! << 8) | d[i + 8]! };
    }
    i += 2 + length;
  }
  return undefined;
}

/** Decodes a PNG or JPEG to 8-bit RGBA; throws ImageDecodeError when the data is not a valid image. */
export function decodeImage(mimetype: ImageMimetype, data: Uint8Array): RgbaImage {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  try {
    if (mimetype === 'image/png') {
      const png = PNG.sync.read(buf);
      return { width: png.width, height: png.height, data: new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.byteLength) };
    }
    const decoded = jpeg.decode(buf, { useTArray: true, formatAsRGBA: true, maxMemoryUsageInMB: 64 });
    return { width: decoded.width, height: decoded.height, data: decoded.data };
  } catch (err) {
    throw new ImageDecodeError(`${mimetype} data does not decode: ${(err as Error).message}`, { cause: err });
  }
}
