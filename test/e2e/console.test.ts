import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import type { Duplex } from 'node:stream';
import { chromium, type Browser, type Page } from 'playwright-core';
import { Secret } from '../../src/config/index.js';
import { mintConsoleToken, openPveVnc, VncBridge } from '../../src/console/index.js';
import { createPveClient } from '../../src/pve/index.js';
import { qemuAvailable } from '../../src/pvesim/index.js';
import { PVE_TOKEN_ID, PVE_TOKEN_SECRET, startConsoleFixture, type ConsoleFixture } from '../helpers/console/fixture.js';
import { RfbTcpClient } from '../helpers/console/rfb-tcp-client.js';
import { saveScreenshot, updateScreenshots } from '../helpers/readme-screenshots.js';
import { until } from '../helpers/until.js';

const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];

interface CanvasGrab {
  width: number;
  height: number;
  rgba: string;
}

/** The default layer's canvas (unscaled remote pixels) as base64 RGBA. */
async function grabCanvas(page: Page): Promise<CanvasGrab> {
  return page.evaluate(() => {
    const canvas = document.querySelector<HTMLCanvasElement>('.console-display canvas');
    if (!canvas) throw new Error('no canvas');
    const ctx = canvas.getContext('2d')!;
    const data = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
    let bin = '';
    for (let i = 0; i < data.length; i += 0x8000) bin += String.fromCharCode(...data.subarray(i, i + 0x8000));
    return { width: canvas.width, height: canvas.height, rgba: btoa(bin) };
  });
}

describe('console end to end: headless Chromium, portal, tunnel, built-in guacd, PVE simulator with QEMU', function () {
  this.timeout(120_000);
  let fx: ConsoleFixture;
  let browser: Browser;
  let vmId: number;

  before(async function () {
    if (!qemuAvailable()) throw new Error('qemu-system-x86_64 is not installed (apt-get install qemu-system-x86)');
    execFileSync(process.execPath, ['web/build.mjs'], { stdio: 'inherit' });
    fx = await startConsoleFixture({ qemu: true, portal: true });
    vmId = fx.vms.get(100)!.vmId;
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS });
  });
  after(async () => {
    await browser?.close();
    await fx?.stop();
  });

  async function login(name: string, password: string): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1100, height: 700 } });
    const page = await context.newPage();
    await page.goto(`http://127.0.0.1:${fx.port}/login`);
    await page.fill('input[name="name"]', name);
    await page.fill('input[name="password"]', password);
    await Promise.all([page.waitForNavigation(), page.click('form button[type="submit"], form input[type="submit"], form button:not([type])')]);
    return page;
  }

  it('shows the VM screen as a direct VNC grab sees it, takes a key press, closes, and records the session', async () => {
    const page = await login('alice', 'alice-password-1');
    // the tunnel's 101 response as Chromium received it: permessage-deflate is negotiated
    let extensions: string | undefined;
    const cdp = await page.context().newCDPSession(page);
    cdp.on('Network.webSocketHandshakeResponseReceived', (e) => {
      extensions = Object.entries(e.response.headers).find(([k]) => k.toLowerCase() === 'sec-websocket-extensions')?.[1] ?? '(none)';
    });
    await cdp.send('Network.enable');
    await page.goto(`http://127.0.0.1:${fx.port}/vms/${vmId}/console`);
    await page.waitForFunction(() => (window as unknown as { earcandleConsole?: { state: string } }).earcandleConsole?.state === 'connected');
    assert.match(extensions ?? '(no handshake seen)', /^permessage-deflate\b/);
    // wait until the canvas holds more than one colour
    await page.waitForFunction(() => {
      const c = document.querySelector<HTMLCanvasElement>('.console-display canvas');
      if (!c || c.width === 0) return false;
      const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      for (let i = 4; i < d.length; i += 4) if (d[i] !== d[0] || d[i + 1] !== d[1] || d[i + 2] !== d[2]) return true;
      return false;
    });

    // a direct VNC grab of the same VM (PVE vncproxy → RFB, Raw encoding, no guacd)
    const pve = createPveClient({ apiUrl: fx.sim.url, tokenId: PVE_TOKEN_ID, tokenSecret: new Secret(PVE_TOKEN_SECRET), caPem: fx.sim.caPem });
    const bridge = await VncBridge.open({ open: () => openPveVnc({ pve, caPem: fx.sim.caPem, node: 'pve1', vmid: 100 }) });
    const rfb = await RfbTcpClient.open(bridge.endpoint.port);
    await rfb.handshake(bridge.endpoint.password);
    const direct = await rfb.frame();
    rfb.close();
    bridge.close();
    await pve.close();

    const shown = await grabCanvas(page);
    // Guacamole layers allocate their canvas in 64-pixel steps: compare the remote screen's area
    assert.equal(await page.evaluate(() => (window as unknown as { earcandleConsole: { size(): number[] } }).earcandleConsole.size().join('x')), `${direct.width}x${direct.height}`);
    assert.ok(shown.width >= direct.width && shown.height >= direct.height);
    const rgba = Buffer.from(shown.rgba, 'base64');
    let same = 0;
    for (let y = 0; y < direct.height; y++) {
      for (let x = 0; x < direct.width; x++) {
        const i = y * direct.width + x;
        const j = (y * shown.width + x) * 4;
        // direct: little-endian 32 bpp, red at bit 16 → bytes B,G,R,X
        const [b, g, r] = [direct.pixels[i * 4]!, direct.pixels[i * 4 + 1]!, direct.pixels[i * 4 + 2]!];
        if (Math.abs(rgba[j]! - r) <= 2 && Math.abs(rgba[j + 1]! - g) <= 2 && Math.abs(rgba[j + 2]! - b) <= 2) same++;
      }
    }
    const ratio = same / (direct.width * direct.height);
    let transparent = 0;
    for (let y = 0; y < direct.height; y++) for (let x = 0; x < direct.width; x++) if (rgba[(y * shown.width + x) * 4 + 3] !== 255) transparent++;
    assert.equal(transparent, 0, 'every pixel of the remote screen is opaque on the canvas');
    // the text cursor may blink between the two grabs; everything else must match
    assert.ok(ratio > 0.995, `only ${(ratio * 100).toFixed(2)} % of the pixels match the direct grab`);
    // The README's picture: the console canvas itself (headless Chromium with --disable-gpu leaves
    // Guacamole's layer canvases out of page screenshots, so the pixels are taken from the canvas).
    if (updateScreenshots) {
      const png = await page.evaluate(() => document.querySelector<HTMLCanvasElement>('.console-display canvas')!.toDataURL('image/png'));
      saveScreenshot('console.png', Buffer.from(png.replace(/^data:image\/png;base64,/, ''), 'base64'));
    }

    // A key press reaches the VM: Ctrl-Alt-Del (the page's button) goes browser → tunnel → guacd → bridge → QEMU,
    // whose keyboard controller makes SeaBIOS reset the machine; QEMU reports that as a RESET event. (The reset
    // repaints an identical SeaBIOS screen within one refresh, so the canvas is no witness.)
    const resetsBefore = fx.sim.qemuEvents(100).filter((e) => e === 'RESET').length;
    await page.click('#console-cad');
    const deadline = Date.now() + 20_000;
    while (fx.sim.qemuEvents(100).filter((e) => e === 'RESET').length === resetsBefore) {
      assert.ok(Date.now() < deadline, `no guest reset after Ctrl-Alt-Del; QEMU events: ${fx.sim.qemuEvents(100).join(' ')}`);
      await new Promise((r) => setTimeout(r, 100));
    }

    // close: leave the page; the tunnel, the guacd session and the bridge end; history has start and end
    await page.goto(`http://127.0.0.1:${fx.port}/`);
    await page.context().close();
    let rows: { username: string; start_date: Date; end_date: Date | null }[] = [];
    while (!(rows.length === 1 && rows[0]!.end_date && fx.tunnel.sessions() === 0)) {
      await new Promise((r) => setTimeout(r, 100));
      rows = (await fx.db.query('SELECT username, start_date, end_date FROM guacamole_connection_history')) as typeof rows;
    }
    assert.equal(rows[0]!.username, 'alice');
    assert.ok(rows[0]!.end_date! >= rows[0]!.start_date);
    assert.equal(fx.guacd.sessions(), 0);

    // an administrator sees the session on the machine's page
    const admin = await login('root-admin', 'admin-password-1');
    await admin.goto(`http://127.0.0.1:${fx.port}/admin/vms/${vmId}`);
    const cells = await admin.$$eval('#sessions tbody tr:first-child td', (tds) => tds.map((td) => td.textContent ?? ''));
    assert.equal(cells[0], rows[0]!.start_date.toISOString().replace('T', ' ').slice(0, 19));
    assert.match(cells[1]!, /^\d+ s$/);
    assert.deepEqual(cells.slice(2), ['alice', 'Screen', '127.0.0.1']);
    await admin.context().close();
  });

  it('fits the screen into the window: centred on black, scaled down when the window is smaller, never past 1:1, full screen and back', async () => {
    const page = await login('alice', 'alice-password-1');
    await page.goto(`http://127.0.0.1:${fx.port}/vms/${vmId}/console`);
    await page.waitForFunction(() => (window as unknown as { earcandleConsole: { size(): number[] } }).earcandleConsole.size()[0]! > 0);
    const layout = (): Promise<{ box: DOMRect; shown: DOMRect; remote: number[]; bottom: number }> =>
      page.evaluate(() => ({
        box: document.querySelector('[data-console="screen"]')!.getBoundingClientRect().toJSON() as DOMRect,
        shown: document.querySelector('.console-display')!.getBoundingClientRect().toJSON() as DOMRect,
        remote: (window as unknown as { earcandleConsole: { size(): number[] } }).earcandleConsole.size(),
        bottom: window.innerHeight,
      }));
    const centred = (l: Awaited<ReturnType<typeof layout>>): void => {
      assert.ok(Math.abs(l.shown.x + l.shown.width / 2 - (l.box.x + l.box.width / 2)) <= 1, `centred across: ${JSON.stringify(l)}`);
      assert.ok(Math.abs(l.shown.y + l.shown.height / 2 - (l.box.y + l.box.height / 2)) <= 1, `centred down: ${JSON.stringify(l)}`);
    };
    // 1100×700: the 720×400 SeaBIOS screen fits, shown 1:1 in a box reaching to the window's bottom edge
    let l = await layout();
    assert.equal(l.shown.width, l.remote[0]);
    assert.equal(l.shown.height, l.remote[1]);
    assert.ok(l.box.bottom > l.bottom - 40 && l.box.bottom <= l.bottom, `the screen fills the window: ${JSON.stringify(l)}`);
    centred(l);
    assert.equal(await page.evaluate(() => getComputedStyle(document.querySelector('[data-console="screen"]')!).backgroundColor), 'rgb(0, 0, 0)');
    // a window narrower than the remote screen: scaled down to fit, aspect kept
    await page.setViewportSize({ width: 520, height: 600 });
    await page.waitForFunction(() => document.querySelector('.console-display')!.getBoundingClientRect().width < 720);
    l = await layout();
    assert.ok(l.shown.width <= l.box.width && l.shown.height <= l.box.height, `fits: ${JSON.stringify(l)}`);
    assert.ok(Math.abs(l.shown.width / l.shown.height - l.remote[0]! / l.remote[1]!) < 0.02, `aspect kept: ${JSON.stringify(l)}`);
    centred(l);
    // full screen: the console (bar and screen) takes the whole window, the screen what the bar leaves
    await page.click('#console-fullscreen');
    await page.waitForFunction(() => document.fullscreenElement?.id === 'console');
    await page.waitForFunction(() => document.querySelector('[data-console="screen"]')!.getBoundingClientRect().bottom > window.innerHeight - 20);
    l = await layout();
    assert.ok(l.shown.width <= l.box.width && l.shown.height <= l.box.height, `fits in full screen: ${JSON.stringify(l)}`);
    centred(l);
    await page.click('#console-fullscreen');
    await page.waitForFunction(() => document.fullscreenElement === null);
    await page.context().close();
  });

  it('sends a key combination from the Keys menu as presses in order and releases in reverse', async () => {
    const page = await login('alice', 'alice-password-1');
    const cdp = await page.context().newCDPSession(page);
    const keys: string[] = [];
    cdp.on('Network.webSocketFrameSent', (e) => {
      for (const m of e.response.payloadData.matchAll(/3\.key,\d+\.(\d+),1\.([01]);/g)) keys.push(`${m[2] === '1' ? '+' : '-'}${Number(m[1]).toString(16)}`);
    });
    await cdp.send('Network.enable');
    await page.goto(`http://127.0.0.1:${fx.port}/vms/${vmId}/console`);
    await page.waitForFunction(() => (window as unknown as { earcandleConsole: { state: string } }).earcandleConsole.state === 'connected');
    assert.equal(await page.locator('#console-keys .console-menu button').count(), 18);
    await page.click('#console-keys summary');
    await page.click('#console-keys button:text-is("Ctrl-Alt-F2")');
    await until(() => keys.length >= 6, 'six key events');
    // Control_L, Alt_L, F2 down; F2, Alt_L, Control_L up
    assert.deepEqual(keys, ['+ffe3', '+ffe9', '+ffbf', '-ffbf', '-ffe9', '-ffe3']);
    assert.equal(await page.getAttribute('#console-keys', 'open'), null, 'the menu closed');
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('data-console')), 'screen', 'typing goes to the machine again');
    await page.context().close();
  });

  it('reconnects by itself with a fresh token when the connection drops', async () => {
    const page = await login('alice', 'alice-password-1');
    const sockets: Duplex[] = [];
    const watch = (_req: unknown, socket: Duplex): void => void sockets.push(socket);
    fx.http.on('upgrade', watch);
    const historyRows = async (): Promise<number> => ((await fx.db.query("SELECT COUNT(*) AS n FROM guacamole_connection_history WHERE username = 'alice'")) as { n: number }[])[0]!.n;
    const rowsBefore = Number(await historyRows());
    try {
      await page.goto(`http://127.0.0.1:${fx.port}/vms/${vmId}/console`);
      const state = (): Promise<string> => page.evaluate(() => (window as unknown as { earcandleConsole: { state: string } }).earcandleConsole.state);
      await page.waitForFunction(() => (window as unknown as { earcandleConsole: { state: string } }).earcandleConsole.state === 'connected');
      assert.equal(sockets.length, 1);
      // the network between browser and gateway goes away under an open console
      sockets[0]!.destroy();
      await page.waitForFunction(() => (window as unknown as { earcandleConsole: { state: string } }).earcandleConsole.state === 'reconnecting');
      assert.equal(await page.textContent('#console-status'), 'The connection was lost. Reconnecting…');
      await page.waitForFunction(() => (window as unknown as { earcandleConsole: { state: string } }).earcandleConsole.state === 'connected', undefined, { timeout: 20_000 });
      assert.equal(await state(), 'connected');
      assert.equal(sockets.length, 2, 'a second tunnel connection');
      assert.equal(await page.isVisible('#console-message'), false);
      await page.context().close();
      // two sessions, each with its own history row, both ended
      await until(async () => Number(await historyRows()) === rowsBefore + 2 && fx.tunnel.sessions() === 0, 'both sessions recorded and ended');
    } finally {
      fx.http.off('upgrade', watch);
    }
  });

  it("refuses bob: no console page, and alice's token presented from bob's session closes with 0x0303", async () => {
    const page = await login('bob', 'bob-password-1');
    const res = await page.goto(`http://127.0.0.1:${fx.port}/vms/${vmId}/console`);
    assert.equal(res?.status(), 404);
    const token = mintConsoleToken(fx.tokenKey, { entityId: fx.users.alice, vmId, kind: 'console' }).token;
    const reason = await page.evaluate(
      (url) =>
        new Promise<string>((resolve) => {
          const ws = new WebSocket(url, 'guacamole');
          ws.onclose = (e) => resolve(e.reason);
        }),
      `ws://127.0.0.1:${fx.port}/tunnel?token=${encodeURIComponent(token)}`,
    );
    assert.equal(reason, String(0x0303));
    const audit = (await fx.db.query("SELECT detail FROM audit_log WHERE action = 'console.refused' ORDER BY id DESC LIMIT 1")) as { detail: string }[];
    assert.match(audit[0]!.detail, /^TOKEN_WRONG_USER/);
    await page.context().close();
    assert.equal(fx.guacd.sessions(), 0);
  });

  it('says "This machine is off — start it?" for a stopped VM', async () => {
    const pve = createPveClient({ apiUrl: fx.sim.url, tokenId: PVE_TOKEN_ID, tokenSecret: new Secret(PVE_TOKEN_SECRET), caPem: fx.sim.caPem });
    await pve.waitForTask(await pve.power('pve1', 100, 'stop'), { pollMs: 100 });
    await fx.db.query("UPDATE vm SET status = 'stopped' WHERE id = ?", [vmId]);
    await pve.close();
    const page = await login('alice', 'alice-password-1');
    await page.goto(`http://127.0.0.1:${fx.port}/vms/${vmId}/console`);
    await page.waitForSelector('#console-message:not([hidden])');
    assert.equal(await page.textContent('#console-message p'), 'This machine is off — start it?');
    assert.equal(await page.isVisible('#console-start'), true);
    await page.context().close();
    assert.equal(fx.guacd.sessions(), 0);
  });
});
