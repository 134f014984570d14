import assert from 'node:assert/strict';
import { PNG } from 'pngjs';
import { Display, type DisplaySink } from '../../../../guacamole/display/display.js';
import { DirtyRegion } from '../../../../guacamole/display/dirty.js';
import { parseInstructions, type Instruction } from '../../../../guacamole/index.js';

class Recorder implements DisplaySink {
  readonly instructions: Instruction[] = [];
  write(data: string): void {
    this.instructions.push(...parseInstructions(data));
  }
  opcodes(): string[] {
    return this.instructions.map((i) => i.opcode);
  }
  lastSync(): number {
    return Number([...this.instructions].reverse().find((i) => i.opcode === 'sync')!.args[0]);
  }
  clear(): void {
    this.instructions.length = 0;
  }
}

function image(width: number, height: number, pixel: (x: number, y: number) => [number, number, number, number]) {
  const data = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data.set(pixel(x, y), (y * width + x) * 4);
  return { width, height, data };
}

function pngOf(rec: Recorder): { img: Instruction; png: PNG } {
  const index = rec.instructions.findIndex((i) => i.opcode === 'img');
  const img = rec.instructions[index]!;
  const blobs: Buffer[] = [];
  for (const i of rec.instructions.slice(index + 1)) {
    if (i.opcode === 'end') break;
    if (i.opcode === 'blob') blobs.push(Buffer.from(i.args[1]!, 'base64'));
  }
  return { img, png: PNG.sync.read(Buffer.concat(blobs)) };
}

describe('Display', () => {
  let display: Display;
  let rec: Recorder;
  beforeEach(() => {
    display = new Display({ imageMimetypes: ['image/png'] });
    rec = new Recorder();
    display.attach(rec);
    display.resize(200, 100);
    display.flush();
    display.onSync(rec, rec.lastSync());
    rec.clear();
  });
  afterEach(() => display.dispose());

  it('sends the size change, then closes the frame with sync', () => {
    const d = new Display();
    const r = new Recorder();
    d.attach(r);
    d.resize(64, 32);
    d.endFrame();
    assert.deepEqual(r.instructions[0], { opcode: 'size', args: ['0', '64', '32'] });
    assert.equal(r.opcodes().at(-1), 'sync');
  });

  it('#endFrame sends a solid fill as rect + cfill, composited OVER (14)', () => {
    // SRC (12) would be the canvas 'copy' operation, which clears everything outside the filled rectangle.
    display.fill(10, 20, 30, 40, [255, 0, 0, 255]);
    display.endFrame();
    assert.deepEqual(rec.instructions.slice(0, 2), [
      { opcode: 'rect', args: ['0', '10', '20', '30', '40'] },
      { opcode: 'cfill', args: ['14', '0', '255', '0', '0', '255'] },
    ]);
    assert.deepEqual(rec.opcodes(), ['rect', 'cfill', 'sync']);
  });

  it('#endFrame sends a moved area as copy', () => {
    display.copy(0, 0, 50, 50, 100, 10);
    display.endFrame();
    assert.deepEqual(rec.instructions[0], { opcode: 'copy', args: ['0', '0', '0', '50', '50', '14', '0', '100', '10'] });
    assert.deepEqual(rec.opcodes(), ['copy', 'sync']);
  });

  it('does not copy from pixels the client has not seen yet', () => {
    display.fill(0, 0, 10, 10, [1, 2, 3, 255]);
    display.copy(0, 0, 10, 10, 50, 50);
    display.endFrame();
    assert.equal(rec.opcodes().includes('copy'), false);
  });

  it('sends detailed pixels as a PNG that decodes back to the same pixels', () => {
    const src = image(33, 17, (x, y) => [x * 7, y * 13, (x * y) % 256, 255]);
    display.put(5, 6, src);
    display.endFrame();
    const { img, png } = pngOf(rec);
    assert.deepEqual(img.args, ['1', '14', '0', 'image/png', '5', '6']);
    assert.equal(png.width, 33);
    assert.equal(png.height, 17);
    assert.deepEqual(new Uint8Array(png.data), src.data);
    assert.deepEqual(rec.opcodes().slice(-2), ['end', 'sync']);
  });

  it('chunks image data into blobs of at most 6048 bytes', () => {
    let seed = 1;
    const noise = image(200, 100, () => [(seed = (seed * 48271) % 2147483647) & 255, seed >> 8 & 255, seed >> 16 & 255, 255]);
    display.put(0, 0, noise);
    display.endFrame();
    const blobs = rec.instructions.filter((i) => i.opcode === 'blob');
    assert.ok(blobs.length > 1);
    for (const b of blobs) assert.ok(Buffer.from(b.args[1]!, 'base64').length <= 6048);
  });

  it('sends JPEG for a fast-changing photo-like area when the client accepts it', () => {
    let now = 1000;
    const d = new Display({ imageMimetypes: ['image/png', 'image/jpeg'], maxFramesAhead: 100, now: () => now });
    const r = new Recorder();
    d.attach(r);
    d.resize(128, 128);
    let seed = 7;
    const noisy = () => image(128, 128, () => [(seed = (seed * 48271) % 2147483647) & 255, seed >> 8 & 255, seed >> 16 & 255, 255]);
    for (let i = 0; i < 8; i++) {
      now += 50; // 20 frames per second
      d.put(0, 0, noisy());
      d.endFrame();
    }
    const mimetypes = r.instructions.filter((i) => i.opcode === 'img').map((i) => i.args[3]);
    assert.equal(mimetypes[0], 'image/png');
    assert.ok(mimetypes.includes('image/jpeg'), mimetypes.join(' '));
    d.dispose();
  });

  it('sends no JPEG once lossless is forced (force-lossless), even where it would', () => {
    let now = 1000;
    const d = new Display({ imageMimetypes: ['image/png', 'image/jpeg'], maxFramesAhead: 100, now: () => now });
    d.forceLossless();
    const r = new Recorder();
    d.attach(r);
    d.resize(128, 128);
    let seed = 7;
    const noisy = () => image(128, 128, () => [(seed = (seed * 48271) % 2147483647) & 255, seed >> 8 & 255, seed >> 16 & 255, 255]);
    for (let i = 0; i < 8; i++) {
      now += 50;
      d.put(0, 0, noisy());
      d.endFrame();
    }
    const mimetypes = r.instructions.filter((i) => i.opcode === 'img').map((i) => i.args[3]);
    assert.equal(mimetypes.length, 8);
    assert.ok(mimetypes.every((m) => m === 'image/png'), mimetypes.join(' '));
    d.dispose();
  });

  it('sends the cursor through a buffer layer and the cursor instruction', () => {
    display.setCursor(3, 4, image(8, 8, () => [0, 0, 0, 128]));
    display.endFrame();
    assert.deepEqual(rec.instructions[0], { opcode: 'size', args: ['-1', '8', '8'] });
    assert.deepEqual(rec.instructions[1]!.args.slice(1, 4), ['12', '-1', 'image/png']);
    assert.deepEqual(rec.instructions.find((i) => i.opcode === 'cursor')!.args, ['3', '4', '-1', '0', '0', '8', '8']);
  });

  it('holds frames while two are unanswered and sends them when the client syncs', () => {
    display.fill(0, 0, 1, 1, [1, 1, 1, 255]);
    display.endFrame();
    const first = rec.lastSync();
    display.fill(0, 0, 1, 1, [2, 2, 2, 255]);
    display.endFrame();
    assert.equal(display.framesInFlight, 2);
    display.fill(0, 0, 1, 1, [3, 3, 3, 255]);
    display.endFrame();
    let ready = false;
    display.whenReady(() => (ready = true));
    assert.equal(rec.opcodes().filter((o) => o === 'sync').length, 2, 'the third frame waits');
    assert.equal(ready, false);
    assert.equal(display.onSync(rec, first), 'ok');
    assert.equal(rec.opcodes().filter((o) => o === 'sync').length, 3, 'released by the reply');
    assert.equal(ready, true);
    assert.ok(display.lagMs >= 0);
    assert.equal(display.onSync(rec, rec.lastSync() + 1000), 'unknown-timestamp');
  });

  it('uses strictly increasing sync timestamps', () => {
    const seen: number[] = [];
    for (let i = 0; i < 5; i++) {
      display.fill(0, 0, 1, 1, [i, 0, 0, 255]);
      display.flush();
      seen.push(rec.lastSync());
    }
    for (let i = 1; i < seen.length; i++) assert.ok(seen[i]! > seen[i - 1]!);
  });

  it('replays the whole picture to a joining user', () => {
    display.fill(0, 0, 200, 100, [9, 9, 9, 255]);
    display.flush();
    const joiner = new Recorder();
    display.attach(joiner, true);
    assert.deepEqual(joiner.opcodes(), ['size', 'rect', 'cfill']);
  });
});

describe('DirtyRegion', () => {
  it('#add coalesces touching and nearby rectangles', () => {
    const d = new DirtyRegion();
    d.add({ x: 0, y: 0, width: 100, height: 10 });
    d.add({ x: 0, y: 10, width: 100, height: 10 });
    d.add({ x: 5, y: 5, width: 10, height: 10 });
    assert.deepEqual(d.rects(), [{ x: 0, y: 0, width: 100, height: 20 }]);
  });

  it('#add keeps far-apart rectangles separate', () => {
    const d = new DirtyRegion();
    d.add({ x: 0, y: 0, width: 10, height: 10 });
    d.add({ x: 500, y: 500, width: 10, height: 10 });
    assert.equal(d.rects().length, 2);
  });

  it('#add collapses beyond 256 rectangles into their bounding box', () => {
    const d = new DirtyRegion();
    for (let i = 0; i < 300; i++) d.add({ x: (i % 20) * 200, y: Math.floor(i / 20) * 200, width: 1, height: 1 });
    assert.ok(d.rects().length <= 256);
  });
});
