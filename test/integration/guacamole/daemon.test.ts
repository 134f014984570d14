import assert from 'node:assert/strict';
import { PNG } from 'pngjs';
import { createGuacd, GuacStatus } from '../../../guacamole/index.js';
import { bootSector, keyCodeBitPixel, KEY_CODE_BOOT_CODE } from '../../helpers/boot-sector.js';
import type { Bitmap } from '../../helpers/browser-canvas.js';
import { GuacScreen, rgbAt } from '../../helpers/guac-screen.js';
import { GuacTestClient, guacdHandshake as handshake, wire } from '../../helpers/guac-wire.js';
import { startQemu, type QemuVm } from '../../helpers/qemu.js';

/** VGA text colours as QEMU draws them. */
const isBlack = ([r, g, b]: readonly number[]): boolean => r! < 0x40 && g! < 0x40 && b! < 0x40;
const isBlue = ([r, g, b]: readonly number[]): boolean => r! < 0x40 && g! < 0x40 && b! > 0x80;
const isGrey = ([r, g, b]: readonly number[]): boolean => [r!, g!, b!].every((c) => c > 0x80 && c < 0xd0);

/** The key-code boot sector shows `code` in its top row, on a black screen. */
function showsKeyCode(code: number): (screen: Bitmap) => true | string {
  return (screen) => {
    const bits = Array.from({ length: 8 }, (_, bit) => {
      const { x, y } = keyCodeBitPixel(bit);
      const rgb = rgbAt(screen, x, y);
      return isGrey(rgb) ? '1' : isBlack(rgb) ? '0' : `(${rgb.join(',')})`;
    }).reverse().join('');
    const centre = rgbAt(screen, screen.width >> 1, screen.height >> 1);
    if (!isBlack(centre)) return `the screen is not black but ${centre.join(',')}`;
    return bits === code.toString(2).padStart(8, '0') || `the top row shows ${bits}`;
  };
}

function decodeFirstImage(client: GuacTestClient): PNG {
  const index = client.received.findIndex((i) => i.opcode === 'img' && i.args[2] === '0' && i.args[3] === 'image/png');
  assert.ok(index >= 0, 'an img on layer 0');
  return PNG.sync.read(client.imageBytes(index));
}

describe('guacd daemon (integration)', function () {
  this.timeout(30000);
  const guacd = createGuacd({ port: 0 });
  let port: number;
  let vm: QemuVm;
  let lockedVm: QemuVm;
  let keyVm: QemuVm;
  const clients: GuacTestClient[] = [];

  async function open(): Promise<GuacTestClient> {
    const client = await GuacTestClient.open(port);
    clients.push(client);
    return client;
  }

  before(async () => {
    ({ port } = await guacd.start());
    [vm, lockedVm, keyVm] = await Promise.all([
      startQemu(), startQemu({ password: true }), startQemu({ bootSector: bootSector(KEY_CODE_BOOT_CODE) }),
    ]);
    await lockedVm.qmp.execute('change-vnc-password', { password: 'secret1' });
  });

  afterEach(() => {
    for (const c of clients.splice(0)) c.close();
  });

  after(async () => {
    await guacd.stop();
    await Promise.all([vm?.stop(), lockedVm?.stop(), keyVm?.stop()]);
  });

  it('start() is idempotent and reports the bound port', async () => {
    assert.deepEqual(await guacd.start(), { port });
  });

  it('connects to a QEMU VM: ready, size, a non-blank PNG, sync', async () => {
    const client = await open();
    await handshake(client, 'vnc', { hostname: '127.0.0.1', port: String(vm.port) });
    const ready = await client.waitFor((i) => i.opcode === 'ready');
    assert.match(ready.args[0]!, /^\$[0-9a-f-]{36}$/);
    const size = await client.waitFor((i) => i.opcode === 'size' && i.args[0] === '0');
    assert.ok(Number(size.args[1]) >= 640 && Number(size.args[2]) >= 400, `size ${size.args.join('x')}`);
    // SeaBIOS' text appears within a second or two; wait until some frame has non-black pixels.
    const deadline = Date.now() + 15000;
    let lit = 0;
    while (Date.now() < deadline && lit === 0) {
      await client.waitFor((i) => i.opcode === 'sync', 5000, client.received.length);
      for (let i = 0; i < client.received.length; i++) {
        const ins = client.received[i]!;
        if (ins.opcode !== 'img' || ins.args[2] !== '0' || ins.args[3] !== 'image/png') continue;
        const png = PNG.sync.read(client.imageBytes(i));
        for (let p = 0; p < png.data.length; p += 4) if (png.data[p]! + png.data[p + 1]! + png.data[p + 2]! > 0) lit++;
      }
    }
    assert.ok(lit > 0, 'some PNG shows something other than black');
    const png = decodeFirstImage(client);
    assert.ok(png.width > 0 && png.height > 0);
    for (const ins of client.received.filter((i) => i.opcode === 'blob')) assert.ok(Buffer.from(ins.args[1]!, 'base64').length <= 6048);
    assert.equal(guacd.sessions(), 1);
    client.send(wire('disconnect'));
    await client.waitForClose();
  });

  it('forwards keys to the VM: its boot sector shows the code of each key it reads', async () => {
    const client = await open();
    await handshake(client, 'vnc', { hostname: '127.0.0.1', port: String(keyVm.port) });
    const screen = new GuacScreen(client);
    await screen.waitUntil('the boot sector waiting for a key (blue)', (s) => {
      const centre = rgbAt(s, s.width >> 1, s.height >> 1);
      return isBlue(centre) || `the centre is ${centre.join(',')}`;
    }, 15000);
    // The browser's keep-alives and the tunnel's ping (opcode "") are ignored on the way.
    client.send(wire('nop') + wire('', 'ping', 1) + wire('key', 0x61, 1) + wire('key', 0x61, 0));
    await screen.waitUntil("'a' (0x61)", showsKeyCode(0x61));
    client.send(wire('key', 0xffe1, 1) + wire('key', 0x5a, 1) + wire('key', 0x5a, 0) + wire('key', 0xffe1, 0));
    await screen.waitUntil("'Z' (0x5A), typed with Shift", showsKeyCode(0x5a));
    assert.equal(client.received.some((i) => i.opcode === 'error'), false);
  });

  it('answers an unknown protocol with error 0x0100 (UNSUPPORTED)', async () => {
    const client = await open();
    const reply = await handshake(client, 'telnet-nope', {});
    assert.equal(reply.opcode, 'error');
    assert.equal(Number(reply.args[1]), GuacStatus.UNSUPPORTED);
    await client.waitForClose();
  });

  it('answers an unknown connection id with "No such connection." 0x0204', async () => {
    const client = await open();
    const reply = await handshake(client, '$00000000-0000-0000-0000-000000000000', {});
    assert.deepEqual(reply.args, ['No such connection.', String(GuacStatus.RESOURCE_NOT_FOUND)]);
  });

  it('reports an unreachable VNC server with 0x0207 (UPSTREAM_NOT_FOUND) after ready', async () => {
    const client = await open();
    await handshake(client, 'vnc', { hostname: '127.0.0.1', port: '1' });
    await client.waitFor((i) => i.opcode === 'ready');
    const error = await client.waitFor((i) => i.opcode === 'error');
    assert.equal(Number(error.args[1]), GuacStatus.UPSTREAM_NOT_FOUND);
    await client.waitForClose();
  });

  it('reports a wrong VNC password as guacd does (0x0301 or 0x0203)', async () => {
    const client = await open();
    await handshake(client, 'vnc', { hostname: '127.0.0.1', port: String(lockedVm.port), password: 'wrong' });
    const error = await client.waitFor((i) => i.opcode === 'error');
    assert.ok([GuacStatus.CLIENT_UNAUTHORIZED, GuacStatus.UPSTREAM_ERROR].includes(Number(error.args[1])), error.args.join(','));
  });

  it('connects with the right VNC password', async () => {
    const client = await open();
    await handshake(client, 'vnc', { hostname: '127.0.0.1', port: String(lockedVm.port), password: 'secret1' });
    await client.waitFor((i) => i.opcode === 'img');
    assert.equal(client.received.some((i) => i.opcode === 'error'), false);
  });

  it('lets a second user join by id and replays the screen to them', async () => {
    const owner = await open();
    await handshake(owner, 'vnc', { hostname: '127.0.0.1', port: String(vm.port) });
    const ready = await owner.waitFor((i) => i.opcode === 'ready');
    await owner.waitFor((i) => i.opcode === 'img');
    const viewer = await open();
    await handshake(viewer, ready.args[0]!, { 'read-only': 'true' });
    const joined = await viewer.waitFor((i) => i.opcode === 'ready');
    assert.equal(joined.args[0], ready.args[0]);
    await viewer.waitFor((i) => i.opcode === 'size');
    assert.ok(decodeFirstImage(viewer).width > 0);
  });

  it('refuses a connect with the wrong number of values', async () => {
    const client = await open();
    client.send(wire('select', 'vnc'));
    await client.waitFor((i) => i.opcode === 'args');
    client.send(wire('size', 800, 600) + wire('connect', 'VERSION_1_1_0', '127.0.0.1'));
    const error = await client.waitFor((i) => i.opcode === 'error');
    assert.equal(Number(error.args[1]), GuacStatus.CLIENT_BAD_REQUEST);
    assert.match(error.args[0]!, /expected number of arguments/);
  });

  it('closes a client that sends garbage with a protocol error', async () => {
    const client = await open();
    client.send('hello;');
    const error = await client.waitFor((i) => i.opcode === 'error');
    assert.equal(Number(error.args[1]), GuacStatus.CLIENT_BAD_REQUEST);
    await client.waitForClose();
  });
});
