/** The RFB client against real QEMU (test-components.md §3): auth, first frame, ZRLE = Raw, input. */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { decodeImage } from '../../../guacamole/display/decoders.js';
import { Encoding, RfbClient, RfbClientError, type RfbClientOptions } from '../../../guacamole/protocols/vnc/rfb/index.js';
import { qemuAvailable, startQemu, type QemuVm } from '../../helpers/qemu.js';

/** The remote framebuffer as the client's events paint it. */
class Screen {
  data: Uint8Array;
  frames = 0;
  /** Finished PNG/JPEG images received (Tight PNG). */
  images = 0;
  constructor(public width: number, public height: number) {
    this.data = new Uint8Array(width * height * 4);
  }

  attach(client: RfbClient): this {
    client.on('resize', ({ width, height }) => { this.width = width; this.height = height; this.data = new Uint8Array(width * height * 4); });
    client.on('pixels', (x, y, img) => {
      for (let r = 0; r < img.height; r++) {
        this.data.set(img.data.subarray(r * img.width * 4, (r + 1) * img.width * 4), ((y + r) * this.width + x) * 4);
      }
    });
    client.on('image', (x, y, _w, _h, mimetype, data) => {
      this.images++;
      const img = decodeImage(mimetype, data);
      for (let r = 0; r < img.height; r++) {
        this.data.set(img.data.subarray(r * img.width * 4, (r + 1) * img.width * 4), ((y + r) * this.width + x) * 4);
      }
    });
    client.on('fill', (x, y, w, h, rgba) => {
      for (let r = y; r < y + h; r++) for (let c = x; c < x + w; c++) this.data.set(rgba, (r * this.width + c) * 4);
    });
    client.on('copy', (sx, sy, w, h, x, y) => {
      const src = this.data.slice();
      for (let r = 0; r < h; r++) {
        this.data.set(src.subarray(((sy + r) * this.width + sx) * 4, ((sy + r) * this.width + sx + w) * 4), ((y + r) * this.width + x) * 4);
      }
    });
    client.on('frameEnd', () => { this.frames++; });
    return this;
  }

  /** Pixels that are not black. */
  lit(): number {
    let n = 0;
    for (let i = 0; i < this.data.length; i += 4) if (this.data[i]! | this.data[i + 1]! | this.data[i + 2]!) n++;
    return n;
  }
}

async function connect(vm: QemuVm, options: Partial<RfbClientOptions> = {}): Promise<{ client: RfbClient; screen: Screen }> {
  const client = new RfbClient({ host: '127.0.0.1', port: vm.port, connectTimeoutMs: 10_000, ...options });
  const ready = once(client, 'ready');
  await client.connect();
  const [info] = await ready;
  const screen = new Screen(info.width, info.height).attach(client);
  return { client, screen };
}

/** Asks for updates until `done()` holds (each frameEnd triggers an incremental request). */
async function until(client: RfbClient, screen: Screen, done: () => boolean, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!done()) {
    if (Date.now() > deadline) throw new Error('condition not reached');
    const frame = once(client, 'frameEnd');
    const before = screen.frames;
    const t = setTimeout(() => client.requestUpdate(true), 200);
    await frame;
    clearTimeout(t);
    if (screen.frames === before) continue;
    client.requestUpdate(true);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('RfbClient against QEMU', function () {
  this.timeout(60_000);
  const vms: QemuVm[] = [];
  const clients: RfbClient[] = [];

  before(function () {
    if (!qemuAvailable()) this.skip();
  });

  afterEach(() => {
    clients.splice(0).forEach((c) => c.close());
  });

  after(async () => {
    await Promise.all(vms.splice(0).map((vm) => vm.stop()));
  });

  describe('without a password', () => {
    let vm: QemuVm;
    before(async () => { vm = await startQemu(); vms.push(vm); });

    it('decodes the first updates to a non-blank 720x400 image (SeaBIOS text)', async () => {
      const { client, screen } = await connect(vm, { encodings: ['zrle'] });
      clients.push(client);
      assert.equal(client.serverInit!.version, '3.8');
      assert.equal(client.serverInit!.name, 'QEMU');
      // ServerInit may still say 640x480 (the VGA mode before SeaBIOS); text mode arrives as a resize.
      await until(client, screen, () => screen.width === 720 && screen.lit() > 500);
      assert.deepEqual([screen.width, screen.height], [720, 400]);
      assert.ok(screen.lit() < 720 * 400 / 2, 'text on a dark background');
      assert.ok((client.rectCounts.get(Encoding.ZRLE) ?? 0) > 0, 'QEMU used ZRLE');
    });

    it('decodes ZRLE, Tight, Tight PNG and Hextile to the same pixels as a Raw-only connection', async () => {
      // Let SeaBIOS finish drawing, then freeze the guest so every client sees the same screen.
      const probe = await connect(vm, { encodings: ['raw'] });
      clients.push(probe.client);
      await until(probe.client, probe.screen, () => probe.screen.width === 720 && probe.screen.lit() > 500);
      await new Promise((r) => setTimeout(r, 1500));
      await vm.qmp.execute('stop');
      try {
        const views = {
          raw: await connect(vm, { encodings: ['raw'] }),
          zrle: await connect(vm, { encodings: ['zrle'] }),
          tight: await connect(vm, { encodings: ['tight'] }),
          tightpng: await connect(vm, { encodings: ['tightpng'] }),
          hextile: await connect(vm, { encodings: ['hextile'] }),
        };
        clients.push(...Object.values(views).map((v) => v.client));
        // QEMU answers SetEncodings with an ExtendedDesktopSize update of its own; pixels come after.
        await Promise.all(Object.values(views).map((v) => until(v.client, v.screen, () => v.screen.lit() > 500)));
        const used = (name: keyof typeof views, e: Encoding): number => views[name].client.rectCounts.get(e) ?? 0;
        assert.ok(used('zrle', Encoding.ZRLE) > 0, 'ZRLE negotiated');
        assert.ok(used('tight', Encoding.Tight) > 0, 'Tight negotiated');
        assert.ok(used('hextile', Encoding.Hextile) > 0, 'Hextile negotiated');
        assert.ok(used('tightpng', Encoding.TightPng) > 0 && views.tightpng.screen.images > 0, 'Tight PNG negotiated, PNGs received');
        assert.equal(used('raw', Encoding.ZRLE) + used('raw', Encoding.Tight) + used('raw', Encoding.Hextile), 0);
        const raw = views.raw.screen;
        assert.deepEqual([raw.width, raw.height], [720, 400]);
        for (const name of ['zrle', 'tight', 'tightpng', 'hextile'] as const) {
          const s = views[name].screen;
          assert.deepEqual([s.width, s.height], [720, 400]);
          assert.ok(Buffer.from(s.data).equals(Buffer.from(raw.data)), `${name} pixels equal Raw pixels`);
        }
      } finally {
        await vm.qmp.execute('cont');
      }
    });

    it('accepts key and pointer events and keeps serving updates', async () => {
      const { client, screen } = await connect(vm);
      clients.push(client);
      await once(client, 'frameEnd');
      client.pointer(100, 100, 0);
      client.pointer(110, 105, 1);
      client.pointer(110, 105, 0);
      client.key(0xffe1, true); // Shift_L
      client.key(0x61, true);
      client.key(0x61, false);
      client.key(0xffe1, false);
      client.sendClipboard('hello');
      const before = screen.frames;
      const frame = once(client, 'frameEnd');
      client.requestUpdate(false);
      await frame;
      assert.equal(screen.frames, before + 1);
      assert.equal(client.state, 'OPEN');
    });
  });

  describe('with password=on', () => {
    let vm: QemuVm;
    before(async () => {
      vm = await startQemu({ password: true });
      vms.push(vm);
      await vm.qmp.execute('change-vnc-password', { password: 'secret1' });
    });

    it('connects with the right password', async () => {
      const { client, screen } = await connect(vm, { password: 'secret1' });
      clients.push(client);
      assert.equal(client.serverInit!.securityType, 2);
      await until(client, screen, () => screen.frames > 0);
    });

    it('fails a wrong password with RFB_AUTH_FAILED and 0x0301', async () => {
      const client = new RfbClient({ host: '127.0.0.1', port: vm.port, password: 'wrong-pw' });
      const closed = once(client, 'close');
      await assert.rejects(client.connect(), (e: unknown) =>
        e instanceof RfbClientError && e.code === 'RFB_AUTH_FAILED' && e.guacStatus === 0x0301 && /Authentication failed/.test(e.message));
      assert.equal(((await closed)[0] as RfbClientError).code, 'RFB_AUTH_FAILED');
    });

    it('asks for a password when none is given', async () => {
      const client = new RfbClient({ host: '127.0.0.1', port: vm.port });
      await assert.rejects(client.connect(), (e: unknown) => e instanceof RfbClientError && e.code === 'RFB_PASSWORD_REQUIRED' && e.guacStatus === 0x0301);
    });
  });
});
