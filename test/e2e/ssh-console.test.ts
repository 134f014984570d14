/**
 * SSH in a real browser: headless Chromium runs guacamole-common-js against guacamole-lite, which
 * speaks to the built-in daemon, which logs in to a real sshd. The portal's console page serves guest
 * SSH connections only once guest addresses are synced; this test drives the same browser library
 * directly with a token minted the way guacamole-lite expects.
 */
import assert from 'node:assert/strict';
import { createCipheriv, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import GuacamoleLite from 'guacamole-lite';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createGuacd, type GuacTerminal } from '../../guacamole/index.js';
import { startSshd, type Sshd } from '../helpers/sshd.js';

const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];
const KEY = randomBytes(32);

/** guacamole-lite's token: base64(JSON{iv, value}) with AES-256-CBC of the JSON payload. */
function token(settings: Record<string, string | number>): string {
  const iv = randomBytes(16);
  const cipher = createCipheriv('aes-256-cbc', KEY, iv);
  const value = Buffer.concat([cipher.update(JSON.stringify({ connection: { type: 'ssh', settings } })), cipher.final()]).toString('base64');
  return Buffer.from(JSON.stringify({ iv: iv.toString('base64'), value })).toString('base64');
}

const PAGE = `<!doctype html><html><body style="margin:0"><div id="display"></div><script src="/guac.js"></script><script>
window.openSsh = (token) => {
  const client = new Guacamole.Client(new Guacamole.WebSocketTunnel('ws://' + location.host + '/tunnel'));
  window.guac = { client, error: null };
  client.onerror = (status) => { window.guac.error = { code: status.code, message: status.message }; };
  document.getElementById('display').appendChild(client.getDisplay().getElement());
  client.connect('token=' + encodeURIComponent(token));
};
window.typeText = (text) => {
  for (const ch of text) { const k = ch.codePointAt(0); window.guac.client.sendKeyEvent(1, k); window.guac.client.sendKeyEvent(0, k); }
  window.guac.client.sendKeyEvent(1, 0xff0d); window.guac.client.sendKeyEvent(0, 0xff0d);
};
window.grab = (x, y, w, h) => {
  const c = window.guac.client.getDisplay().getDefaultLayer().getCanvas();
  return Array.from(c.getContext('2d').getImageData(x, y, w, h).data);
};
</script></body></html>`;

describe('ssh console end to end: headless Chromium, guacamole-common-js, guacamole-lite, built-in guacd, real sshd', function () {
  this.timeout(90_000);
  let sshd: Sshd;
  let http: Server;
  let lite: GuacamoleLite;
  let browser: Browser;
  let base: string;
  const terminals: GuacTerminal[] = [];
  const guacd = createGuacd({ port: 0, ssh: { onTerminal: (t) => terminals.push(t) } });

  before(async () => {
    sshd = await startSshd();
    const { port: guacdPort } = await guacd.start();
    const root = dirname(fileURLToPath(import.meta.url));
    const bundle = await build({
      stdin: { contents: "import Guacamole from 'guacamole-common-js'; window.Guacamole = Guacamole;", resolveDir: root },
      bundle: true,
      format: 'iife',
      write: false,
    });
    const js = bundle.outputFiles[0]!.text;
    http = createServer((req, res) => {
      if (req.url === '/guac.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(js);
      else res.writeHead(200, { 'content-type': 'text/html' }).end(PAGE);
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const { port } = http.address() as { port: number };
    base = `http://127.0.0.1:${port}`;
    lite = new GuacamoleLite({ server: http, path: '/tunnel' }, { host: '127.0.0.1', port: guacdPort }, { crypt: { cypher: 'AES-256-CBC', key: KEY }, log: { level: 0 } });
    for (const sig of ['SIGTERM', 'SIGINT'] as const) {
      const handler = sig === 'SIGTERM' ? lite.sigTermHandler : lite.sigIntHandler;
      if (handler) process.off(sig, handler);
    }
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS });
  });

  after(async () => {
    await browser?.close();
    lite?.close();
    await new Promise((resolve) => (http ? http.close(resolve) : resolve(undefined)));
    await guacd.stop();
    await sshd?.stop();
  });

  async function openPage(settings: Record<string, string | number>): Promise<Page> {
    const page = await browser.newPage({ viewport: { width: 900, height: 600 } });
    await page.goto(base);
    await page.evaluate((t) => (window as unknown as { openSsh(t: string): void }).openSsh(t), token({ width: 800, height: 480, ...settings }));
    return page;
  }

  const login = (): Record<string, string> => ({
    hostname: '127.0.0.1',
    port: String(sshd.port),
    username: sshd.user,
    password: sshd.password,
    'host-key': sshd.hostKey,
  });

  async function until<T>(check: () => T | undefined | false, what: string, ms = 20000): Promise<T> {
    const deadline = Date.now() + ms;
    for (;;) {
      const v = check();
      if (v !== undefined && v !== false) return v;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  it('logs in, runs a command whose output appears on the canvas, and follows a resize', async () => {
    const page = await openPage(login());
    const term = await until(() => terminals.at(-1), 'the terminal');
    await until(() => term.text().some((l) => /\$\s*$/.test(l)), 'the prompt');
    await page.evaluate(() => (window as unknown as { typeText(t: string): void }).typeText('echo hello-$((1000+234))'));
    const row = await until(() => {
      const i = term.text().indexOf('hello-1234');
      return i >= 0 ? i : undefined;
    }, 'the output in the model');
    // The browser's canvas shows the daemon's pixels for that row (it may be a frame behind at first).
    const { cellWidth: cw, cellHeight: ch } = term.font;
    const w = 10 * cw;
    const expected = (): number[] => {
      const s = term.display.surface;
      const out: number[] = [];
      for (let y = row * ch; y < (row + 1) * ch; y++) out.push(...s.data.subarray((y * s.width) * 4, (y * s.width + w) * 4));
      return out;
    };
    let shown: number[] = [];
    const deadline = Date.now() + 15000;
    while (Date.now() < deadline) {
      shown = await page.evaluate(([y, width, height]) => (window as unknown as { grab(x: number, y: number, w: number, h: number): number[] }).grab(0, y!, width!, height!), [row * ch, w, ch]);
      if (shown.join() === expected().join()) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.deepEqual(shown, expected(), "the canvas row equals the daemon picture");
    assert.ok(new Set(shown).size > 2, 'the row has text, not just background');

    await page.evaluate(() => (window as unknown as { guac: { client: { sendSize(w: number, h: number): void } } }).guac.client.sendSize(640, 300));
    const cols = Math.floor(640 / cw);
    const rows = Math.floor(300 / ch);
    await until(() => term.cols === cols && term.rows === rows, 'the resize');
    await page.evaluate(() => (window as unknown as { typeText(t: string): void }).typeText('stty size'));
    await until(() => term.text().includes(`${rows} ${cols}`), `stty size = ${rows} ${cols}`);
    await page.close();
  });

  it('shows a wrong password as 0x0301 "Authentication failed" in the browser', async () => {
    const page = await openPage({ ...login(), password: 'wrong-password' });
    const error = await page.waitForFunction(() => (window as unknown as { guac: { error: unknown } }).guac.error, undefined, { timeout: 20000 });
    const { code, message } = (await error.jsonValue()) as { code: number; message: string };
    assert.equal(code, 0x0301);
    assert.match(message, /Authentication failed/);
    await page.close();
  });

  it('shows an unknown host key as a refusal in the browser', async () => {
    const page = await openPage({ ...login(), 'host-key': sshd.otherHostKey });
    const error = await page.waitForFunction(() => (window as unknown as { guac: { error: unknown } }).guac.error, undefined, { timeout: 20000 });
    const { code, message } = (await error.jsonValue()) as { code: number; message: string };
    assert.equal(code, 0x0303);
    assert.match(message, /Host key mismatch/);
    await page.close();
  });
});
