import assert from 'node:assert/strict';
import { deflateSync } from 'node:zlib';
import {
  Encoding, Parser, RGB565, RGB888, RfbClientError, ServerMessageType, type FramebufferUpdate, type ServerMessage,
} from '../../../../../../guacamole/protocols/vnc/rfb/index.js';
import {
  bell, cat, colourMapEntries, copyRect, cursorRect, desktopSize, extendedDesktopSize, framebufferUpdate, lastRect,
  px565, rawRect, rectHeader, rgbaOf, serverCutText, u32, u8, type Rgb,
} from '../../../../../helpers/rfb-fixtures.js';
import { makeParser, parseBackToBack, parseEveryWay } from '../../../../../helpers/rfb-split.js';

const R: Rgb = [255, 0, 0], G: Rgb = [0, 255, 0], B: Rgb = [0, 0, 255], W: Rgb = [255, 255, 255];

function onlyUpdate(msgs: ServerMessage[]): FramebufferUpdate {
  assert.equal(msgs.length, 1);
  assert.equal(msgs[0]!.type, ServerMessageType.FramebufferUpdate);
  return msgs[0] as FramebufferUpdate;
}

function expectError(fn: () => unknown, detail: string): void {
  assert.throws(fn, (err: unknown) => err instanceof RfbClientError && err.code === 'RFB_PROTOCOL_ERROR'
    && err.guacStatus === 0x0203 && err.detail === detail);
}

describe('Parser', () => {
  const make = makeParser(16, 8);

  describe('#push', () => {
    it('parses Bell', () => {
      assert.deepEqual(parseEveryWay(make, bell()), [{ type: ServerMessageType.Bell }]);
    });

    it('parses ServerCutText as ISO 8859-1', () => {
      const msgs = parseEveryWay(make, serverCutText('caf\xe9 \xa9 ok'));
      assert.deepEqual(msgs, [{ type: ServerMessageType.ServerCutText, text: 'café © ok' }]);
    });

    it('skips an extended-clipboard ServerCutText (negative length)', () => {
      const ext = cat(u8(3), Buffer.alloc(3), Buffer.from([0xff, 0xff, 0xff, 0xfc]), Buffer.from([1, 2, 3, 4]));
      assert.deepEqual(parseEveryWay(make, cat(ext, bell())), [{ type: ServerMessageType.Bell }]);
    });

    it('parses SetColourMapEntries and uses the map for colour-mapped pixels', () => {
      const cmapFormat = { ...RGB888, bitsPerPixel: 8 as const, depth: 8, trueColour: false };
      const makeMapped = makeParser(4, 1, cmapFormat);
      const bytes = cat(
        colourMapEntries(1, [[0xffff, 0, 0], [0, 0x8000, 0xffff]]),
        framebufferUpdate([cat(rectHeader(0, 0, 2, 1, 0), Buffer.from([1, 2]))]),
      );
      const msgs = parseEveryWay(makeMapped, bytes);
      assert.deepEqual(msgs[0], {
        type: ServerMessageType.SetColourMapEntries, firstColour: 1,
        colours: [{ red: 0xffff, green: 0, blue: 0 }, { red: 0, green: 0x8000, blue: 0xffff }],
      });
      const rect = (msgs[1] as FramebufferUpdate).rectangles[0]!;
      assert.equal(rect.kind, 'pixels');
      assert.deepEqual(rect.kind === 'pixels' && rect.image.data, Uint8Array.from([255, 0, 0, 255, 0, 128, 255, 255]));
    });

    it('parses a Raw rectangle into RGBA', () => {
      const pixels: Rgb[] = [R, G, B, W, [1, 2, 3], [250, 128, 7]];
      const u = onlyUpdate(parseEveryWay(make, framebufferUpdate([rawRect(3, 4, 3, 2, pixels)])));
      assert.deepEqual(u.rectangles, [{
        kind: 'pixels', encoding: Encoding.Raw, x: 3, y: 4, image: { width: 3, height: 2, data: rgbaOf(pixels) },
      }]);
    });

    it('converts 16-bit 5-6-5 pixels', () => {
      const p = new Parser({ pixelFormat: RGB565, width: 4, height: 4 });
      const u = onlyUpdate(p.push(framebufferUpdate([rawRect(0, 0, 2, 1, [[255, 0, 0], [0, 255, 255]], px565)])));
      const r = u.rectangles[0]!;
      assert.deepEqual(r.kind === 'pixels' && r.image.data, Uint8Array.from([255, 0, 0, 255, 0, 255, 255, 255]));
    });

    it('parses CopyRect', () => {
      const u = onlyUpdate(parseEveryWay(make, framebufferUpdate([copyRect(8, 2, 4, 3, 0, 1)])));
      assert.deepEqual(u.rectangles, [{ kind: 'copy', x: 8, y: 2, width: 4, height: 3, srcX: 0, srcY: 1 }]);
    });

    it('parses DesktopSize and checks later rectangles against the new size', () => {
      const bytes = framebufferUpdate([desktopSize(40, 20), rawRect(30, 10, 1, 1, [R])]);
      const u = onlyUpdate(parseEveryWay(make, bytes));
      assert.deepEqual(u.rectangles[0], { kind: 'desktopSize', encoding: Encoding.DesktopSize, width: 40, height: 20 });
      assert.equal(u.rectangles[1]!.kind, 'pixels');
    });

    it('parses ExtendedDesktopSize with its screens, reason and status', () => {
      const u = onlyUpdate(parseEveryWay(make, framebufferUpdate([extendedDesktopSize(800, 600, 1, 0)])));
      assert.deepEqual(u.rectangles, [{
        kind: 'desktopSize', encoding: Encoding.ExtendedDesktopSize, width: 800, height: 600, reason: 1, status: 0,
        screens: [{ id: 7, x: 0, y: 0, width: 800, height: 600, flags: 0 }],
      }]);
    });

    it('parses the Cursor pseudo-encoding with the bitmask as alpha', () => {
      const pixels: Rgb[] = [R, G, B, W, R, G, B, W, R, G, B, W, R, G, B, W, R, G];
      const mask = [
        [1, 0, 1, 0, 1, 0, 1, 0, 1],
        [0, 1, 0, 1, 0, 1, 0, 1, 0],
      ];
      const u = onlyUpdate(parseEveryWay(make, framebufferUpdate([cursorRect(2, 1, 9, 2, pixels, mask)])));
      const expected = rgbaOf(pixels);
      mask.flat().forEach((bit, i) => { expected[i * 4 + 3] = bit ? 255 : 0; });
      assert.deepEqual(u.rectangles, [{ kind: 'cursor', hotX: 2, hotY: 1, image: { width: 9, height: 2, data: expected } }]);
    });

    it('ends an update with 0xffff rectangles at LastRect', () => {
      const bytes = framebufferUpdate([rawRect(0, 0, 1, 1, [R]), copyRect(1, 1, 1, 1, 0, 0), lastRect()], 0xffff);
      const u = onlyUpdate(parseEveryWay(make, cat(bytes)));
      assert.deepEqual(u.rectangles.map((r) => r.kind), ['pixels', 'copy']);
    });

    it('reports an update with no rectangles', () => {
      assert.deepEqual(parseEveryWay(make, framebufferUpdate([])), [{ type: ServerMessageType.FramebufferUpdate, rectangles: [] }]);
    });

    it('parses messages back to back', () => {
      const fixtures = [
        framebufferUpdate([rawRect(0, 0, 2, 1, [R, G]), copyRect(4, 4, 2, 1, 0, 0)]),
        bell(),
        serverCutText('hello'),
        framebufferUpdate([desktopSize(32, 32)]),
        colourMapEntries(0, [[1, 2, 3]]),
        framebufferUpdate([rawRect(20, 20, 1, 1, [B])]),
      ];
      const msgs = parseBackToBack(make, fixtures);
      assert.deepEqual(msgs.map((m) => m.type), [0, 2, 3, 0, 1, 0]);
      parseEveryWay(make, Buffer.concat(fixtures));
    });

    it('keeps a partial message until the rest arrives', () => {
      const p = make();
      const bytes = framebufferUpdate([rawRect(0, 0, 2, 2, [R, G, B, W])]);
      assert.deepEqual(p.push(bytes.subarray(0, 10)), []);
      assert.equal(p.buffered, 10 - 4);
      assert.equal(p.push(bytes.subarray(10)).length, 1);
    });
  });

  describe('errors', () => {
    it('rejects an unknown message type', () => {
      expectError(() => make().push(u8(77)), 'UNKNOWN_MESSAGE_TYPE');
    });

    it('rejects an encoding that was not requested', () => {
      expectError(() => make().push(framebufferUpdate([rectHeader(0, 0, 1, 1, 99)])), 'UNSUPPORTED_ENCODING');
    });

    it('rejects a rectangle outside the framebuffer', () => {
      expectError(() => make().push(framebufferUpdate([rawRect(15, 0, 2, 1, [R, G])])), 'RECT_OUT_OF_BOUNDS');
      expectError(() => make().push(framebufferUpdate([copyRect(0, 0, 4, 4, 14, 0)])), 'RECT_OUT_OF_BOUNDS');
    });

    it('rejects a ZRLE rectangle that announces more data than its pixels could need', () => {
      // 4x4 pixels need at most 4*4*4 bytes + a tile byte; 16 MiB announced is a server trying to make us buffer it.
      expectError(() => make().push(framebufferUpdate([cat(rectHeader(0, 0, 4, 4, 16), u32(16 * 1024 * 1024))])), 'TOO_LARGE');
    });

    it('rejects ZRLE data that inflates beyond its rectangle (a zip bomb)', () => {
      const bomb = deflateSync(Buffer.alloc(1 << 20)); // 1 MiB of zeros in ~1 KB
      assert.ok(bomb.length < 2048, 'the bomb is small enough to pass the announced-length check');
      expectError(() => make().push(framebufferUpdate([cat(rectHeader(0, 0, 4, 4, 16), u32(bomb.length), bomb)])), 'ZLIB_ERROR');
    });

    it('rejects a cursor larger than 256x256', () => {
      const big = new Parser({ pixelFormat: RGB888, width: 4096, height: 4096 });
      expectError(() => big.push(framebufferUpdate([rectHeader(0, 0, 4096, 4096, -239)])), 'TOO_LARGE');
    });

    it('rejects a ServerCutText over the limit', () => {
      const p = new Parser({ pixelFormat: RGB888, width: 1, height: 1, maxCutText: 4 });
      expectError(() => p.push(serverCutText('too long')), 'TOO_LARGE');
    });
  });
});
