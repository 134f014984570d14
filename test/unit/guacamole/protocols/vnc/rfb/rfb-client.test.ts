import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type AddressInfo } from 'node:net';
import { RfbClient, RfbClientError, type RfbError } from '../../../../../../guacamole/protocols/vnc/rfb/index.js';
import { duplexPair, StreamReader } from '../../../../../helpers/duplex-pair.js';
import {
  bell, cat, copyRect, cursorRect, desktopSize, framebufferUpdate, rawRect, rgbaOf, server, serverCutText, u8,
} from '../../../../../helpers/rfb-fixtures.js';

const challenge = Buffer.alloc(16, 0x5a);

async function assertRejects(p: Promise<unknown>, code: string, status: number, message?: RegExp): Promise<RfbError> {
  let caught: unknown;
  try { await p; } catch (e) { caught = e; }
  assert.ok(caught instanceof RfbClientError, `expected an RfbClientError, got ${String(caught)}`);
  assert.equal(caught.code, code);
  assert.equal(caught.guacStatus, status);
  if (message) assert.match(caught.message, message);
  return caught;
}

/** A client over an in-memory pair plus the server end and a reader for what the client writes. */
function pair(options: { password?: string; connectTimeoutMs?: number } = {}) {
  const [clientEnd, serverEnd] = duplexPair();
  const client = new RfbClient({ host: 'unused', port: 0, socket: clientEnd, encodings: ['zrle'], ...options });
  const closes: (RfbError | undefined)[] = [];
  client.on('close', (e) => closes.push(e));
  return { client, serverEnd, reader: new StreamReader(serverEnd), closes };
}

/** Runs a 3.8 None handshake on the server end and reads the three setup messages. */
async function open(p: ReturnType<typeof pair>, width = 32, height = 16): Promise<void> {
  const connected = p.client.connect();
  p.serverEnd.write(server.version('3.8'));
  assert.equal((await p.reader.read(12)).toString(), 'RFB 003.008\n');
  p.serverEnd.write(server.securityTypes([1]));
  assert.deepEqual(await p.reader.read(1), u8(1));
  p.serverEnd.write(server.result(true));
  assert.deepEqual(await p.reader.read(1), u8(1)); // ClientInit, shared
  p.serverEnd.write(server.serverInit(width, height, 'scripted'));
  await connected;
  const setPixelFormat = await p.reader.read(20);
  assert.equal(setPixelFormat[0], 0);
  const head = await p.reader.read(4);
  assert.equal(head[0], 2);
  const encodings = await p.reader.read(4 * head.readUInt16BE(2));
  assert.equal(encodings.readInt32BE(0), 16, 'ZRLE first');
  const fbur = await p.reader.read(10);
  assert.deepEqual(fbur, Buffer.from([3, 0, 0, 0, 0, 0, 0, width, 0, height]));
}

describe('RfbClient', () => {
  describe('#connect', () => {
    it('runs a 3.8 handshake, emits ready and asks for the whole screen', async () => {
      const p = pair();
      const ready = once(p.client, 'ready');
      await open(p, 32, 16);
      assert.deepEqual((await ready)[0], { width: 32, height: 16, name: 'scripted', version: '3.8' });
      p.client.close();
    });

    it('authenticates with VNC authentication over 3.7', async () => {
      const p = pair({ password: 'secret1' });
      const connected = p.client.connect();
      p.serverEnd.write(server.version('3.7'));
      await p.reader.read(12);
      p.serverEnd.write(server.securityTypes([2]));
      assert.deepEqual(await p.reader.read(1), u8(2));
      p.serverEnd.write(challenge);
      const response = await p.reader.read(16);
      assert.notDeepEqual(response, challenge);
      p.serverEnd.write(cat(server.result(true)));
      await p.reader.read(1);
      p.serverEnd.write(server.serverInit(8, 8, 'x'));
      await connected;
      p.client.close();
    });

    it('fails with RFB_AUTH_FAILED (0x0301) and the server reason on a wrong password', async () => {
      const p = pair({ password: 'wrong' });
      const connected = p.client.connect();
      p.serverEnd.write(server.version('3.8'));
      await p.reader.read(12);
      p.serverEnd.write(server.securityTypes([2]));
      await p.reader.read(1);
      p.serverEnd.write(challenge);
      await p.reader.read(16);
      p.serverEnd.write(cat(server.result(false), server.reason('Authentication failed')));
      const err = await assertRejects(connected, 'RFB_AUTH_FAILED', 0x0301, /Authentication failed/);
      assert.deepEqual(p.closes, [err]);
      await p.reader.end();
    });

    it('fails with RFB_TIMEOUT (0x0202) when the server says nothing', async () => {
      const p = pair({ connectTimeoutMs: 30 });
      await assertRejects(p.client.connect(), 'RFB_TIMEOUT', 0x0202);
    });

    it('fails with RFB_CLOSED when the server hangs up during the handshake', async () => {
      const p = pair();
      const connected = p.client.connect();
      p.serverEnd.write(server.version('3.8'));
      await p.reader.read(12);
      p.serverEnd.end();
      await assertRejects(connected, 'RFB_CLOSED', 0x0203, /SECURITY/);
    });

    it('fails with RFB_CONNECT_FAILED (0x0207) when nothing listens', async () => {
      const srv = createServer();
      srv.listen(0, '127.0.0.1');
      await once(srv, 'listening');
      const { port } = srv.address() as AddressInfo;
      await new Promise((r) => srv.close(r));
      const client = new RfbClient({ host: '127.0.0.1', port });
      await assertRejects(client.connect(), 'RFB_CONNECT_FAILED', 0x0207, /ECONNREFUSED/);
    });
  });

  describe('after ready', () => {
    let p: ReturnType<typeof pair>;
    beforeEach(async () => { p = pair(); await open(p, 32, 16); });
    afterEach(() => p.client.close());

    it('reports pixels, copies, cursors, bells and clipboard, then the frame end', async () => {
      const events: unknown[] = [];
      p.client.on('pixels', (x, y, img) => events.push(['pixels', x, y, img.width, img.height, [...img.data]]));
      p.client.on('copy', (...a) => events.push(['copy', ...a]));
      p.client.on('cursor', (hx, hy, img) => events.push(['cursor', hx, hy, img.width, img.height]));
      p.client.on('bell', () => events.push(['bell']));
      p.client.on('clipboard', (t) => events.push(['clipboard', t]));
      const frame = once(p.client, 'frameEnd');
      p.serverEnd.write(cat(
        bell(), serverCutText('\xe9t\xe9'),
        framebufferUpdate([
          rawRect(1, 2, 2, 1, [[1, 2, 3], [4, 5, 6]]),
          copyRect(10, 10, 4, 4, 0, 0),
          cursorRect(1, 1, 1, 1, [[9, 9, 9]], [[1]]),
        ]),
      ));
      await frame;
      assert.deepEqual(events, [
        ['bell'], ['clipboard', 'été'],
        ['pixels', 1, 2, 2, 1, [...rgbaOf([[1, 2, 3], [4, 5, 6]])]],
        ['copy', 0, 0, 4, 4, 10, 10],
        ['cursor', 1, 1, 1, 1],
      ]);
    });

    it('reports a resize and asks for the whole new screen next', async () => {
      const resized = once(p.client, 'resize');
      p.serverEnd.write(framebufferUpdate([desktopSize(100, 50)]));
      assert.deepEqual((await resized)[0], { width: 100, height: 50 });
      p.client.requestUpdate(true);
      assert.deepEqual(await p.reader.read(10), Buffer.from([3, 0, 0, 0, 0, 0, 0, 100, 0, 50]));
      p.client.requestUpdate(true);
      assert.deepEqual(await p.reader.read(10), Buffer.from([3, 1, 0, 0, 0, 0, 0, 100, 0, 50]));
    });

    it('sends keys, pointer and clipboard', async () => {
      p.client.key(0xff0d, true);
      p.client.pointer(5, 6, 1);
      p.client.sendClipboard('a€');
      assert.deepEqual(await p.reader.read(8 + 6 + 10), cat(
        Buffer.from([4, 1, 0, 0, 0, 0, 0xff, 0x0d]),
        Buffer.from([5, 1, 0, 5, 0, 6]),
        Buffer.from([6, 0, 0, 0, 0, 0, 0, 2, 0x61, 0x3f]),
      ));
    });

    it('closes with RFB_PROTOCOL_ERROR on bad server data', async () => {
      const closed = once(p.client, 'close');
      p.serverEnd.write(u8(200));
      const [err] = (await closed) as [RfbError];
      assert.equal(err.code, 'RFB_PROTOCOL_ERROR');
      assert.equal(err.guacStatus, 0x0203);
    });

    it('closes with RFB_CLOSED when the server goes away', async () => {
      const closed = once(p.client, 'close');
      p.serverEnd.end();
      assert.equal(((await closed) as [RfbError])[0].code, 'RFB_CLOSED');
    });

    it('close() is idempotent and emits close once without an error', async () => {
      p.client.close();
      p.client.close();
      await p.reader.end();
      assert.deepEqual(p.closes, [undefined]);
      p.client.key(1, true); // ignored once closed
    });
  });
});
