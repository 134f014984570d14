import assert from 'node:assert/strict';
import { PNG } from 'pngjs';
import { bilevelPalette, encodePalettePng, encodePng, hasPalette, palettise } from '../../../../guacamole/display/encoders.js';
import type { RgbaImage } from '../../../../guacamole/display/surface.js';

function image(width: number, height: number, pixel: (x: number, y: number) => [number, number, number, number]): RgbaImage {
  const data = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data.set(pixel(x, y), (y * width + x) * 4);
  return { width, height, data };
}

/** Decoded by pngjs, independent of the encoder: colour type from the IHDR byte, pixels as RGBA. */
function decode(png: Buffer): { colorType: number; rgba: Uint8Array } {
  const decoded = PNG.sync.read(png);
  return { colorType: png[25]!, rgba: new Uint8Array(decoded.data) };
}

describe('encoders', () => {
  describe('encodePng', () => {
    it('palettises a text-like image (≤ 256 colours) and round-trips it exactly', () => {
      const img = image(37, 19, (x, y) => ((x * 7 + y * 3) % 5 === 0 ? [170, 170, 170, 255] : [0, 0, 170, 255]));
      const { colorType, rgba } = decode(encodePng(img));
      assert.equal(colorType, 3);
      assert.deepEqual(rgba, img.data);
    });

    it('packs ≤ 2, 4, 16 and 256 colours into 1, 2, 4 and 8 bits an index, rows of any width, and round-trips exactly', () => {
      const depthFor = (n: number): number => (n <= 2 ? 1 : n <= 4 ? 2 : n <= 16 ? 4 : 8);
      for (const colours of [2, 3, 4, 5, 16, 17, 256]) {
        for (const width of [1, 3, 7, 8, 9, 33, 256]) {
          const img = image(width, 5, (x, y) => {
            const k = (x + y * width) % colours;
            return [k, 255 - k, (k * 7) % 256, 255];
          });
          const distinct = new Set(new Uint32Array(img.data.buffer)).size;
          const png = encodePng(img);
          assert.equal(png[24], depthFor(distinct), `bit depth for ${distinct} colours`);
          assert.deepEqual(decode(png).rgba, img.data, `${colours} colours, ${width} wide`);
        }
      }
    });

    it('keeps a two-colour text screen small: 1 bit an index', () => {
      const text = image(720, 400, (x, y) => ((x * 31 + y * 17) % 11 < 3 ? [170, 170, 170, 255] : [0, 0, 0, 255]));
      const png = encodePng(text);
      assert.equal(png[24], 1);
      assert.deepEqual(decode(png).rgba, text.data);
    });

    it('changes its mind at a third colour seen late, and makes a one-colour image a 1-bit PNG', () => {
      for (const [x3, y3] of [[12, 8], [0, 8], [12, 0]]) {
        const img = image(13, 9, (x, y) => (x === x3 && y === y3 ? [9, 9, 9, 255] : (x + y) % 3 ? [250, 0, 0, 255] : [0, 0, 250, 255]));
        const png = encodePng(img);
        assert.equal(png[24], 2, 'three colours: 2 bits an index');
        assert.deepEqual(decode(png).rgba, img.data, `third colour at ${x3},${y3}`);
      }
      const solid = image(10, 3, () => [1, 2, 3, 255]);
      const png = encodePng(solid);
      assert.equal(png[24], 1);
      assert.deepEqual(decode(png).rgba, solid.data);
    });

    it('keeps transparency in a palettised image (tRNS)', () => {
      const img = image(8, 8, (x) => (x < 4 ? [10, 20, 30, 0] : [200, 100, 50, 128]));
      const { colorType, rgba } = decode(encodePng(img, false));
      assert.equal(colorType, 3);
      assert.equal(rgba[3], 0);
      assert.deepEqual([...rgba.subarray(16, 20)], [200, 100, 50, 128]);
    });

    it('falls back to RGB for an opaque image with more than 256 colours, and RGBA when translucent', () => {
      const opaque = image(40, 20, (x, y) => [x * 6, y * 12, (x * y) % 256, 255]);
      const rgb = decode(encodePng(opaque));
      assert.equal(rgb.colorType, 2);
      assert.deepEqual(rgb.rgba, opaque.data);
      const translucent = image(40, 20, (x, y) => [x * 6, y * 12, 7, x === 0 ? 0 : 255]);
      const rgba = decode(encodePng(translucent));
      assert.equal(rgba.colorType, 6);
      assert.deepEqual(rgba.rgba, translucent.data);
    });
  });

  describe('bilevelPalette', () => {
    it('reads an area of a larger picture in place, as palettise reads the same area copied out', () => {
      const big = image(40, 12, (x, y) => (x < 5 || y < 2 ? [9, 9, 9, 255] : (x * 3 + y) % 4 ? [255, 255, 255, 255] : [0, 0, 0, 255]));
      const words = new Uint32Array(big.data.buffer);
      for (const [x, y, w, h] of [[5, 2, 13, 7], [5, 2, 35, 10], [6, 3, 8, 1], [20, 11, 1, 1]] as const) {
        const copy = image(w, h, (i, j) => [...big.data.subarray(((y + j) * 40 + x + i) * 4, ((y + j) * 40 + x + i) * 4 + 4)] as [number, number, number, number]);
        const inPlace = bilevelPalette({ words, offset: y * 40 + x, stride: 40, width: w, height: h });
        assert.ok(inPlace?.scanlines, `${w}x${h} at ${x},${y}: two colours at most`);
        // Taken before palettise reuses the scanline memory.
        const [colours, lines] = [inPlace.colours, [...inPlace.scanlines]];
        assert.deepEqual(decode(encodePalettePng(w, h, inPlace)).rgba, copy.data, 'the PNG shows the area');
        const copied = palettise(copy);
        assert.deepEqual(colours, copied?.colours);
        assert.deepEqual(lines, [...copied!.scanlines!]);
      }
      assert.equal(bilevelPalette({ words, offset: 0, stride: 40, width: 7, height: 3 }), undefined, 'three colours');
      assert.equal(bilevelPalette({ words, offset: 0, stride: 40, width: 0, height: 3 }), undefined, 'empty');
    });

    /** The PNG 1-bit scanlines of an area, pixel by pixel: the reference for bilevelPalette's unrolled scan. */
    function bilevelReference(words: Uint32Array, offset: number, stride: number, w: number, h: number): { colours: number[]; scanlines: number[] } | undefined {
      const colours = [words[offset]!];
      const scanlines: number[] = [];
      for (let y = 0; y < h; y++) {
        scanlines.push(0);
        for (let x = 0; x < w; x += 8) {
          let byte = 0;
          for (let k = 0; k < 8 && x + k < w; k++) {
            const c = words[offset + y * stride + x + k]!;
            if (!colours.includes(c)) colours.push(c);
            if (c !== colours[0]) byte |= 0x80 >> k;
          }
          scanlines.push(byte);
        }
      }
      return colours.length <= 2 ? { colours, scanlines } : undefined;
    }

    it('agrees with a pixel-by-pixel reference on 2,000 seeded areas: one, two or three colours anywhere, widths on and off bytes', () => {
      let seed = 0x2545f491;
      const random = (n: number): number => {
        seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
        return seed % n;
      };
      const colours: [number, number, number, number][] = [[0, 0, 0, 255], [170, 170, 170, 255], [255, 85, 85, 255]];
      for (let run = 0; run < 2000; run++) {
        const [w, h] = [1 + random(40), 1 + random(6)];
        const stride = w + random(9);
        const offset = random(5);
        const used = 1 + random(3);
        // mostly the first colour, strokes of the second, and (for three) one pixel of the third somewhere
        const picture = new Uint8Array((offset + stride * h) * 4);
        const at = (x: number, y: number): number => (offset + y * stride + x) * 4;
        for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) picture.set(colours[used > 1 && random(4) === 0 ? 1 : 0]!, at(x, y));
        if (used === 3) picture.set(colours[2]!, at(random(w), random(h)));
        const words = new Uint32Array(picture.buffer);
        const found = bilevelPalette({ words, offset, stride, width: w, height: h });
        const expected = bilevelReference(words, offset, stride, w, h);
        const label = `run ${run}: ${w}x${h}, stride ${stride}, ${used} colours`;
        assert.deepEqual(found && { colours: found.colours, scanlines: [...found.scanlines!] }, expected, label);
      }
    });
  });

  describe('hasPalette', () => {
    it('is true up to 256 colours and false beyond', () => {
      assert.equal(hasPalette(image(16, 16, (x, y) => [x, y, 0, 255])), true);
      assert.equal(hasPalette(image(17, 16, (x, y) => [x, y, 0, 255])), false);
    });
  });
});
