/** pg-protocol's split-buffer style for the RFB parser: whole, split at every offset, back to back. */
import assert from 'node:assert/strict';
import { Parser, RGB888, type PixelFormat, type ServerMessage } from '../../guacamole/protocols/vnc/rfb/index.js';

export function makeParser(width = 64, height = 64, pixelFormat: PixelFormat = RGB888): () => Parser {
  return () => new Parser({ pixelFormat, width, height });
}

/** Parses `bytes` whole, then split in two at every offset, and checks every way gives the same messages. */
export function parseEveryWay(make: () => Parser, bytes: Buffer): ServerMessage[] {
  const parser = make();
  const whole = parser.push(bytes);
  assert.equal(parser.buffered, 0, 'no bytes are left over');
  for (let i = 1; i < bytes.length; i++) {
    const p = make();
    const first = p.push(bytes.subarray(0, i));
    const got = [...first, ...p.push(bytes.subarray(i))];
    assert.deepEqual(got, whole, `split at byte ${i} of ${bytes.length}`);
  }
  return whole;
}

/** Fixtures joined into one chunk parse to the messages of each fixture in turn. */
export function parseBackToBack(make: () => Parser, fixtures: Buffer[]): ServerMessage[] {
  const oneByOne = make();
  const separate = fixtures.flatMap((f) => oneByOne.push(f));
  const joined = make().push(Buffer.concat(fixtures));
  assert.deepEqual(joined, separate);
  return joined;
}
