import assert from 'node:assert/strict';
import { createCipheriv, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import GuacamoleLite from 'guacamole-lite';
import { PNG } from 'pngjs';
import WebSocket from 'ws';
import { createGuacd, parseInstructions, type Instruction } from '../../../guacamole/index.js';
import { startQemu, type QemuVm } from '../../helpers/qemu.js';

const KEY = randomBytes(16).toString('hex'); // 32 ASCII bytes, as AES-256 wants

/** A token exactly as guacamole-lite's Crypt.encrypt builds it (written here, not imported). */
function token(payload: object): string {
  const iv = randomBytes(16);
  const cipher = createCipheriv('aes-256-cbc', Buffer.from(KEY, 'ascii'), iv);
  const value = Buffer.concat([cipher.update(JSON.stringify(payload), 'utf8'), cipher.final()]);
  return Buffer.from(JSON.stringify({ iv: iv.toString('base64'), value: value.toString('base64') })).toString('base64');
}

describe('guacd daemon behind guacamole-lite 1.2.0 (integration)', function () {
  this.timeout(30000);
  const guacd = createGuacd({ port: 0 });
  let vm: QemuVm;
  let http: Server;
  let lite: GuacamoleLite;
  let wsPort: number;

  before(async () => {
    const { port: guacdPort } = await guacd.start();
    vm = await startQemu();
    http = createServer();
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    wsPort = (http.address() as AddressInfo).port;
    lite = new GuacamoleLite(
      { server: http, path: '/tunnel' },
      { host: '127.0.0.1', port: guacdPort },
      { crypt: { cypher: 'AES-256-CBC', key: KEY }, log: { level: 0 } },
    );
    // guacamole-lite installs its own SIGTERM/SIGINT handlers; the test runner owns those.
    if (lite.sigTermHandler) process.removeListener('SIGTERM', lite.sigTermHandler);
    if (lite.sigIntHandler) process.removeListener('SIGINT', lite.sigIntHandler);
    lite.on('error', () => undefined);
  });

  after(async () => {
    lite?.close();
    await new Promise<void>((resolve) => (http ? http.close(() => resolve()) : resolve()));
    await guacd.stop();
    await vm?.stop();
  });

  it('shows the VM screen through a WebSocket, one instruction per message', async () => {
    const t = token({ connection: { type: 'vnc', settings: { hostname: '127.0.0.1', port: vm.port } } });
    const ws = new WebSocket(`ws://127.0.0.1:${wsPort}/tunnel?token=${encodeURIComponent(t)}&width=800&height=600`);
    const received: Instruction[] = [];
    const done = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no image; got ${received.map((i) => i.opcode).join(' ')}`)), 15000);
      ws.on('message', (data) => {
        const list = parseInstructions(data.toString());
        assert.equal(list.length, 1, 'guacamole-lite sends one instruction per message');
        const ins = list[0]!;
        received.push(ins);
        // Reply to sync like Client.js; the browser also pings with opcode "".
        if (ins.opcode === 'sync') ws.send(`4.sync,${ins.args[0]!.length}.${ins.args[0]};0.,4.ping,1.1;`);
        if (ins.opcode === 'end' && received.some((i) => i.opcode === 'img' && i.args[2] === '0')) {
          clearTimeout(timer);
          resolve();
        }
      });
      ws.on('error', reject);
    });
    await done;
    // guacamole-lite swallows `ready` and passes the id with an empty opcode.
    assert.equal(received[0]!.opcode, '');
    assert.match(received[0]!.args[0]!, /^\$/);
    assert.ok(received.some((i) => i.opcode === 'size' && i.args[0] === '0'));
    const img = received.findIndex((i) => i.opcode === 'img' && i.args[2] === '0');
    const bytes: Buffer[] = [];
    for (const i of received.slice(img + 1)) {
      if (i.opcode === 'end') break;
      if (i.opcode === 'blob') bytes.push(Buffer.from(i.args[1]!, 'base64'));
    }
    const png = PNG.sync.read(Buffer.concat(bytes));
    assert.ok(png.width > 0 && png.height > 0);
    assert.equal(guacd.sessions(), 1);
    ws.close();
    const deadline = Date.now() + 5000;
    while (guacd.sessions() > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.equal(guacd.sessions(), 0, 'the session ends with the WebSocket');
  });
});
