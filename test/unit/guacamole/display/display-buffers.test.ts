import assert from 'node:assert/strict';
import { Display, FIRST_BUFFER_LAYER } from '../../../../guacamole/display/display.js';
import { parseInstructions, type Instruction } from '../../../../guacamole/index.js';
import { BrowserDisplayModel } from '../../../helpers/browser-canvas.js';

function solid(width: number, height: number, rgba: readonly number[]): { width: number; height: number; data: Uint8Array } {
  const data = new Uint8Array(width * height * 4);
  for (let i = 0; i < data.length; i += 4) data.set(rgba, i);
  return { width, height, data };
}

function setup(): { display: Display; take: () => Instruction[] } {
  const display = new Display();
  let raw = '';
  display.attach({ write: (d) => (raw += d) });
  return {
    display,
    take: () => {
      const out = parseInstructions(raw);
      raw = '';
      return out;
    },
  };
}

const line = (i: Instruction): string => [i.opcode, ...i.args].join(',');

describe('Display (buffers, paint, blit)', () => {
  it('#createBuffer hands out −2, −3, … and announces their size in the next frame', () => {
    const { display, take } = setup();
    assert.equal(display.createBuffer(64, 32), FIRST_BUFFER_LAYER);
    assert.equal(display.createBuffer(8, 8), -3);
    display.flush();
    const out = take().map(line);
    assert.deepEqual(out.slice(0, 2), ['size,-2,64,32', 'size,-3,8,8']);
  });

  it('#paint sends rect + cfill OVER (opaque; SRC would clear the rest of a browser canvas) in drawing order and keeps the pixels', () => {
    const { display, take } = setup();
    display.resize(20, 10);
    display.flush();
    take();
    display.paint(2, 3, 4, 5, [10, 20, 30, 255]);
    display.paint(0, 0, 1, 1, [1, 2, 3, 255]);
    display.flush();
    const out = take().map(line);
    assert.deepEqual(out.slice(0, 4), ['rect,0,2,3,4,5', 'cfill,14,0,10,20,30,255', 'rect,0,0,0,1,1', 'cfill,14,0,1,2,3,255']);
    assert.equal(out.filter((l) => l.startsWith('img')).length, 0);
    const i = (3 * 20 + 2) * 4;
    assert.deepEqual([...display.surface.data.subarray(i, i + 4)], [10, 20, 30, 255]);
  });

  it('sends buffer pixels (lossless) before the copies that use them, in the same frame', () => {
    const { display, take } = setup();
    display.resize(20, 10);
    const buf = display.createBuffer(16, 8);
    display.putBuffer(buf, 4, 0, solid(4, 4, [200, 0, 0, 255]));
    display.copyFromBuffer(buf, 4, 0, 4, 4, 10, 5);
    display.copyFromBuffer(buf, 4, 0, 4, 4, 0, 0);
    display.flush();
    const out = take();
    const img = out.findIndex((i) => i.opcode === 'img');
    const firstCopy = out.findIndex((i) => i.opcode === 'copy');
    assert.ok(img >= 0 && img < firstCopy, 'image before copies');
    assert.deepEqual(out[img]!.args.slice(1, 6), ['14', String(buf), 'image/png', '4', '0']);
    assert.deepEqual(out.filter((i) => i.opcode === 'copy').map(line), ['copy,-2,4,0,4,4,14,0,10,5', 'copy,-2,4,0,4,4,14,0,0,0']);
    // Replayed independently, the client shows what the display holds.
    const canvas = new BrowserDisplayModel();
    canvas.apply(out);
    assert.deepEqual(canvas.pixel(0, 11, 6), [200, 0, 0, 255]);
    assert.equal(Buffer.compare(Buffer.from(canvas.layer(0).read().data), Buffer.from(display.surface.data)), 0);
  });

  it('does not re-send buffer pixels once sent; a later frame only copies', () => {
    const { display, take } = setup();
    display.resize(20, 10);
    const buf = display.createBuffer(8, 8);
    display.putBuffer(buf, 0, 0, solid(4, 4, [0, 200, 0, 255]));
    display.copyFromBuffer(buf, 0, 0, 4, 4, 0, 0);
    display.flush();
    take();
    display.copyFromBuffer(buf, 0, 0, 4, 4, 8, 0);
    display.flush();
    const out = take().map(line);
    assert.deepEqual(out.slice(0, -1), ['copy,-2,0,0,4,4,14,0,8,0']);
  });

  it('replays buffers to a joining user before the screen', () => {
    const { display } = setup();
    display.resize(20, 10);
    const buf = display.createBuffer(8, 8);
    display.putBuffer(buf, 0, 0, solid(4, 4, [0, 0, 200, 255]));
    display.copyFromBuffer(buf, 0, 0, 4, 4, 2, 2);
    display.flush();
    let raw = '';
    display.attach({ write: (d) => (raw += d) }, true);
    const replay = parseInstructions(raw);
    assert.equal(line(replay[0]!), 'size,-2,8,8');
    const canvas = new BrowserDisplayModel();
    canvas.apply(replay);
    assert.deepEqual(canvas.pixel(buf, 1, 1), [0, 0, 200, 255]);
    assert.deepEqual(canvas.pixel(0, 3, 3), [0, 0, 200, 255]);
  });

  it('clips a blit to both surfaces and refuses an unknown buffer', () => {
    const { display, take } = setup();
    display.resize(10, 10);
    const buf = display.createBuffer(4, 4);
    display.copyFromBuffer(buf, 0, 0, 4, 4, 8, 8);
    display.flush();
    assert.ok(take().map(line).includes('copy,-2,0,0,2,2,14,0,8,8'));
    assert.throws(() => display.copyFromBuffer(-9, 0, 0, 1, 1, 0, 0), RangeError);
  });
});
