import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { Secret } from '../../../src/config/index.js';
import { BridgeState, openPveVnc, VncBridge, type VncUpstream } from '../../../src/console/index.js';
import { createPveClient, type PveClient } from '../../../src/pve/index.js';
import { qemuAvailable, startPveSim, type PveSim } from '../../../src/pvesim/index.js';
import { RfbTcpClient } from '../../helpers/console/rfb-tcp-client.js';

const TOKEN = 'root@pam!bridge';
const SECRET = '0a1b2c3d-4e5f-4061-8273-94a5b6c7d8e9';

function refusedConnect(port: number): Promise<string> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.once('close', () => resolve('accepted-then-closed'));
      s.once('data', () => resolve('served'));
    });
    s.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
  });
}

describe('VncBridge against the PVE simulator with QEMU', function () {
  this.timeout(60_000);
  let sim: PveSim;
  let pve: PveClient;
  let pids: number[] = [];

  before(async function () {
    if (!qemuAvailable()) throw new Error('qemu-system-x86_64 is not installed (apt-get install qemu-system-x86)');
    sim = await startPveSim({ port: 0, nodes: 1, vms: 1, qemu: true, tokens: [`${TOKEN}=${SECRET}`], authFailDelayMs: 0 });
    pve = createPveClient({ apiUrl: sim.url, tokenId: TOKEN, tokenSecret: new Secret(SECRET), caPem: sim.caPem });
    await pve.waitForTask(await pve.power('pve1', 100, 'start'), { pollMs: 100 });
    pids = sim.qemuPids();
  });
  after(async () => {
    await pve?.close();
    await sim?.stop();
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
  });

  /** Opens a bridge and remembers PVE's one-time password the opener saw. */
  async function bridge(extra: { acceptTimeoutMs?: number } = {}): Promise<{ bridge: VncBridge; pvePassword: string }> {
    let pvePassword = '';
    const b = await VncBridge.open({
      open: async (): Promise<VncUpstream> => {
        const up = await openPveVnc({ pve, caPem: sim.caPem, node: 'pve1', vmid: 100 });
        pvePassword = up.password!.reveal();
        return up;
      },
      ...extra,
    });
    return { bridge: b, pvePassword };
  }

  it('serves one RFB client with a fresh password: the VM screen arrives, PVE\'s password never does', async () => {
    const { bridge: b, pvePassword } = await bridge();
    assert.match(pvePassword, /^[!-~]{8}$/);
    const ep = b.endpoint;
    assert.equal(ep.host, '127.0.0.1');
    assert.ok(ep.password && ep.password !== pvePassword);
    assert.equal(b.state, BridgeState.Listening);
    const c = await RfbTcpClient.open(ep.port);
    await c.handshake(ep.password);
    assert.equal(c.name, 'QEMU (vm-100)');
    const f = await c.frame();
    assert.ok(f.width > 0 && f.height > 0);
    assert.ok(new Set(Array.from({ length: f.width * f.height }, (_, i) => f.pixels.readUInt32LE(i * 4) & 0xffffff)).size > 1, 'not a blank screen');
    assert.equal(b.state, BridgeState.Relaying);
    const seen = Buffer.concat(c.all);
    assert.equal(seen.indexOf(Buffer.from(pvePassword, 'latin1')), -1, 'PVE password bytes never reach the loopback client');
    assert.ok(!JSON.stringify(ep).includes(pvePassword));
    c.close();
    assert.equal(await b.ended, 'client-ended');
    assert.equal(b.state, BridgeState.Closed);
  });

  it('accepts exactly one connection: a second is refused while the first is served, and the port dies with the session', async () => {
    const { bridge: b } = await bridge();
    const ep = b.endpoint;
    const first = await RfbTcpClient.open(ep.port);
    await first.handshake(ep.password);
    assert.equal(await refusedConnect(ep.port), 'ECONNREFUSED');
    // still serving the first
    const f = await first.frame();
    assert.ok(f.width > 0);
    b.close();
    assert.equal(await b.ended, 'closed');
    if (!first.closed) await new Promise((r) => first.socket.once('close', r));
    assert.equal(await refusedConnect(ep.port), 'ECONNREFUSED');
  });

  it('ends the session when the loopback client fails authentication, and never relays', async () => {
    const { bridge: b } = await bridge();
    const c = await RfbTcpClient.open(b.endpoint.port);
    await assert.rejects(c.handshake('wrongpw!'), /security failed: Authentication failed/);
    assert.equal(await b.ended, 'client-auth-failed');
    assert.equal(b.bytes.down, 0);
    assert.equal(await refusedConnect(b.endpoint.port), 'ECONNREFUSED');
  });

  it('dies when nobody connects before the deadline', async () => {
    const { bridge: b } = await bridge({ acceptTimeoutMs: 200 });
    assert.equal(await b.ended, 'accept-timeout');
    assert.equal(await refusedConnect(b.endpoint.port), 'ECONNREFUSED');
  });

  it('reports a stopped VM as VM_OFF and leaves nothing open', async () => {
    await pve.waitForTask(await pve.power('pve1', 100, 'stop'), { pollMs: 100 });
    try {
      await assert.rejects(
        VncBridge.open({ open: () => openPveVnc({ pve, caPem: sim.caPem, node: 'pve1', vmid: 100 }) }),
        (err: { code?: string; status?: number }) => err.code === 'VM_OFF' && err.status === 0x0207,
      );
    } finally {
      await pve.waitForTask(await pve.power('pve1', 100, 'start'), { pollMs: 100 });
      pids = [...new Set([...pids, ...sim.qemuPids()])];
    }
  });

  it('refuses an upstream that answers with the wrong CA pinned', async () => {
    const other = await startPveSim({ port: 0, nodes: 1, vms: 1, qemu: false, tokens: [`${TOKEN}=${SECRET}`], authFailDelayMs: 0 });
    try {
      await assert.rejects(
        VncBridge.open({ open: () => openPveVnc({ pve, caPem: other.caPem, node: 'pve1', vmid: 100 }) }),
        (err: { code?: string }) => err.code === 'UPSTREAM_UNREACHABLE',
      );
    } finally {
      await other.stop();
    }
  });
});
