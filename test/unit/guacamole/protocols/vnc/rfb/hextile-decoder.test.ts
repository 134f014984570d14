import assert from 'node:assert/strict';
import { Encoding, type FramebufferUpdate } from '../../../../../../guacamole/protocols/vnc/rfb/index.js';
import { framebufferUpdate, hextile, rectHeader, rreRect, cat, rgbaOf, type Rgb } from '../../../../../helpers/rfb-fixtures.js';
import { makeParser, parseEveryWay } from '../../../../../helpers/rfb-split.js';

const R: Rgb = [255, 0, 0], G: Rgb = [0, 255, 0], B: Rgb = [0, 0, 255], K: Rgb = [0, 0, 0];

function picture(w: number, h: number, f: (x: number, y: number) => Rgb): Uint8Array {
  const px: Rgb[] = [];
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) px.push(f(x, y));
  return rgbaOf(px);
}

describe('Hextile and RRE decoding', () => {
  const make = makeParser(64, 64);

  it('decodes Hextile raw, background, foreground and coloured sub-rectangle tiles across partial tiles', () => {
    // 20x18: tiles (0,0) 16x16, (16,0) 4x16, (0,16) 16x2, (16,16) 4x2.
    const rawPx = Array.from({ length: 4 * 16 }, (_, i): Rgb => [i, 2 * i, 3 * i]);
    const bytes = framebufferUpdate([cat(rectHeader(2, 3, 20, 18, 5),
      hextile.fg(K, R, [[1, 1, 3, 2]]), // black, red 3x2 at (1,1)
      hextile.raw(rawPx),
      hextile.bg(), // reuses black
      hextile.coloured(G, [[B, 2, 0, 1, 1], [R, 3, 1, 1, 1]]),
    )]);
    const want = picture(20, 18, (x, y) => {
      if (y < 16 && x < 16) return x >= 1 && x < 4 && y >= 1 && y < 3 ? R : K;
      if (y < 16) return rawPx[y * 4 + (x - 16)]!;
      if (x < 16) return K;
      const tx = x - 16, ty = y - 16;
      return tx === 2 && ty === 0 ? B : tx === 3 && ty === 1 ? R : G;
    });
    const [u] = parseEveryWay(make, bytes) as FramebufferUpdate[];
    assert.deepEqual(u!.rectangles, [{ kind: 'pixels', encoding: Encoding.Hextile, x: 2, y: 3, image: { width: 20, height: 18, data: want } }]);
  });

  it('turns a Hextile rectangle of one background into a fill', () => {
    const bytes = framebufferUpdate([cat(rectHeader(0, 0, 32, 16, 5), hextile.bg(B), hextile.bg())]);
    const [u] = parseEveryWay(make, bytes) as FramebufferUpdate[];
    assert.deepEqual(u!.rectangles, [{ kind: 'fill', encoding: Encoding.Hextile, x: 0, y: 0, width: 32, height: 16, rgba: [0, 0, 255, 255] }]);
  });

  it('decodes RRE, and RRE without sub-rectangles as a fill', () => {
    const bytes = framebufferUpdate([
      rreRect(1, 1, 4, 3, G, [{ c: R, x: 1, y: 1, w: 2, h: 2 }]),
      rreRect(0, 0, 8, 8, B, []),
    ]);
    const [u] = parseEveryWay(make, bytes) as FramebufferUpdate[];
    assert.deepEqual(u!.rectangles, [
      { kind: 'pixels', encoding: Encoding.RRE, x: 1, y: 1, image: { width: 4, height: 3, data: picture(4, 3, (x, y) => (x >= 1 && x < 3 && y >= 1 ? R : G)) } },
      { kind: 'fill', encoding: Encoding.RRE, x: 0, y: 0, width: 8, height: 8, rgba: [0, 0, 255, 255] },
    ]);
  });
});
