import assert from 'node:assert/strict';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { Encoding, RfbClientError, type FramebufferUpdate } from '../../../../../../guacamole/protocols/vnc/rfb/index.js';
import { framebufferUpdate, rgbaOf, tight, ZrleWriter, type Rgb } from '../../../../../helpers/rfb-fixtures.js';
import { makeParser, parseEveryWay } from '../../../../../helpers/rfb-split.js';

const R: Rgb = [255, 0, 0], B: Rgb = [0, 0, 255], Y: Rgb = [250, 200, 5];

describe('Tight decoding', () => {
  const make = makeParser(64, 64);
  let z0: ZrleWriter, z1: ZrleWriter;
  beforeEach(() => { z0 = new ZrleWriter(); z1 = new ZrleWriter(); });
  afterEach(() => { z0.close(); z1.close(); });

  it('decodes fill, and copy-filter data both small (uncompressed) and compressed over two streams', async () => {
    const small: Rgb[] = [R, B, Y]; // 9 bytes: sent as is
    const big = Array.from({ length: 6 * 5 }, (_, i): Rgb => [i * 8, 255 - i * 8, i]);
    const bytes = framebufferUpdate([
      tight.fill(0, 0, 10, 10, Y),
      await tight.copy(1, 1, 3, 1, small, z0),
      await tight.copy(2, 2, 6, 5, big, z0),
      await tight.palette(0, 20, 10, 2, [R, B], Array.from({ length: 20 }, (_, i) => i % 3 === 0 ? 1 : 0), z1),
      await tight.palette(0, 30, 5, 3, [R, B, Y], Array.from({ length: 15 }, (_, i) => i % 3), z1),
      await tight.copy(8, 8, 6, 5, big, z0), // refers back to the earlier copy in stream 0
    ]);
    const [u] = parseEveryWay(make, bytes) as FramebufferUpdate[];
    assert.deepEqual(u!.rectangles, [
      { kind: 'fill', encoding: Encoding.Tight, x: 0, y: 0, width: 10, height: 10, rgba: [250, 200, 5, 255] },
      { kind: 'pixels', encoding: Encoding.Tight, x: 1, y: 1, image: { width: 3, height: 1, data: rgbaOf(small) } },
      { kind: 'pixels', encoding: Encoding.Tight, x: 2, y: 2, image: { width: 6, height: 5, data: rgbaOf(big) } },
      { kind: 'pixels', encoding: Encoding.Tight, x: 0, y: 20, image: { width: 10, height: 2, data: rgbaOf(Array.from({ length: 20 }, (_, i) => (i % 3 === 0 ? B : R))) } },
      { kind: 'pixels', encoding: Encoding.Tight, x: 0, y: 30, image: { width: 5, height: 3, data: rgbaOf(Array.from({ length: 15 }, (_, i) => [R, B, Y][i % 3]!)) } },
      { kind: 'pixels', encoding: Encoding.Tight, x: 8, y: 8, image: { width: 6, height: 5, data: rgbaOf(big) } },
    ]);
  });

  const solid = (w: number, h: number): Uint8Array => {
    const src = new Uint8Array(w * h * 4);
    for (let i = 0; i < w * h; i++) src.set([200, 40, 40, 255], i * 4);
    return src;
  };

  it('hands JPEG rectangles on as they came, not decoded', () => {
    const data = jpeg.encode({ width: 16, height: 8, data: solid(16, 8) }, 95).data;
    const [u] = parseEveryWay(make, framebufferUpdate([tight.jpeg(3, 4, 16, 8, data)])) as FramebufferUpdate[];
    assert.deepEqual(u!.rectangles, [
      { kind: 'image', encoding: Encoding.Tight, x: 3, y: 4, width: 16, height: 8, mimetype: 'image/jpeg', data: new Uint8Array(data) },
    ]);
  });

  it('hands Tight PNG rectangles on as they came, between fills and basic rectangles of the same update', async () => {
    const png = PNG.sync.write(Object.assign(new PNG({ width: 5, height: 3 }), { data: Buffer.from(solid(5, 3)) }));
    const bytes = framebufferUpdate([
      tight.fill(0, 0, 10, 10, Y),
      tight.png(2, 3, 5, 3, png),
      await tight.copy(1, 1, 3, 1, [R, B, Y], z0),
    ]);
    const [u] = parseEveryWay(make, bytes) as FramebufferUpdate[];
    assert.deepEqual(u!.rectangles[1], { kind: 'image', encoding: Encoding.TightPng, x: 2, y: 3, width: 5, height: 3, mimetype: 'image/png', data: new Uint8Array(png) });
    assert.equal(u!.rectangles[0]!.kind, 'fill');
    assert.equal(u!.rectangles[2]!.kind, 'pixels');
  });

  it('refuses an image whose header size differs from its rectangle, or that is no image at all', () => {
    const png = PNG.sync.write(Object.assign(new PNG({ width: 5, height: 3 }), { data: Buffer.from(solid(5, 3)) }));
    assert.throws(() => make().push(framebufferUpdate([tight.png(0, 0, 6, 3, png)])), /image\/png data is 5x3, its rectangle is 6x3/);
    assert.throws(() => make().push(framebufferUpdate([tight.jpeg(0, 0, 4, 4, Buffer.from('not a jpeg at all'))])), /image\/jpeg data is not a valid image/);
  });

  it('survives 3,000 mutated Tight streams from a hostile server: messages or a protocol error, nothing else', async () => {
    const big = Array.from({ length: 12 * 9 }, (_, i): Rgb => [i * 2, 255 - i, i % 7]);
    const png = PNG.sync.write(Object.assign(new PNG({ width: 5, height: 3 }), { data: Buffer.from(solid(5, 3)) }));
    const stream = Buffer.concat([
      framebufferUpdate([
        tight.fill(0, 0, 10, 10, Y),
        await tight.copy(2, 2, 12, 9, big, z0),
        await tight.palette(0, 20, 16, 4, [R, B], Array.from({ length: 64 }, (_, i) => (i * 5) % 3 === 0 ? 1 : 0), z1),
        tight.png(30, 3, 5, 3, png),
      ]),
      framebufferUpdate([
        await tight.copy(20, 20, 12, 9, big, z0), // refers back to stream 0
        await tight.palette(0, 40, 15, 3, [R, B, Y], Array.from({ length: 45 }, (_, i) => i % 3), z1),
      ]),
    ]);
    let seed = 0x1b873593;
    const random = (n: number): number => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) % n;
    };
    const outcomes = { parsed: 0, refused: 0, zlib: 0 };
    for (let run = 0; run < 3000; run++) {
      const bytes = Buffer.from(stream);
      for (let k = 1 + random(4); k > 0; k--) bytes[random(bytes.length)] = random(256);
      const parser = make();
      try {
        for (let at = 0; at < bytes.length; ) {
          const size = 1 + random(300);
          parser.push(bytes.subarray(at, at + size));
          at += size;
        }
        outcomes.parsed++;
      } catch (err) {
        assert.ok(err instanceof RfbClientError && err.code === 'RFB_PROTOCOL_ERROR', `run ${run}: ${String(err)}`);
        outcomes.refused++;
        if (err.detail === 'ZLIB_ERROR') outcomes.zlib++;
      }
    }
    // The mutations reach the zlib streams, not only the message headers.
    assert.ok(outcomes.parsed > 100 && outcomes.zlib > 100, JSON.stringify(outcomes));
  });
});
