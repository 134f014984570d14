import assert from 'node:assert/strict';
import { qemuAvailable, startPveSim, type PveSim } from '../../../src/pvesim/index.js';
import { tokenClient, waitTask, type Px } from '../../helpers/pvesim/client.js';
import { openVncWebSocket, rfbFirstFrame } from '../../helpers/pvesim/rfb-ws-client.js';

const TOKEN = 'root@pam!console';
const SECRET = '1f2e3d4c-5b6a-4978-8a9b-0c1d2e3f4a5b';
const AUTH = { authorization: `PVEAPIToken=${TOKEN}=${SECRET}` };

interface Proxy {
  user: string;
  ticket: string;
  port: number;
  upid: string;
  cert: string;
  password: string;
}

function wsUrl(sim: PveSim, node: string, vmid: number, p: { port: number; ticket: string }): string {
  return `wss://127.0.0.1:${sim.port}/api2/json/nodes/${node}/qemu/${vmid}/vncwebsocket?port=${p.port}&vncticket=${encodeURIComponent(p.ticket)}`;
}

for (const backend of ['qemu', 'sim'] as const) {
  describe(`pvesim console: vncproxy + vncwebsocket (${backend} backend)`, function () {
    this.timeout(30_000);
    let sim: PveSim;
    let px: Px;
    let pids: number[] = [];

    before(async function () {
      if (backend === 'qemu' && !qemuAvailable()) throw new Error('qemu-system-x86_64 is not installed (apt-get install qemu-system-x86)');
      sim = await startPveSim({ port: 0, nodes: 2, vms: 2, qemu: backend === 'qemu', password: 'pw', tokens: [`${TOKEN}=${SECRET}`], authFailDelayMs: 0 });
      px = tokenClient(sim, TOKEN, SECRET);
      assert.equal((await waitTask(px, await px.nodes.$('pve1').qemu.$(100).status.start.$post())).exitstatus, 'OK');
      pids = sim.qemuPids();
      if (backend === 'qemu') assert.equal(pids.length, 1);
    });
    after(async () => {
      await sim?.stop();
      for (const pid of pids) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone: stop() killed it
        }
      }
    });

    it('returns a PVE-shaped vncproxy answer', async () => {
      const p = (await px.nodes.$('pve1').qemu.$(100).vncproxy.$post({ websocket: true, 'generate-password': true })) as Proxy;
      assert.equal(p.user, TOKEN);
      assert.match(p.password, /^[!-~]{8}$/);
      assert.ok(p.ticket.startsWith(`${p.password}:PVEVNC:`));
      assert.ok(p.port >= 5900 && p.port <= 5999);
      assert.match(p.upid, /:vncproxy:100:/);
      assert.equal(p.cert, sim.caPem);
    });

    it('relays RFB: VNC auth with the one-time password and a non-blank first frame; the ticket is single-use', async () => {
      const p = (await px.nodes.$('pve1').qemu.$(100).vncproxy.$post({ websocket: true })) as Proxy;
      const ws = await openVncWebSocket(wsUrl(sim, 'pve1', 100, p), sim.caPem, AUTH);
      assert.equal(ws.protocol, 'binary');
      const frame = await rfbFirstFrame(ws, p.password);
      assert.ok(frame.width > 0 && frame.height > 0);
      assert.ok(frame.distinctPixels > 1);
      if (backend === 'qemu') assert.equal(frame.name, 'QEMU (vm-100)');
      await assert.rejects(openVncWebSocket(wsUrl(sim, 'pve1', 100, p), sim.caPem, AUTH), /upgrade refused: 401/);
      ws.close();
    });

    it('refuses a wrong ticket, another identity and another node', async () => {
      const p = (await px.nodes.$('pve1').qemu.$(100).vncproxy.$post({ websocket: true })) as Proxy;
      const forged = { port: p.port, ticket: p.ticket.replace(/.{4}$/, 'AAAA') };
      await assert.rejects(openVncWebSocket(wsUrl(sim, 'pve1', 100, forged), sim.caPem, AUTH), /upgrade refused: 401/);
      await assert.rejects(openVncWebSocket(wsUrl(sim, 'pve2', 100, p), sim.caPem, AUTH), /upgrade refused/);
      await assert.rejects(openVncWebSocket(wsUrl(sim, 'pve1', 100, p), sim.caPem, { authorization: `PVEAPIToken=${TOKEN}=00000000-0000-0000-0000-000000000000` }), /upgrade refused: 401/);
      // the wrong attempts did not consume the session: the right one still works
      const ws = await openVncWebSocket(wsUrl(sim, 'pve1', 100, p), sim.caPem, AUTH);
      const frame = await rfbFirstFrame(ws, p.password);
      assert.ok(frame.distinctPixels > 1);
      ws.close();
    });

    it('fails VNC auth with a wrong password', async () => {
      const p = (await px.nodes.$('pve1').qemu.$(100).vncproxy.$post({ websocket: true })) as Proxy;
      const ws = await openVncWebSocket(wsUrl(sim, 'pve1', 100, p), sim.caPem, AUTH);
      await assert.rejects(rfbFirstFrame(ws, 'wrongpw!'), /VNC auth failed: Authentication failed/);
      ws.close();
    });

    it('powers the VM through its backend', async () => {
      const vm = px.nodes.$('pve1').qemu.$(100);
      assert.equal((await waitTask(px, await vm.status.suspend.$post())).exitstatus, 'OK');
      assert.equal((await vm.status.current.$get()).qmpstatus, 'paused');
      assert.equal((await waitTask(px, await vm.status.resume.$post())).exitstatus, 'OK');
      assert.equal((await waitTask(px, await vm.status.reset.$post())).exitstatus, 'OK');
      assert.equal((await waitTask(px, await vm.status.stop.$post())).exitstatus, 'OK');
      assert.equal((await vm.status.current.$get()).status, 'stopped');
      assert.deepEqual(sim.qemuPids(), []);
    });
  });
}
