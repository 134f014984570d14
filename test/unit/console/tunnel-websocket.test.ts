import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { AddressInfo, Socket } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import { TUNNEL_COMPRESSION_THRESHOLD, TUNNEL_WEBSOCKET_OPTIONS, uncompressedBelow } from '../../../src/console/tunnel-websocket.js';

/** A loopback server with the tunnel's options and a client offering permessage-deflate as Chromium does. */
async function pair(options: object = TUNNEL_WEBSOCKET_OPTIONS): Promise<{ server: WebSocket; client: WebSocket; clientSocket: Socket; close(): Promise<void> }> {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', ...options });
  await once(wss, 'listening');
  const client = new WebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}/`);
  let clientSocket: Socket | undefined;
  client.once('upgrade', (res) => (clientSocket = res.socket as Socket));
  const [[server]] = await Promise.all([once(wss, 'connection') as Promise<[WebSocket]>, once(client, 'open')]);
  return {
    server,
    client,
    clientSocket: clientSocket!,
    close: async () => {
      client.terminate();
      await new Promise((r) => wss.close(r));
    },
  };
}

/** RFC 6455 §5.2: an unmasked server frame's header, by payload length. */
const frameHeader = (length: number): number => (length < 126 ? 2 : length < 65536 ? 4 : 10);

describe('tunnel WebSocket options', () => {
  it('negotiate permessage-deflate with a client that offers it', async () => {
    const p = await pair();
    try {
      assert.match(p.client.extensions, /^permessage-deflate\b/);
    } finally {
      await p.close();
    }
  });

  describe('uncompressedBelow', () => {
    /** Bytes that crossed the wire for one message sent by `send`, and the message as received. */
    async function wireCost(p: Awaited<ReturnType<typeof pair>>, send: () => void): Promise<{ wire: number; received: string }> {
      const before = p.clientSocket.bytesRead;
      const received = once(p.client, 'message') as Promise<[Buffer]>;
      send();
      const [data] = await received;
      return { wire: p.clientSocket.bytesRead - before, received: data.toString() };
    }

    it(`sends messages under ${TUNNEL_COMPRESSION_THRESHOLD} bytes as they are and compresses the rest`, async () => {
      const p = await pair();
      try {
        const small = 'a'.repeat(TUNNEL_COMPRESSION_THRESHOLD - 1);
        const large = 'a'.repeat(TUNNEL_COMPRESSION_THRESHOLD);
        assert.deepEqual(await wireCost(p, () => p.server.send(small)), { wire: frameHeader(small.length) + small.length, received: small });
        const compressed = await wireCost(p, () => p.server.send(large));
        assert.equal(compressed.received, large);
        assert.ok(compressed.wire < 20, `${large.length} repeated letters took ${compressed.wire} B`);
      } finally {
        await p.close();
      }
    });

    it('counts bytes, not characters, and keeps both send forms and their callbacks', async () => {
      const p = await pair({ ...TUNNEL_WEBSOCKET_OPTIONS, WebSocket: uncompressedBelow(64) });
      try {
        const wide = 'é'.repeat(40); // 80 bytes in UTF-8: compressed
        const done: string[] = [];
        const a = await wireCost(p, () => p.server.send(wide, () => done.push('callback only')));
        assert.equal(a.received, wide);
        assert.ok(a.wire < frameHeader(80) + 80, `${a.wire} B`);
        const buffer = Buffer.alloc(63, 1); // a Buffer below the threshold: raw
        const b = await wireCost(p, () => p.server.send(buffer, { binary: true }, () => done.push('options and callback')));
        assert.equal(b.wire, frameHeader(63) + 63);
        assert.deepEqual(done, ['callback only', 'options and callback']);
      } finally {
        await p.close();
      }
    });

    it('sends raw to a client that did not offer compression', async () => {
      const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', ...TUNNEL_WEBSOCKET_OPTIONS });
      await once(wss, 'listening');
      const client = new WebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}/`, { perMessageDeflate: false });
      try {
        const [[server]] = await Promise.all([once(wss, 'connection') as Promise<[WebSocket]>, once(client, 'open')]);
        assert.equal(client.extensions, '');
        const received = once(client, 'message') as Promise<[Buffer]>;
        server.send('b'.repeat(1000));
        assert.equal((await received)[0].toString(), 'b'.repeat(1000));
      } finally {
        client.terminate();
        await new Promise((r) => wss.close(r));
      }
    });
  });
});
