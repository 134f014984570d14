import assert from 'node:assert/strict';
import { Encoding, Parser, RGB888, RfbClientError, type FramebufferUpdate } from '../../../../../../guacamole/protocols/vnc/rfb/index.js';
import { cat, framebufferUpdate, rectHeader, u32, u8, ZrleWriter, zrleTile, type Rgb } from '../../../../../helpers/rfb-fixtures.js';
import { makeParser, parseBackToBack, parseEveryWay } from '../../../../../helpers/rfb-split.js';

const R: Rgb = [255, 0, 0], G: Rgb = [0, 255, 0], B: Rgb = [0, 0, 255], K: Rgb = [0, 0, 0], Y: Rgb = [250, 200, 5];

/** An independent RGBA canvas to paint the expected picture. */
class Canvas {
  readonly data: Uint8Array;
  constructor(readonly width: number, readonly height: number) {
    this.data = new Uint8Array(width * height * 4);
  }
  set(x: number, y: number, [r, g, b]: Rgb): void {
    this.data.set([r, g, b, 255], (y * this.width + x) * 4);
  }
  fill(x0: number, y0: number, w: number, h: number, c: Rgb): void {
    for (let y = y0; y < y0 + h; y++) for (let x = x0; x < x0 + w; x++) this.set(x, y, c);
  }
  /** Pixels of an area, row by row, in `order`. */
  paint(x0: number, y0: number, w: number, colours: Rgb[]): void {
    colours.forEach((c, i) => this.set(x0 + (i % w), y0 + Math.floor(i / w), c));
  }
}

const seq = (n: number, f: (i: number) => Rgb): Rgb[] => Array.from({ length: n }, (_, i) => f(i));

describe('ZRLE decoding', () => {
  const make = makeParser(128, 128);
  let writer: ZrleWriter;
  beforeEach(() => { writer = new ZrleWriter(); });
  afterEach(() => writer.close());

  it('turns a rectangle of solid tiles of one colour into a fill', async () => {
    const rect = await writer.rect(5, 6, 70, 3, [zrleTile.solid(Y), zrleTile.solid(Y)]);
    const [u] = parseEveryWay(make, framebufferUpdate([rect])) as FramebufferUpdate[];
    assert.deepEqual(u!.rectangles, [{ kind: 'fill', encoding: Encoding.ZRLE, x: 5, y: 6, width: 70, height: 3, rgba: [250, 200, 5, 255] }]);
  });

  it('decodes solid, raw, packed-palette and plain-RLE tiles, including partial edge tiles', async () => {
    const want = new Canvas(70, 66);
    want.fill(0, 0, 64, 64, R);
    const raw = seq(6 * 64, (i) => [i % 256, (i * 7) % 256, 255 - (i % 256)]);
    want.paint(64, 0, 6, raw);
    const palette = [R, G, B, K, Y];
    const indices = Array.from({ length: 64 * 2 }, (_, i) => (i * 3) % 5);
    want.paint(0, 64, 64, indices.map((i) => palette[i]!));
    want.paint(64, 64, 6, [...seq(3, () => G), ...seq(9, () => B)]);
    const rect = await writer.rect(1, 2, 70, 66, [
      zrleTile.solid(R), zrleTile.raw(raw), zrleTile.packed(palette, 64, indices), zrleTile.plainRle([[G, 3], [B, 9]]),
    ]);
    const [u] = parseEveryWay(make, framebufferUpdate([rect])) as FramebufferUpdate[];
    assert.deepEqual(u!.rectangles, [{ kind: 'pixels', encoding: Encoding.ZRLE, x: 1, y: 2, image: { width: 70, height: 66, data: want.data } }]);
  });

  for (const colours of [2, 3, 4, 16]) {
    it(`packs a ${colours}-colour palette at the right bit width`, async () => {
      const palette = seq(colours, (i) => [i * 15, 255 - i * 15, i]);
      const indices = Array.from({ length: 13 * 3 }, (_, i) => (i * 5 + 1) % colours);
      const want = new Canvas(13, 3);
      want.paint(0, 0, 13, indices.map((i) => palette[i]!));
      const rect = await writer.rect(0, 0, 13, 3, [zrleTile.packed(palette, 13, indices)]);
      const u = new Parser({ pixelFormat: RGB888, width: 20, height: 20 }).push(framebufferUpdate([rect]))[0] as FramebufferUpdate;
      const r = u.rectangles[0]!;
      assert.deepEqual(r.kind === 'pixels' && r.image.data, want.data);
    });
  }

  it('decodes palette RLE with single pixels and long runs (run bytes of 255)', async () => {
    const palette = [K, Y, B];
    const runs: [number, number][] = [[1, 1], [0, 300], [2, 1], [1, 64 * 64 - 302 - 10], [2, 10]];
    const want = new Canvas(64, 64);
    want.paint(0, 0, 64, runs.flatMap(([i, n]) => seq(n, () => palette[i]!)));
    const rect = await writer.rect(0, 0, 64, 64, [zrleTile.paletteRle(palette, runs)]);
    const [u] = parseEveryWay(makeParser(64, 64), framebufferUpdate([rect])) as FramebufferUpdate[];
    const r = u!.rectangles[0]!;
    assert.deepEqual(r.kind === 'pixels' && r.image.data, want.data);
  });

  it('continues one zlib stream across two rectangles in two updates', async () => {
    const raw = seq(8 * 8, (i) => [(i * 37) % 256, (i * 11) % 256, (i * 101) % 256]);
    const first = framebufferUpdate([await writer.rect(0, 0, 8, 8, [zrleTile.raw(raw)])]);
    // The same tile again: deflate refers back to the first rectangle's data.
    const second = framebufferUpdate([await writer.rect(8, 8, 8, 8, [zrleTile.raw(raw)])]);
    assert.ok(second.length < first.length, 'the second rectangle is compressed against the first');
    const want = new Canvas(8, 8);
    want.paint(0, 0, 8, raw);
    const msgs = parseBackToBack(make, [first, second]) as FramebufferUpdate[];
    assert.deepEqual(msgs.map((m) => m.rectangles[0]), [
      { kind: 'pixels', encoding: Encoding.ZRLE, x: 0, y: 0, image: { width: 8, height: 8, data: want.data } },
      { kind: 'pixels', encoding: Encoding.ZRLE, x: 8, y: 8, image: { width: 8, height: 8, data: want.data } },
    ]);
    parseEveryWay(make, cat(first, second));
    // Without the first rectangle's history the second cannot be decoded.
    assert.throws(() => make().push(second), (e: unknown) => e instanceof RfbClientError && e.detail === 'ZLIB_ERROR');
  });

  it('reports a tile with an undefined sub-encoding', async () => {
    const rect = await writer.rect(0, 0, 4, 4, [u8(17)]);
    assert.throws(() => make().push(framebufferUpdate([rect])), (e: unknown) => e instanceof RfbClientError && e.detail === 'BAD_SUBENCODING');
  });

  it('reports data that is not zlib', () => {
    const rect = cat(rectHeader(0, 0, 4, 4, 16), u32(4), Buffer.from([1, 2, 3, 4]));
    assert.throws(() => make().push(framebufferUpdate([rect])), (e: unknown) => e instanceof RfbClientError && e.code === 'RFB_PROTOCOL_ERROR' && e.detail === 'ZLIB_ERROR');
  });

  it('survives 3,000 mutated ZRLE streams from a hostile server: messages or a protocol error, nothing else', async () => {
    // Two updates on one zlib stream, every kind of tile, as a server would send them.
    const palette = [R, G, B, K, Y];
    const first = framebufferUpdate([
      await writer.rect(0, 0, 70, 66, [
        zrleTile.solid(R), zrleTile.raw(seq(6 * 64, (i) => [i % 256, 7, 9])),
        zrleTile.packed(palette, 64, Array.from({ length: 128 }, (_, i) => (i * 3) % 5)), zrleTile.plainRle([[G, 3], [B, 9]]),
      ]),
    ]);
    const second = framebufferUpdate([await writer.rect(8, 8, 20, 10, [zrleTile.paletteRle([K, Y, B], [[0, 1], [1, 150], [2, 49]])])]);
    const stream = cat(first, second);
    let seed = 0x2545f491;
    const random = (n: number): number => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) % n;
    };
    const outcomes = { parsed: 0, refused: 0, zlib: 0, tiles: 0 };
    for (let run = 0; run < 3000; run++) {
      const bytes = Buffer.from(stream);
      for (let k = 1 + random(4); k > 0; k--) bytes[random(bytes.length)] = random(256);
      const parser = make();
      try {
        for (let at = 0; at < bytes.length; ) {
          const size = 1 + random(400);
          parser.push(bytes.subarray(at, at + size));
          at += size;
        }
        outcomes.parsed++;
      } catch (err) {
        assert.ok(err instanceof RfbClientError && err.code === 'RFB_PROTOCOL_ERROR', `run ${run}: ${String(err)}`);
        outcomes.refused++;
        if (err.detail === 'ZLIB_ERROR') outcomes.zlib++;
        if (err.detail === 'BAD_SUBENCODING') outcomes.tiles++;
      }
    }
    // The mutations reach the inflater and the tile decoder, not only the message headers.
    assert.ok(outcomes.parsed > 100 && outcomes.zlib > 100 && outcomes.tiles > 10, JSON.stringify(outcomes));
  });
});
