/**
 * An image as guacd sends it: `img` on a stream, the encoded bytes base64 in `blob`s of at most
 * 6048 raw bytes, then `end`. The browser does not ack image blobs, so the stream ends at once.
 */
import { encode } from '../protocol/encoder.js';
import { BLOB_MAX_BYTES, type CompositeMode } from '../protocol/instructions.js';

/** Broadcast streams have odd indices (guacd: `2n+1`); an image stream is closed before the next opens. */
export const IMAGE_STREAM = 1;

export function imageInstructions(
  mask: CompositeMode,
  layer: number,
  mimetype: string,
  x: number,
  y: number,
  bytes: Uint8Array,
  stream = IMAGE_STREAM,
): string {
  let out = encode.img(stream, mask, layer, mimetype, x, y);
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let offset = 0; offset < buf.length; offset += BLOB_MAX_BYTES) {
    out += encode.blob(stream, buf.toString('base64', offset, Math.min(buf.length, offset + BLOB_MAX_BYTES)));
  }
  return out + encode.end(stream);
}
