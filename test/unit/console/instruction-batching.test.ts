import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import { batchedPerTick } from '../../../src/console/instruction-batching.js';

/** A loopback pair whose server side sends through batchedPerTick; the client records every message. */
async function pair(): Promise<{ server: WebSocket; received: string[]; client: WebSocket; close(): Promise<void> }> {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', WebSocket: batchedPerTick(WebSocket) });
  await once(wss, 'listening');
  const client = new WebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}/`);
  const received: string[] = [];
  client.on('message', (data, isBinary) => received.push(isBinary ? `binary:${(data as Buffer).toString('hex')}` : String(data)));
  const [[server]] = await Promise.all([once(wss, 'connection') as Promise<[WebSocket]>, once(client, 'open')]);
  return {
    server,
    received,
    client,
    close: async () => {
      client.terminate();
      await new Promise((r) => wss.close(r));
    },
  };
}

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 5));
  assert.ok(check(), 'condition not reached');
}

describe('batchedPerTick (guacamole-lite sends one message per instruction)', () => {
  it('sends the text messages of one event-loop turn as one message, in order, and calls every callback', async () => {
    const p = await pair();
    try {
      const acks: (Error | undefined)[] = [];
      p.server.send('4.size,1.0,3.720,3.400;', { binary: false, mask: false }, (err) => acks.push(err));
      p.server.send('4.sync,2.17;', { binary: false, mask: false }, (err) => acks.push(err));
      p.server.send('3.nop;');
      await until(() => p.received.length >= 1 && acks.length === 2);
      await new Promise((r) => setTimeout(r, 20));
      assert.deepEqual(p.received, ['4.size,1.0,3.720,3.400;4.sync,2.17;3.nop;']);
      assert.equal(acks.length, 2);
      assert.ok(acks.every((err) => err == null), 'no errors');
    } finally {
      await p.close();
    }
  });

  it('keeps messages of different turns apart', async () => {
    const p = await pair();
    try {
      p.server.send('3.nop;');
      await new Promise((r) => setImmediate(r));
      p.server.send('4.sync,1.1;');
      await until(() => p.received.length === 2);
      assert.deepEqual(p.received, ['3.nop;', '4.sync,1.1;']);
    } finally {
      await p.close();
    }
  });

  it('sends what waits before a close, and binary messages after the text before them', async () => {
    const p = await pair();
    try {
      const closed = once(p.client, 'close');
      p.server.send('5.error,5.Nope.,3.769;');
      p.server.send(Buffer.from([1, 2]));
      p.server.send('3.nop;');
      p.server.close(1008, 'refused');
      const [code] = await closed;
      assert.equal(code, 1008);
      assert.deepEqual(p.received, ['5.error,5.Nope.,3.769;', 'binary:0102', '3.nop;']);
    } finally {
      await p.close();
    }
  });

  it('reports an error to the callbacks of text that could not be sent any more', async () => {
    const p = await pair();
    try {
      const errors: (Error | undefined)[] = [];
      p.server.send('3.nop;', (err) => errors.push(err));
      p.server.terminate();
      await until(() => errors.length === 1);
      assert.ok(errors[0] instanceof Error);
    } finally {
      await p.close();
    }
  });
});
