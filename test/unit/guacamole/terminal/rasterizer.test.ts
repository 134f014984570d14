import assert from 'node:assert/strict';
import { rasterize, type PathCommand } from '../../../../guacamole/terminal/rasterizer.js';

function rect(x0: number, y0: number, x1: number, y1: number, clockwise = true): PathCommand[] {
  const pts = clockwise ? [[x0, y0], [x1, y0], [x1, y1], [x0, y1]] : [[x0, y0], [x0, y1], [x1, y1], [x1, y0]];
  return [{ type: 'M', x: pts[0]![0]!, y: pts[0]![1]! }, ...pts.slice(1).map(([x, y]) => ({ type: 'L' as const, x: x!, y: y! })), { type: 'Z' }];
}

function sum(mask: { data: Uint8Array }): number {
  return mask.data.reduce((a, b) => a + b, 0) / 255;
}

describe('Rasterizer', () => {
  it('fills a pixel-aligned square exactly, whichever the winding', () => {
    for (const cw of [true, false]) {
      const m = rasterize(rect(1, 1, 3, 3, cw), 4, 4);
      const expected = [0, 0, 0, 0, 0, 255, 255, 0, 0, 255, 255, 0, 0, 0, 0, 0];
      assert.deepEqual([...m.data], expected);
    }
  });

  it('gives half coverage to pixels half inside', () => {
    const m = rasterize(rect(0.5, 0, 1.5, 1), 2, 1);
    assert.deepEqual([...m.data], [128, 128]);
  });

  it('covers a triangle with its area', () => {
    const tri: PathCommand[] = [{ type: 'M', x: 0, y: 0 }, { type: 'L', x: 8, y: 8 }, { type: 'L', x: 0, y: 8 }, { type: 'Z' }];
    const m = rasterize(tri, 8, 8);
    assert.ok(Math.abs(sum(m) - 32) < 0.1, `area ${sum(m)}`);
    // Below the diagonal is full, above it empty.
    assert.equal(m.data[7 * 8 + 0], 255);
    assert.equal(m.data[0 * 8 + 7], 0);
  });

  it('leaves a hole where an inner contour winds the other way (a glyph counter)', () => {
    const ring = [...rect(0, 0, 6, 6, true), ...rect(2, 2, 4, 4, false)];
    const m = rasterize(ring, 6, 6);
    assert.equal(m.data[3 * 6 + 3], 0);
    assert.equal(m.data[0], 255);
    assert.ok(Math.abs(sum(m) - 32) < 0.01);
  });

  it('flattens quadratic and cubic curves close to the true area (a circle of radius 4)', () => {
    const k = 0.5522847498 * 4;
    const c = (x1: number, y1: number, x2: number, y2: number, x: number, y: number): PathCommand => ({ type: 'C', x1, y1, x2, y2, x, y });
    const circle: PathCommand[] = [
      { type: 'M', x: 9, y: 5 },
      c(9, 5 + k, 5 + k, 9, 5, 9),
      c(5 - k, 9, 1, 5 + k, 1, 5),
      c(1, 5 - k, 5 - k, 1, 5, 1),
      c(5 + k, 1, 9, 5 - k, 9, 5),
      { type: 'Z' },
    ];
    const m = rasterize(circle, 10, 10);
    // 8 segments per quarter: an inscribed 32-gon, area 16·16·sin(π/16) ≈ 49.94 (π·16 ≈ 50.27).
    assert.ok(Math.abs(sum(m) - 16 * 16 * Math.sin(Math.PI / 16)) < 0.1, `area ${sum(m)}`);
    const q: PathCommand[] = [{ type: 'M', x: 0, y: 4 }, { type: 'Q', x1: 4, y1: -4, x: 8, y: 4 }, { type: 'Z' }];
    // A parabolic segment: 2/3 · base · height; 8 chords inscribe (1 − 1/8²) of it.
    const area = sum(rasterize(q, 8, 4));
    assert.ok(Math.abs(area - (2 / 3) * 8 * 4 * (1 - 1 / 64)) < 0.05, `area ${area}`);
  });

  it('clips what lies outside the mask', () => {
    const m = rasterize(rect(-2, -2, 2, 2), 4, 4);
    assert.deepEqual([...m.data.subarray(0, 4)], [255, 255, 0, 0]);
    assert.equal(sum(m), 4);
  });
});
