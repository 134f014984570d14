import WebSocket from 'ws';
import { vncDesResponse } from '../vnc-des.js';

/** Byte reader over WebSocket messages. */
class WsReader {
  private buf = Buffer.alloc(0);
  private waiter: (() => void) | undefined;
  private closed = false;

  constructor(ws: WebSocket) {
    ws.on('message', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      this.waiter?.();
    });
    ws.on('close', () => {
      this.closed = true;
      this.waiter?.();
    });
  }

  async read(n: number): Promise<Buffer> {
    while (this.buf.length < n) {
      if (this.closed) throw new Error(`connection closed (wanted ${n} bytes, have ${this.buf.length})`);
      await new Promise<void>((r) => (this.waiter = r));
      this.waiter = undefined;
    }
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    return out;
  }
}

export interface FirstFrame {
  width: number;
  height: number;
  name: string;
  /** Distinct 32-bit pixel values in the first raw update. */
  distinctPixels: number;
}

/** Opens vncwebsocket; resolves with the socket or rejects with the HTTP status of a refused upgrade. */
export function openVncWebSocket(url: string, caPem: string, headers: Record<string, string>): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, ['binary'], { ca: caPem, headers });
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => {
      reject(new Error(`upgrade refused: ${res.statusCode} ${res.statusMessage}`));
      ws.terminate();
    });
    ws.once('error', reject);
  });
}

/**
 * RFB 3.8 over the WebSocket: VNC authentication with `password`, ClientInit, Raw only, then full
 * FramebufferUpdateRequests until an update with more than one colour arrives (at most `maxUpdates`).
 */
export async function rfbFirstFrame(ws: WebSocket, password: string, maxUpdates = 40): Promise<FirstFrame> {
  const rd = new WsReader(ws);
  const version = (await rd.read(12)).toString('latin1');
  if (!version.startsWith('RFB 003.')) throw new Error(`bad version ${version}`);
  ws.send(Buffer.from('RFB 003.008\n'));
  const nTypes = (await rd.read(1))[0]!;
  if (nTypes === 0) throw new Error('server refused');
  const types = [...(await rd.read(nTypes))];
  if (!types.includes(2)) throw new Error(`no VNC auth offered: ${types}`);
  ws.send(Buffer.from([2]));
  const challenge = await rd.read(16);
  ws.send(vncDesResponse(challenge, password));
  const result = (await rd.read(4)).readUInt32BE(0);
  if (result !== 0) {
    const len = (await rd.read(4)).readUInt32BE(0);
    throw new Error(`VNC auth failed: ${(await rd.read(len)).toString()}`);
  }
  ws.send(Buffer.from([1])); // shared
  const init = await rd.read(24);
  const width = init.readUInt16BE(0);
  const height = init.readUInt16BE(2);
  const name = (await rd.read(init.readUInt32BE(20))).toString('utf8');
  // 32 bpp, depth 24, little endian, true colour, shifts 16/8/0
  const spf = Buffer.alloc(20);
  spf[0] = 0;
  Buffer.from([32, 24, 0, 1, 0, 255, 0, 255, 0, 255, 16, 8, 0, 0, 0, 0]).copy(spf, 4);
  ws.send(spf);
  ws.send(Buffer.from([2, 0, 0, 1, 0, 0, 0, 0])); // SetEncodings: Raw
  let fbW = width;
  let fbH = height;
  for (let u = 0; u < maxUpdates; u++) {
    const req = Buffer.alloc(10);
    req[0] = 3;
    req[1] = 0;
    req.writeUInt16BE(fbW, 6);
    req.writeUInt16BE(fbH, 8);
    ws.send(req);
    for (;;) {
      const type = (await rd.read(1))[0];
      if (type === 0) break;
      if (type === 2) continue; // Bell
      throw new Error(`unexpected server message ${type}`);
    }
    const head = await rd.read(3);
    const rects = head.readUInt16BE(1);
    const colours = new Set<number>();
    for (let r = 0; r < rects; r++) {
      const rh = await rd.read(12);
      const w = rh.readUInt16BE(4);
      const h = rh.readUInt16BE(6);
      const enc = rh.readInt32BE(8);
      if (enc !== 0) throw new Error(`unexpected encoding ${enc}`);
      const px = await rd.read(w * h * 4);
      for (let i = 0; i < px.length; i += 4) colours.add(px.readUInt32LE(i) & 0xffffff);
      fbW = Math.max(fbW, rh.readUInt16BE(0) + w);
      fbH = Math.max(fbH, rh.readUInt16BE(2) + h);
    }
    if (colours.size > 1) return { width, height, name, distinctPixels: colours.size };
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('framebuffer stayed blank');
}
