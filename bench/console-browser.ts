/**
 * The browser side of the console benchmarks: a static server for two pages (guacamole-common-js against the
 * gateway's /tunnel, @novnc/novnc against the relay) that both report their first painted frame and count
 * distinct canvas states, and one Chromium session on such a page with the WebSocket payloads it received.
 */
import { createReadStream, statSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { join, normalize } from 'node:path';
import type { Browser, Page } from 'playwright-core';

export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];

// ---------- pages ----------
/** Shared by both pages: first painted frame (two colours on the canvas) and distinct frames per second. */
const PAGE_PROBE = `
window.bench = { firstPaint: 0, changes: 0, last: '' };
function strip(c) {
  const d = c.getContext('2d').getImageData(0, 0, Math.min(c.width, 720), Math.min(c.height, 48)).data;
  let h = 0;
  for (let i = 0; i < d.length; i += 4) h = (h * 31 + d[i] + d[i + 1] * 7 + d[i + 2] * 13 + d[i + 3]) | 0;
  return h;
}
function painted(c) {
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  for (let i = 4; i < d.length; i += 16) if (d[i + 3] === 255 && d[3] === 255 && (d[i] !== d[0] || d[i + 1] !== d[1] || d[i + 2] !== d[2])) return true;
  return false;
}
function tick() {
  const c = window.benchCanvas && window.benchCanvas();
  if (c && c.width > 0) {
    if (!bench.firstPaint && painted(c)) bench.firstPaint = performance.now();
    if (bench.firstPaint) { const h = String(strip(c)); if (h !== bench.last) { bench.changes++; bench.last = h; } }
  }
  requestAnimationFrame(tick);
}
requestAnimationFrame(tick);
`;

const GUAC_PAGE = `<!doctype html><body style="margin:0"><div id="d"></div><script>${PAGE_PROBE}</script><script type="module">
import Guacamole from '/gcj.js';
const q = new URLSearchParams(location.search);
const client = new Guacamole.Client(new Guacamole.WebSocketTunnel(q.get('ws')));
document.getElementById('d').appendChild(client.getDisplay().getElement());
window.benchCanvas = () => client.getDisplay().getDefaultLayer().getCanvas();
client.connect('token=' + encodeURIComponent(q.get('token')) + '&width=1024&height=768&dpi=96');
window.benchClose = () => client.disconnect();
</script>`;

const NOVNC_PAGE = `<!doctype html><body style="margin:0"><div id="s" style="width:1024px;height:768px"></div><script>${PAGE_PROBE}</script><script type="module">
import RFB from '/novnc/core/rfb.js';
const q = new URLSearchParams(location.search);
const rfb = new RFB(document.getElementById('s'), q.get('ws'), { credentials: { password: q.get('password') } });
window.benchCanvas = () => document.querySelector('#s canvas');
window.benchClose = () => rfb.disconnect();
</script>`;

export function startStatic(): Promise<Server> {
  const root = join(import.meta.dirname, '..');
  const files: Record<string, string> = { '/gcj.js': join(root, 'node_modules/guacamole-common-js/dist/esm/guacamole-common.js') };
  const server = createHttpServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    if (path === '/guac.html' || path === '/novnc.html') {
      res.writeHead(200, { 'content-type': 'text/html' }).end(path === '/guac.html' ? GUAC_PAGE : NOVNC_PAGE);
      return;
    }
    let file = files[path];
    if (!file && path.startsWith('/novnc/')) {
      const rel = normalize(path.slice('/novnc/'.length));
      if (!rel.startsWith('..')) file = join(root, 'node_modules/@novnc/novnc', rel);
    }
    if (!file || !statSync(file, { throwIfNoEntry: false })?.isFile()) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'text/javascript' });
    createReadStream(file).pipe(res);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

// ---------- one browser session ----------
export interface Session {
  page: Page;
  /** WebSocket payload bytes as Chromium hands them to the page (after decompression). */
  payloadDown: () => number;
  payloadUp: () => number;
  /** Sec-WebSocket-Extensions of the server's 101 response, as Chromium saw it. */
  extensions: () => string;
}

export async function openSession(browser: Browser, url: string): Promise<Session> {
  const page = await (await browser.newContext({ viewport: { width: 1100, height: 800 } })).newPage();
  let down = 0;
  let up = 0;
  let extensions = '';
  page.on('websocket', (ws) => {
    ws.on('framereceived', (f) => { down += typeof f.payload === 'string' ? Buffer.byteLength(f.payload) : f.payload.length; });
    ws.on('framesent', (f) => { up += typeof f.payload === 'string' ? Buffer.byteLength(f.payload) : f.payload.length; });
  });
  const cdp = await page.context().newCDPSession(page);
  cdp.on('Network.webSocketHandshakeResponseReceived', (e) => {
    const header = Object.entries(e.response.headers).find(([k]) => k.toLowerCase() === 'sec-websocket-extensions');
    extensions = header ? String(header[1]) : '(none)';
  });
  await cdp.send('Network.enable');
  await page.goto(url);
  return { page, payloadDown: () => down, payloadUp: () => up, extensions: () => extensions };
}

export async function closeSession(s: Session): Promise<void> {
  await s.page.evaluate(() => (window as unknown as { benchClose(): void }).benchClose()).catch(() => undefined);
  await s.page.context().close();
}

export const firstPaint = (page: Page): Promise<number> =>
  page.waitForFunction(() => (window as unknown as { bench: { firstPaint: number } }).bench.firstPaint, undefined, { timeout: 30_000 }).then((h) => h.jsonValue());

export const changes = (page: Page): Promise<number> => page.evaluate(() => (window as unknown as { bench: { changes: number } }).bench.changes);
