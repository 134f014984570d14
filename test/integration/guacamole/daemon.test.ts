import assert from 'node:assert/strict';
import { PNG } from 'pngjs';
import { createGuacd, GuacStatus, type Instruction } from '../../../guacamole/index.js';
import { GuacTestClient, wire } from '../../helpers/guac-wire.js';
import { startQemu, type QemuVm } from '../../helpers/qemu.js';

/** Handshake as guacamole-lite 1.2.0 sends it: size, audio, video, image, timezone, connect (values in args order). */
async function handshake(
  client: GuacTestClient,
  protocol: string,
  settings: Record<string, string>,
): Promise<Instruction> {
  client.send(wire('select', protocol));
  const args = await client.waitFor((i) => i.opcode === 'args' || i.opcode === 'error');
  if (args.opcode === 'error') return args;
  assert.equal(args.args[0], 'VERSION_1_5_0');
  client.send(wire('size', 1024, 768, 96));
  client.send(wire('audio', 'audio/L16'));
  client.send(wire('video'));
  client.send(wire('image', 'image/png', 'image/jpeg'));
  client.send(wire('timezone'));
  const values = args.args.slice(1).map((name) => settings[name] ?? '');
  client.send(wire('connect', 'VERSION_1_1_0', ...values));
  return args;
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
  const clients: GuacTestClient[] = [];

  async function open(): Promise<GuacTestClient> {
    const client = await GuacTestClient.open(port);
    clients.push(client);
    return client;
  }

  before(async () => {
    ({ port } = await guacd.start());
    [vm, lockedVm] = await Promise.all([startQemu(), startQemu({ password: true })]);
    await lockedVm.qmp.execute('change-vnc-password', { password: 'secret1' });
  });

  afterEach(() => {
    for (const c of clients.splice(0)) c.close();
  });

  after(async () => {
    await guacd.stop();
    await Promise.all([vm?.stop(), lockedVm?.stop()]);
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

  it('forwards keys and pointer without breaking the session', async () => {
    const client = await open();
    await handshake(client, 'vnc', { hostname: '127.0.0.1', port: String(vm.port) });
    await client.waitFor((i) => i.opcode === 'sync');
    client.send(wire('mouse', 10, 10, 0) + wire('key', 0xff0d, 1) + wire('key', 0xff0d, 0) + wire('nop') + wire('', 'ping', 1));
    client.send(wire('clipboard', 2, 'text/plain') + wire('blob', 2, Buffer.from('héllo').toString('base64')) + wire('end', 2));
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(client.closed, false);
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
