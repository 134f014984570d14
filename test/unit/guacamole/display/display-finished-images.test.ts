import assert from 'node:assert/strict';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { Display, type DisplaySink } from '../../../../guacamole/display/display.js';
import { Surface } from '../../../../guacamole/display/surface.js';
import { parseInstructions, type Instruction } from '../../../../guacamole/index.js';

type Rgba = [number, number, number, number];

class Recorder implements DisplaySink {
  readonly instructions: Instruction[] = [];
  write(data: string): void {
    this.instructions.push(...parseInstructions(data));
  }
  lastSync(): number {
    return Number([...this.instructions].reverse().find((i) => i.opcode === 'sync')!.args[0]);
  }
  /** Every image stream in order: mimetype, position and the exact bytes of its blobs. */
  images(): { mimetype: string; x: number; y: number; bytes: Buffer }[] {
    const out: { mimetype: string; x: number; y: number; bytes: Buffer }[] = [];
    for (let i = 0; i < this.instructions.length; i++) {
      const img = this.instructions[i]!;
      if (img.opcode !== 'img') continue;
      const blobs: Buffer[] = [];
      for (let j = i + 1; j < this.instructions.length && this.instructions[j]!.opcode !== 'end'; j++) {
        const b = this.instructions[j]!;
        if (b.opcode === 'blob') blobs.push(Buffer.from(b.args[1]!, 'base64'));
      }
      out.push({ mimetype: img.args[3]!, x: Number(img.args[4]), y: Number(img.args[5]), bytes: Buffer.concat(blobs) });
    }
    return out;
  }
  clear(): void {
    this.instructions.length = 0;
  }
}

function pngFile(width: number, height: number, pixel: (x: number, y: number) => Rgba): Buffer {
  const png = new PNG({ width, height, colorType: 2 });
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) png.data.set(pixel(x, y), (y * width + x) * 4);
  return PNG.sync.write(png, { colorType: 2 });
}

const checker = (x: number, y: number): Rgba => ((x + y) % 2 ? [250, 250, 250, 255] : [10, 20, 30, 255]);
const red: Rgba = [200, 0, 0, 255];

function pixelAt(surface: Surface, x: number, y: number): Rgba {
  const d = surface.read({ x, y, width: 1, height: 1 }).data;
  return [d[0]!, d[1]!, d[2]!, d[3]!];
}

describe('Display: finished images from the server (Tight PNG / JPEG)', () => {
  let display: Display;
  let rec: Recorder;
  const start = (mimetypes: string[]): void => {
    display = new Display({ imageMimetypes: mimetypes });
    rec = new Recorder();
    display.attach(rec);
    display.resize(64, 32);
    display.flush();
    display.onSync(rec, rec.lastSync());
    rec.clear();
  };
  afterEach(() => display.dispose());

  it('sends a PNG to the client byte for byte, and decodes it only when its pixels are read', () => {
    start(['image/png']);
    const png = pngFile(8, 4, checker);
    display.putImage(4, 2, 8, 4, 'image/png', png);
    display.endFrame();
    assert.deepEqual(rec.images(), [{ mimetype: 'image/png', x: 4, y: 2, bytes: png }]);
    assert.equal(display.surface.deferredDraws, 1, 'not decoded while nobody needs the pixels');
    assert.deepEqual(pixelAt(display.surface, 5, 2), checker(1, 0));
    assert.equal(display.surface.deferredDraws, 0);
  });

  it('decodes a deferred image before its pixels are read in place (Surface.area)', () => {
    start(['image/png']);
    display.putImage(4, 2, 8, 4, 'image/png', pngFile(8, 4, checker));
    display.endFrame();
    const area = display.surface.area({ x: 5, y: 2, width: 2, height: 1 });
    assert.equal(display.surface.deferredDraws, 0);
    const bytes = new Uint8Array(area.words.buffer, (area.offset) * 4, 8);
    assert.deepEqual([...bytes], [...checker(1, 0), ...checker(2, 0)]);
    assert.equal(area.stride, 64);
  });

  it('never decodes an image that a later image or fill covers whole', () => {
    start(['image/png']);
    let frame = 0;
    // A screen that keeps changing: each frame repaints the same strip; nothing ever reads it.
    for (; frame < 50; frame++) {
      display.putImage(0, 0, 64, 8, 'image/png', pngFile(64, 8, (x) => [frame, x, 0, 255]));
      display.endFrame();
      display.onSync(rec, rec.lastSync());
    }
    assert.equal(display.surface.deferredDraws, 1);
    display.paint(0, 0, 64, 8, red);
    assert.equal(display.surface.deferredDraws, 1, 'the fill replaced the image it covers');
    assert.deepEqual(pixelAt(display.surface, 3, 3), red);
  });

  it('keeps drawing order: a fill over part of an image, then the image below decoded under it', () => {
    start(['image/png']);
    display.putImage(0, 0, 16, 16, 'image/png', pngFile(16, 16, checker));
    display.paint(4, 4, 4, 4, red);
    display.endFrame();
    const ops = rec.instructions.map((i) => i.opcode).filter((o) => o === 'img' || o === 'rect');
    assert.deepEqual(ops, ['img', 'rect'], 'the client gets the image, then the fill over it');
    assert.deepEqual(pixelAt(display.surface, 5, 5), red);
    assert.deepEqual(pixelAt(display.surface, 1, 0), checker(1, 0));
  });

  it('queues a server fill over a deferred image as rect + cfill after it, without decoding the image', () => {
    start(['image/png']);
    display.putImage(0, 0, 16, 16, 'image/png', pngFile(16, 16, checker));
    display.fill(0, 0, 16, 8, red);
    display.endFrame();
    assert.equal(display.surface.deferredDraws, 2);
    const ops = rec.instructions.map((i) => i.opcode).filter((o) => o === 'img' || o === 'rect');
    assert.deepEqual(ops, ['img', 'rect']);
    assert.deepEqual(pixelAt(display.surface, 1, 7), red);
    assert.deepEqual(pixelAt(display.surface, 1, 8), checker(1, 8));
  });

  it('decodes before raw pixels or a move touch the image, so the surface matches what the client drew', () => {
    start(['image/png']);
    display.putImage(0, 0, 16, 16, 'image/png', pngFile(16, 16, checker));
    display.endFrame();
    display.onSync(rec, rec.lastSync());
    display.put(2, 2, { width: 1, height: 1, data: new Uint8Array(red) });
    display.copy(0, 0, 4, 4, 20, 0);
    assert.deepEqual(pixelAt(display.surface, 2, 2), red);
    assert.deepEqual(pixelAt(display.surface, 21, 0), checker(1, 0));
    assert.deepEqual(pixelAt(display.surface, 22, 2), red);
  });

  it('gives a joining user the decoded picture', () => {
    start(['image/png']);
    display.putImage(0, 0, 64, 32, 'image/png', pngFile(64, 32, checker));
    display.endFrame();
    const joiner = new Recorder();
    display.attach(joiner, true);
    const [first] = joiner.images();
    const png = PNG.sync.read(first!.bytes);
    assert.deepEqual([...png.data.subarray(4, 8)], checker(1, 0));
    assert.deepEqual([...png.data.subarray((31 * 64 + 63) * 4, (31 * 64 + 64) * 4)], checker(63, 31));
  });

  it('passes JPEG through only to a client that takes JPEG; otherwise decodes it and sends PNG', () => {
    const pixels = new Uint8Array(16 * 16 * 4).fill(128);
    const file = jpeg.encode({ width: 16, height: 16, data: pixels }, 90).data;
    start(['image/png', 'image/jpeg']);
    display.putImage(0, 0, 16, 16, 'image/jpeg', file);
    display.endFrame();
    assert.deepEqual(rec.images().map((i) => [i.mimetype, i.bytes.equals(file)]), [['image/jpeg', true]]);
    display.dispose();

    start(['image/png']);
    display.putImage(0, 0, 16, 16, 'image/jpeg', file);
    display.endFrame();
    const sent = rec.instructions.filter((i) => i.opcode === 'img' || i.opcode === 'rect');
    assert.ok(sent.every((i) => i.opcode !== 'img' || i.args[3] === 'image/png'), 'no JPEG to a PNG-only client');
    assert.ok(Math.abs(pixelAt(display.surface, 8, 8)[0] - 128) <= 4);
  });

  it('decodes an image that overlaps pixels of the same frame instead of sending them out of order', () => {
    start(['image/png']);
    display.put(0, 0, { width: 4, height: 4, data: new Uint8Array(64).fill(255) });
    const png = pngFile(8, 8, checker);
    display.putImage(2, 2, 8, 8, 'image/png', png);
    assert.equal(display.surface.deferredDraws, 0);
    display.endFrame();
    assert.ok(!rec.images().some((i) => i.bytes.equals(png)), 'sent from the surface, not as received');
    assert.deepEqual(pixelAt(display.surface, 3, 3), checker(1, 1));
  });

  it('leaves the area as it was when a deferred image turns out not to decode', () => {
    const surface = new Surface(8, 8);
    surface.fill(0, 0, 8, 8, red);
    surface.takeChanges();
    const broken = Buffer.concat([pngFile(4, 4, checker).subarray(0, 33), Buffer.alloc(40, 7)]);
    assert.ok(surface.putEncoded({ x: 0, y: 0, width: 4, height: 4 }, 'image/png', broken));
    assert.deepEqual(pixelAt(surface, 1, 1), red);
    assert.equal(surface.undecodableImages, 1);
  });

  it('refuses to defer an image that does not lie wholly inside the surface', () => {
    const surface = new Surface(8, 8);
    assert.equal(surface.putEncoded({ x: 4, y: 4, width: 8, height: 8 }, 'image/png', pngFile(8, 8, checker)), false);
    assert.equal(surface.hasChanges, false);
  });

  it('bounds the images waiting to be decoded', () => {
    start(['image/png']);
    // 64 × 32 distinct 1×1 images, none covering another: decoded once too many wait.
    for (let y = 0; y < 32; y++) for (let x = 0; x < 64; x++) display.putImage(x, y, 1, 1, 'image/png', pngFile(1, 1, () => [x, y, 0, 255]));
    assert.ok(display.surface.deferredDraws <= 256);
    assert.deepEqual(pixelAt(display.surface, 63, 31), [63, 31, 0, 255]);
  });
});
