import assert from 'node:assert/strict';
import { BGR233, PixelConverter, RGB565, RGB888, unpackRgba, type PixelFormat } from '../../../../../../guacamole/protocols/vnc/rfb/index.js';
import { ImageMemoryPool } from '../../../../../../guacamole/protocols/vnc/rfb/pixel-format.js';

const rgba = (conv: PixelConverter, bytes: number[]): number[] => unpackRgba(conv.rgba(Uint8Array.from(bytes), 0));
const compact = (conv: PixelConverter, bytes: number[]): number[] => unpackRgba(conv.compactRgba(Uint8Array.from(bytes), 0));

describe('PixelConverter', () => {
  it('converts 32-bit little-endian BGRX (the fast path)', () => {
    assert.deepEqual(rgba(new PixelConverter(RGB888), [3, 2, 1, 0]), [1, 2, 3, 255]);
  });

  it('converts big-endian and other shifts through the generic path', () => {
    const be: PixelFormat = { ...RGB888, bigEndian: true, redShift: 0, greenShift: 8, blueShift: 16 };
    // value 0x00332211 → r 0x11, g 0x22, b 0x33; big-endian bytes 00 33 22 11
    assert.deepEqual(rgba(new PixelConverter(be), [0x00, 0x33, 0x22, 0x11]), [0x11, 0x22, 0x33, 255]);
  });

  it('scales 5-6-5 and 2-3-3 channels to 8 bits', () => {
    assert.deepEqual(rgba(new PixelConverter(RGB565), [0xff, 0xff]), [255, 255, 255, 255]);
    assert.deepEqual(rgba(new PixelConverter(RGB565), [0x00, 0xf8]), [255, 0, 0, 255]);
    // BGR233: red bits 0-2, green 3-5, blue 6-7
    assert.deepEqual(rgba(new PixelConverter(BGR233), [0b11000111]), [255, 0, 255, 255]);
  });

  it('uses 3-byte CPIXELs exactly when RFC 6143 says so', () => {
    assert.equal(new PixelConverter(RGB888).compactBytes, 3);
    assert.equal(new PixelConverter({ ...RGB888, depth: 32 }).compactBytes, 4);
    assert.equal(new PixelConverter(RGB565).compactBytes, 2);
    // least significant 3 bytes, little-endian: B G R
    assert.deepEqual(compact(new PixelConverter(RGB888), [3, 2, 1]), [1, 2, 3, 255]);
    // least significant 3 bytes, big-endian: R G B (the last three wire bytes)
    assert.deepEqual(compact(new PixelConverter({ ...RGB888, bigEndian: true }), [1, 2, 3]), [1, 2, 3, 255]);
    // most significant 3 bytes (shifts 24/16/8), little-endian: bytes 1-3 of the pixel, B G R
    const high: PixelFormat = { ...RGB888, redShift: 24, greenShift: 16, blueShift: 8 };
    assert.equal(new PixelConverter(high).compactBytes, 3);
    assert.deepEqual(compact(new PixelConverter(high), [3, 2, 1]), [1, 2, 3, 255]);
    assert.deepEqual(compact(new PixelConverter({ ...high, bigEndian: true }), [1, 2, 3]), [1, 2, 3, 255]);
  });

  it('looks colour-mapped pixels up in the map', () => {
    const conv = new PixelConverter({ ...BGR233, trueColour: false }, [undefined, { red: 0xffff, green: 0x8080, blue: 0 }]);
    assert.deepEqual(rgba(conv, [1]), [255, 128, 0, 255]);
    assert.deepEqual(rgba(conv, [7]), [0, 0, 0, 255]);
  });
});

describe('ImageMemoryPool', () => {
  it('reuses the memory of a recycled image, zeroed, and never hands the same memory out twice', () => {
    const pool = new ImageMemoryPool();
    const first = pool.alloc(256, 128);
    first.data.fill(0xab);
    pool.recycle(first);
    const second = pool.alloc(200, 100);
    assert.equal(second.data.buffer, first.data.buffer, 'the recycled memory is reused');
    assert.ok(second.data.every((b) => b === 0), 'no pixels of the earlier image survive');
    assert.equal(second.words.length, 200 * 100);
    const third = pool.alloc(200, 100);
    assert.notEqual(third.data.buffer, second.data.buffer);
  });

  it('serves many rectangles decoded before any is drawn, each from the smallest spare that fits', () => {
    const pool = new ImageMemoryPool();
    const sizes = [[16, 1], [496, 5], [32, 12], [80, 13], [16, 16]] as const;
    const frame = sizes.map(([w, h]) => pool.alloc(w, h));
    for (const image of frame) pool.recycle(image);
    pool.recycle(frame[0]!); // twice: kept once
    assert.deepEqual(pool.size, { buffers: 5, bytes: sizes.reduce((a, [w, h]) => a + w * h * 4, 0) });
    const next = sizes.map(([w, h]) => pool.alloc(w, h));
    next.forEach((image, i) => assert.equal(image.data.buffer, frame[i]!.data.buffer, `rectangle ${i} gets its own size back`));
    assert.equal(pool.size.buffers, 0);
    pool.recycle(next[0]!);
    assert.notEqual(pool.alloc(1024, 1024).data.buffer, next[0]!.data.buffer, 'a spare too small serves nothing bigger');
    assert.equal(pool.size.buffers, 1);
  });

  it('stays within its bounds, keeping the larger buffers', () => {
    const pool = new ImageMemoryPool(2, 10_000);
    const [a, b, c] = [pool.alloc(10, 10), pool.alloc(20, 20), pool.alloc(30, 10)]; // 400, 1600, 1200 bytes
    for (const image of [a, b, c]) pool.recycle(image);
    assert.deepEqual(pool.size, { buffers: 2, bytes: 2800 });
    assert.notEqual(pool.alloc(10, 10).data.buffer, a.data.buffer, 'the smallest made room');
    pool.recycle(pool.alloc(60, 60)); // 14,400 bytes: over the byte bound, left to V8
    assert.equal(pool.size.bytes, 1600, 'the 1,200-byte spare served the 400-byte image; the big one was not kept');
  });
});
