/**
 * The VNC module's pixels as a browser composes them. A scripted in-memory RFB server replays what
 * QEMU sends for a SeaBIOS text screen (ServerInit 640×480, an ExtendedDesktopSize to 720×400 with
 * no pixels, the whole screen, then the text cursor blinking as a 16×2 block, then a scroll by
 * CopyRect); the daemon's Guacamole stream is replayed into BrowserDisplayModel, which composites
 * like guacamole-common-js on a Chromium canvas. Regression: opaque fills sent with mask SRC
 * ('copy') wiped the rest of the canvas, leaving 287,968 of 288,000 pixels transparent.
 */
import assert from 'node:assert/strict';
import { PNG } from 'pngjs';
import { createGuacd, ProtocolRegistry, type Instruction } from '../../../../../guacamole/index.js';
import { createVncProtocol } from '../../../../../guacamole/protocols/vnc/client.js';
import { RfbClient } from '../../../../../guacamole/protocols/vnc/rfb/index.js';
import { BrowserDisplayModel } from '../../../../helpers/browser-canvas.js';
import { duplexPair, StreamReader } from '../../../../helpers/duplex-pair.js';
import { GuacTestClient, wire } from '../../../../helpers/guac-wire.js';
import {
  copyRect, extendedDesktopSize, framebufferUpdate, px32, rectHeader, rreRect, server, type Rgb,
} from '../../../../helpers/rfb-fixtures.js';

const W = 720;
const H = 400;
const BLACK: Rgb = [0, 0, 0];
const GREY: Rgb = [170, 170, 170];

/** The screen as the server has it, to compare with the browser's canvas. */
class Framebuffer {
  readonly px: Rgb[] = new Array<Rgb>(W * H).fill(BLACK);
  set(x: number, y: number, c: Rgb): void {
    this.px[y * W + x] = c;
  }
  area(x: number, y: number, w: number, h: number): Rgb[] {
    const out: Rgb[] = [];
    for (let j = 0; j < h; j++) for (let i = 0; i < w; i++) out.push(this.px[(y + j) * W + x + i]!);
    return out;
  }
  copy(sx: number, sy: number, w: number, h: number, dx: number, dy: number): void {
    const rows = Array.from({ length: h }, (_, j) => this.area(sx, sy + j, w, 1));
    rows.forEach((row, j) => row.forEach((c, i) => this.set(dx + i, dy + j, c)));
  }
}

/** A Raw rectangle (a whole screen is too many arguments for the fixtures' `cat`). */
function rawRect(x: number, y: number, w: number, h: number, pixels: Rgb[]): Buffer {
  return Buffer.concat([rectHeader(x, y, w, h, 0), ...pixels.map(px32)]);
}

/** SeaBIOS-like text: grey glyph blocks on black in the first lines, the cursor underline at (0, 141). */
function seaBiosScreen(fb: Framebuffer): void {
  for (let line = 0; line < 8; line++) {
    for (let col = 0; col < 40; col += 1 + (line % 3)) {
      for (let y = 3; y < 13; y++) for (let x = 1; x < 7; x += 2) fb.set(col * 9 + x, line * 16 + y + 2, GREY);
    }
  }
  cursor(fb, true);
}

function cursor(fb: Framebuffer, on: boolean): void {
  for (let x = 0; x < 16; x++) for (let y = 141; y < 143; y++) fb.set(x, y, on && x < 9 ? GREY : BLACK);
}

/** An RFB 3.8 server without authentication that answers each FramebufferUpdateRequest with the next update. */
async function serveScript(end: ReturnType<typeof duplexPair>[1], updates: (() => Buffer)[]): Promise<void> {
  const reader = new StreamReader(end);
  end.write(server.version('3.8'));
  await reader.read(12);
  end.write(server.securityTypes([1]));
  await reader.read(1);
  end.write(server.result(true));
  await reader.read(1); // ClientInit
  end.write(server.serverInit(640, 480, 'QEMU'));
  for (;;) {
    let type: number;
    try {
      type = (await reader.read(1))[0]!;
    } catch {
      return; // the client went away
    }
    if (type === 0) {
      const pf = await reader.read(19);
      assert.equal(pf[3], 32, 'the client asks for 32 bpp');
    } else if (type === 2) {
      const n = (await reader.read(3)).readUInt16BE(1);
      await reader.read(4 * n);
    } else if (type === 3) {
      await reader.read(9);
      const next = updates.shift();
      if (next) end.write(next());
    } else if (type === 4 || type === 5) {
      await reader.read(7);
    } else {
      throw new Error(`unexpected client message ${type}`);
    }
  }
}

describe('VNC display in the browser (protocols/vnc/display)', function () {
  this.timeout(20000);

  it('QEMU-like resize, full screen, cursor blink and scroll leave every canvas pixel opaque and equal to the server', async () => {
    const fb = new Framebuffer();
    const updates: (() => Buffer)[] = [
      // QEMU's first answer: only the ExtendedDesktopSize to the text mode, no pixels.
      () => framebufferUpdate([extendedDesktopSize(W, H, 0, 0)]),
      () => {
        seaBiosScreen(fb);
        return framebufferUpdate([rawRect(0, 0, W, H, fb.area(0, 0, W, H))]);
      },
      // The blink: cursor off (one solid block → rect + cfill), on (an image), off again.
      () => {
        cursor(fb, false);
        return framebufferUpdate([rreRect(0, 141, 16, 2, BLACK, [])]);
      },
      () => {
        cursor(fb, true);
        return framebufferUpdate([rawRect(0, 141, 16, 2, fb.area(0, 141, 16, 2))]);
      },
      () => {
        cursor(fb, false);
        return framebufferUpdate([rreRect(0, 141, 16, 2, BLACK, [])]);
      },
      // A scroll by one text line, then the freed line cleared.
      () => {
        fb.copy(0, 16, W, 112, 0, 0);
        for (let y = 112; y < 128; y++) for (let x = 0; x < W; x++) fb.set(x, y, BLACK);
        return framebufferUpdate([copyRect(0, 0, W, 112, 0, 16), rreRect(0, 112, W, 16, BLACK, [])]);
      },
    ];
    const total = updates.length;
    const [clientEnd, serverEnd] = duplexPair();
    const served = serveScript(serverEnd, updates);
    const registry = new ProtocolRegistry().register('vnc', async () =>
      createVncProtocol((options) => new RfbClient({ ...options, socket: clientEnd })),
    );
    const guacd = createGuacd({ port: 0, registry });
    const { port } = await guacd.start();
    const client = await GuacTestClient.open(port);
    try {
      client.send(wire('select', 'vnc'));
      const args = await client.waitFor((i) => i.opcode === 'args');
      client.send(wire('size', 1024, 768, 96));
      client.send(wire('image', 'image/png', 'image/jpeg'));
      const settings: Record<string, string> = { hostname: 'qemu.invalid', port: '5900' };
      client.send(wire('connect', 'VERSION_1_1_0', ...args.args.slice(1).map((n) => settings[n] ?? '')));

      // One sync per RFB update (the daemon asks for the next update after each frame).
      const browser = new BrowserDisplayModel();
      let from = 0;
      let painted = false;
      for (let frame = 0; frame < total; frame++) {
        const sync = await client.waitFor((i) => i.opcode === 'sync', 10000, from);
        const upTo = client.received.indexOf(sync, from) + 1;
        const batch: Instruction[] = client.received.slice(from, upTo);
        from = upTo;
        browser.apply(batch);
        painted ||= batch.some((i) => i.opcode === 'img' && i.args[2] === '0');
        if (painted) assert.equal(browser.transparentPixels(), 0, `transparent pixels after frame ${frame}: ${batch.map((i) => i.opcode).join(' ')}`);
      }
      assert.ok(painted, 'the screen was drawn');
      assert.ok((browser.counts.get('cfill') ?? 0) >= 2, 'the cursor blink went out as solid fills');
      assert.ok((browser.counts.get('copy') ?? 0) >= 1, 'the scroll went out as a copy');
      const shown = browser.layer(0).read();
      assert.equal(`${shown.width}x${shown.height}`, `${W}x${H}`);
      let wrong = 0;
      for (let i = 0; i < W * H; i++) {
        const [r, g, b] = fb.px[i]!;
        const d = shown.data;
        if (d[i * 4] !== r || d[i * 4 + 1] !== g || d[i * 4 + 2] !== b || d[i * 4 + 3] !== 255) wrong++;
      }
      assert.equal(wrong, 0, 'every canvas pixel equals the server framebuffer');
    } finally {
      client.close();
      await guacd.stop();
      serverEnd.destroy();
      await served;
    }
  });

  it('the browser model does fail the old stream: an opaque fill with mask SRC clears the rest of the canvas', () => {
    // Checks the model, not the daemon: what the daemon sent before it used OVER for fills.
    const browser = new BrowserDisplayModel();
    const image = new PNG({ width: 4, height: 4 });
    image.data.fill(255);
    const png = PNG.sync.write(image); // 4×4 opaque white
    const ins = (opcode: string, ...args: (string | number)[]): Instruction => ({ opcode, args: args.map(String) }) as Instruction;
    browser.apply([
      ins('size', 0, 4, 4),
      ins('img', 1, 0xe, 0, 'image/png', 0, 0), ins('blob', 1, png.toString('base64')), ins('end', 1),
      ins('rect', 0, 0, 0, 2, 1), ins('cfill', 0xe, 0, 0, 0, 0, 255),
    ]);
    assert.equal(browser.transparentPixels(), 0);
    browser.apply([ins('rect', 0, 0, 0, 2, 1), ins('cfill', 0xc, 0, 0, 0, 0, 255)]);
    assert.equal(browser.transparentPixels(), 14, 'only the 2×1 fill is left opaque');
  });
});
