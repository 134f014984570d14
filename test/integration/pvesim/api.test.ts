import assert from 'node:assert/strict';
import { startPveSim, type PveSim, type Scenario } from '../../../src/pvesim/index.js';
import { passwordClient, raw, tokenClient, waitTask, type Px } from '../../helpers/pvesim/client.js';

const ROOT_TOKEN = 'root@pam!ci';
const ROOT_SECRET = '0b7e8a62-4d1c-4c1e-9a53-2f2b1d0c9e11';
const LAB_TOKEN = 'gw@pve!lab';
const LAB_SECRET = '5c3a9f10-7e2b-4b8d-8c61-0a1b2c3d4e5f';

const scenario: Scenario = {
  nodes: [{ name: 'pve1' }, { name: 'pve2' }],
  pools: [{ poolid: 'lab', comment: 'lab machines' }],
  users: [{ userid: 'alice@pve', password: 'alice-pw' }, { userid: 'gw@pve' }],
  tokens: [{ tokenid: LAB_TOKEN, secret: LAB_SECRET, privsep: true }],
  acls: [
    { path: '/pool/lab', ugid: 'alice@pve', role: 'PVEVMUser' },
    { path: '/pool/lab', ugid: 'gw@pve', role: 'PVEVMAdmin' },
    { path: '/pool/lab', ugid: LAB_TOKEN, role: 'PVEVMUser' },
    { path: '/storage/local', ugid: 'alice@pve', role: 'PVEDatastoreUser' },
  ],
  vms: [
    { vmid: 100, node: 'pve1', pool: 'lab', ips: ['10.0.0.100'] },
    { vmid: 101, node: 'pve1', pool: 'lab', acpi: 'ignore' },
    { vmid: 102, node: 'pve2', tags: ['prod'] },
    { vmid: 103, node: 'pve1', name: 'tpl-debian', template: true },
    { vmid: 104, node: 'pve1', agent: false },
    { vmid: 200, node: 'pve2', type: 'lxc' },
  ],
};

/** proxmox-api errors are plain Errors: `METHOD url return Error <status> <reason>: <json>`. */
async function rejectsWith(p: Promise<unknown>, status: number, text: RegExp): Promise<string> {
  try {
    await p;
  } catch (err) {
    const msg = (err as Error).message;
    assert.match(msg, new RegExp(`(Error|failed with) ${status} `), msg);
    assert.match(msg, text);
    return msg;
  }
  assert.fail(`expected HTTP ${status}`);
}

describe('pvesim API through proxmox-api', function () {
  this.timeout(30_000);
  let sim: PveSim;
  let root: Px;
  let lab: Px;

  before(async () => {
    sim = await startPveSim({ port: 0, qemu: false, password: 'root-pw', tokens: [`${ROOT_TOKEN}=${ROOT_SECRET}`], scenario, authFailDelayMs: 0 });
    root = tokenClient(sim, ROOT_TOKEN, ROOT_SECRET);
    lab = tokenClient(sim, LAB_TOKEN, LAB_SECRET);
  });
  after(async () => {
    await sim?.stop();
  });

  describe('auth', () => {
    it('logs in with a ticket and reads /version', async () => {
      const px = passwordClient(sim, 'root@pam', 'root-pw');
      const v = await px.version.$get();
      assert.equal(typeof v.version, 'string');
    });

    it('refuses a wrong password with a plain-text 401', async () => {
      const r = await raw(sim, 'POST', '/access/ticket', { headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'username=root@pam&password=nope' });
      assert.equal(r.status, 401);
      assert.equal(r.contentType, null);
    });

    it('refuses an unknown token secret', async () => {
      const px = tokenClient(sim, ROOT_TOKEN, '00000000-0000-0000-0000-000000000000');
      await rejectsWith(px.version.$get(), 401, /Authentication failed/);
    });

    it('requires the CSRF token on writes with a ticket, not with a token', async () => {
      const login = await raw(sim, 'POST', '/access/ticket', { headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'username=root%40pam&password=root-pw' });
      const { ticket, CSRFPreventionToken } = (JSON.parse(login.text) as { data: { ticket: string; CSRFPreventionToken: string } }).data;
      const cookie = `PVEAuthCookie=${encodeURIComponent(ticket)}`;
      const get = await raw(sim, 'GET', '/nodes', { headers: { cookie } });
      assert.equal(get.status, 200);
      const form = { 'content-type': 'application/x-www-form-urlencoded' };
      const noCsrf = await raw(sim, 'PUT', '/nodes/pve1/qemu/104/config', { headers: { cookie, ...form }, body: 'description=x' });
      assert.equal(noCsrf.status, 401);
      assert.match(noCsrf.statusText, /invalid csrf token/);
      const withCsrf = await raw(sim, 'PUT', '/nodes/pve1/qemu/104/config', { headers: { cookie, CSRFPreventionToken, ...form }, body: 'description=x' });
      assert.equal(withCsrf.status, 200);
      const token = await raw(sim, 'PUT', '/nodes/pve1/qemu/104/config', { headers: { authorization: `PVEAPIToken=${ROOT_TOKEN}=${ROOT_SECRET}`, ...form }, body: 'description=y' });
      assert.equal(token.status, 200);
    });

    it('refuses tokens on /access/ticket-only features and missing credentials', async () => {
      const r = await raw(sim, 'GET', '/nodes');
      assert.equal(r.status, 401);
      assert.equal(r.statusText, 'No ticket');
    });
  });

  describe('inventory and ACLs', () => {
    it('lists every VM for root with PVE types', async () => {
      const res = (await root.cluster.resources.$get({ type: 'vm' })) as Record<string, unknown>[];
      assert.deepEqual(res.map((r) => r.vmid).sort(), [100, 101, 102, 103, 104, 200]);
      const tpl = res.find((r) => r.vmid === 103)!;
      assert.equal(tpl.template, 1);
      assert.equal(res.find((r) => r.vmid === 100)!.pool, 'lab');
      assert.ok(res.every((r) => !('qmpstatus' in r)));
      assert.equal(res.find((r) => r.vmid === 200)!.type, 'lxc');
    });

    it('filters a PVEVMUser token on /pool/lab to the pool, and hides pool without Pool.Audit', async () => {
      const res = (await lab.cluster.resources.$get({ type: 'vm' })) as Record<string, unknown>[];
      assert.deepEqual(res.map((r) => r.vmid).sort(), [100, 101]);
      assert.ok(res.every((r) => !('pool' in r)));
      const pve1 = (await lab.nodes.$('pve1').qemu.$get()) as { vmid: number }[];
      assert.deepEqual(pve1.map((v) => v.vmid).sort(), [100, 101]);
    });

    it('forbids a privilege-separated token what only its user has (token ∩ user)', async () => {
      await rejectsWith(lab.nodes.$('pve1').qemu.$(100).config.$put({ cores: 4 }), 403, /Permission check failed \(\/vms\/100, VM\.Config\.CPU\)/);
      await rejectsWith(lab.nodes.$('pve2').qemu.$(102).status.start.$post(), 403, /Permission check failed \(\/vms\/102, VM\.PowerMgmt\)/);
    });

    it('returns nextid as a string and memory as a string', async () => {
      assert.equal(await root.cluster.nextid.$get(), '105');
      const cfg = await root.nodes.$('pve1').qemu.$(100).config.$get();
      assert.equal(typeof cfg.memory, 'string');
      assert.equal(cfg.cores, 2);
      assert.match(String(cfg.net0), /^virtio=BC:24:11:[0-9A-F]{2}:[0-9A-F]{2}:[0-9A-F]{2},bridge=vmbr0/);
      assert.match(String(cfg.digest), /^[0-9a-f]{40}$/);
    });

    it('lists ISOs and pools', async () => {
      const isos = (await root.nodes.$('pve1').storage.$('local').content.$get({ content: 'iso' })) as { volid: string }[];
      assert.ok(isos.some((i) => i.volid === 'local:iso/debian-12.9.0-amd64-netinst.iso'));
      const pools = (await root.pools.$get()) as { poolid: string }[];
      assert.deepEqual(pools.map((p) => p.poolid), ['lab']);
    });
  });

  describe('power and tasks', () => {
    const vm = () => root.nodes.$('pve1').qemu.$(100);

    it('runs every transition as a task and reports qmpstatus in full lists', async () => {
      await rejectsWith(vm().status.reboot.$post(), 500, /VM 100 not running/);
      await rejectsWith(vm().status.reset.$post(), 500, /VM 100 not running/);
      await rejectsWith(vm().status.suspend.$post(), 500, /VM 100 not running/);
      await rejectsWith(vm().status.resume.$post(), 500, /VM 100 not running/);

      const start = await vm().status.start.$post();
      assert.match(start, /^UPID:pve1:[0-9A-F]{8}:[0-9A-F]{8,9}:[0-9A-F]{8}:qmstart:100:root@pam!ci:$/);
      assert.equal((await waitTask(root, start)).exitstatus, 'OK');
      assert.equal((await vm().status.current.$get()).status, 'running');

      const again = await vm().status.start.$post();
      assert.equal((await waitTask(root, again)).exitstatus, 'VM 100 already running');

      assert.equal((await waitTask(root, await vm().status.suspend.$post())).exitstatus, 'OK');
      const full = (await root.nodes.$('pve1').qemu.$get({ full: true })) as { vmid: number; qmpstatus?: string; status: string }[];
      assert.equal(full.find((v) => v.vmid === 100)!.qmpstatus, 'paused');
      assert.equal(full.find((v) => v.vmid === 100)!.status, 'running');
      await rejectsWith(vm().status.shutdown.$post(), 500, /VM is paused - cannot shutdown/);
      await rejectsWith(vm().status.reboot.$post(), 500, /VM is paused - cannot shutdown/);
      assert.equal((await waitTask(root, await vm().status.resume.$post())).exitstatus, 'OK');
      assert.equal((await vm().status.current.$get()).qmpstatus, 'running');
      assert.equal((await waitTask(root, await vm().status.reset.$post())).exitstatus, 'OK');
      assert.equal((await waitTask(root, await vm().status.reboot.$post())).exitstatus, 'OK');
      assert.equal((await vm().status.current.$get()).status, 'running');
      assert.equal((await waitTask(root, await vm().status.shutdown.$post())).exitstatus, 'OK');
      assert.equal((await vm().status.current.$get()).status, 'stopped');
      assert.equal((await waitTask(root, await vm().status.start.$post())).exitstatus, 'OK');
      assert.equal((await waitTask(root, await vm().status.stop.$post())).exitstatus, 'OK');
      assert.equal(sim.state.vms.get(100)!.status, 'stopped');
    });

    it('times out the shutdown of a guest that ignores ACPI', async () => {
      const v = root.nodes.$('pve1').qemu.$(101);
      await waitTask(root, await v.status.start.$post());
      const st = await waitTask(root, await v.status.shutdown.$post({ timeout: 1 }));
      assert.equal(st.exitstatus, 'VM quit/powerdown failed - got timeout');
      assert.equal(sim.state.vms.get(101)!.status, 'running');
      await waitTask(root, await v.status.shutdown.$post({ timeout: 1, forceStop: true }));
      assert.equal(sim.state.vms.get(101)!.status, 'stopped');
    });

    it('lists tasks with their user, and the log', async () => {
      const tasks = (await root.nodes.$('pve1').tasks.$get({ vmid: 100, limit: 100 })) as { user: string; type: string; status?: string }[];
      assert.ok(tasks.length >= 5);
      assert.ok(tasks.every((t) => t.user === ROOT_TOKEN));
      assert.ok(tasks.some((t) => t.status === 'VM 100 already running'));
      const upid = await root.nodes.$('pve1').qemu.$(100).status.start.$post();
      await waitTask(root, upid);
      const log = (await root.nodes.$('pve1').tasks.$(upid).log.$get()) as { n: number; t: string }[];
      assert.equal(log.at(-1)!.t, 'TASK OK');
      await waitTask(root, await root.nodes.$('pve1').qemu.$(100).status.stop.$post());
    });

    it('powers LXC containers', async () => {
      const ct = root.nodes.$('pve2').lxc.$(200);
      assert.equal((await waitTask(root, await ct.status.start.$post())).exitstatus, 'OK');
      assert.equal((await ct.status.current.$get()).status, 'running');
      await rejectsWith(ct.status.start.$post(), 500, /CT 200 already running/);
      await waitTask(root, await ct.status.stop.$post());
      const list = (await root.nodes.$('pve2').lxc.$get()) as { vmid: number; status: string }[];
      assert.deepEqual(list.map((c) => [c.vmid, c.status]), [[200, 'stopped']]);
    });
  });

  describe('config, clone, migrate, create, delete', () => {
    it('attaches and ejects an ISO; checks the digest', async () => {
      const cfgApi = root.nodes.$('pve1').qemu.$(100).config;
      await cfgApi.$put({ ide2: 'local:iso/debian-12.9.0-amd64-netinst.iso,media=cdrom' });
      assert.equal((await cfgApi.$get()).ide2, 'local:iso/debian-12.9.0-amd64-netinst.iso,media=cdrom');
      await rejectsWith(cfgApi.$put({ ide2: 'local:iso/missing.iso,media=cdrom' }), 500, /does not exist/);
      const { digest } = await cfgApi.$get();
      await cfgApi.$put({ ide2: 'none,media=cdrom', digest });
      assert.equal((await cfgApi.$get()).ide2, 'none,media=cdrom');
      await rejectsWith(cfgApi.$put({ onboot: true, digest }), 500, /detected modified configuration/);
    });

    it('lets a PVEVMUser change the CD-ROM but not the tags', async () => {
      const px = passwordClient(sim, 'alice@pve', 'alice-pw');
      const cfgApi = px.nodes.$('pve1').qemu.$(100).config;
      await cfgApi.$put({ ide2: 'local:iso/ubuntu-24.04.1-live-server-amd64.iso,media=cdrom' });
      await rejectsWith(cfgApi.$put({ tags: 'a;b' }), 403, /VM\.Config\.Options/);
      await root.nodes.$('pve1').qemu.$(100).config.$put({ tags: 'web;db', onboot: true, description: 'hello' });
      const cfg = await root.nodes.$('pve1').qemu.$(100).config.$get();
      assert.equal(cfg.tags, 'web;db');
      assert.equal(cfg.onboot, 1);
    });

    it('full-clones to another node with new MACs into a pool', async () => {
      const srcCfg = await root.nodes.$('pve1').qemu.$(100).config.$get();
      const upid = await root.nodes.$('pve1').qemu.$(100).clone.$post({ newid: 150, name: 'clone-150', full: true, target: 'pve2', pool: 'lab' });
      assert.match(upid, /:qmclone:100:/);
      assert.equal((await waitTask(root, upid)).exitstatus, 'OK');
      const cfg = await root.nodes.$('pve2').qemu.$(150).config.$get();
      assert.equal(cfg.name, 'clone-150');
      assert.notEqual(cfg.net0, srcCfg.net0);
      assert.match(String(cfg.net0), /^virtio=BC:24:11:/);
      assert.equal(sim.state.vms.get(150)!.pool, 'lab');
    });

    it('linked-clones a template and refuses a linked clone of a normal VM', async () => {
      const upid = await root.nodes.$('pve1').qemu.$(103).clone.$post({ newid: 151, name: 'from-tpl' });
      assert.equal((await waitTask(root, upid)).exitstatus, 'OK');
      assert.match(String((await root.nodes.$('pve1').qemu.$(151).config.$get()).scsi0), /base-103-disk-0\/vm-151-disk-0/);
      await rejectsWith(root.nodes.$('pve1').qemu.$(100).clone.$post({ newid: 152, full: false }), 500, /linked clone/i);
      await rejectsWith(root.nodes.$('pve1').qemu.$(100).clone.$post({ newid: 102 }), 500, /already exists/);
    });

    it('migrates between nodes', async () => {
      const upid = await root.nodes.$('pve1').qemu.$(151).migrate.$post({ target: 'pve2' });
      assert.equal((await waitTask(root, upid)).exitstatus, 'OK');
      assert.equal(sim.state.vms.get(151)!.node, 'pve2');
      await rejectsWith(root.nodes.$('pve1').qemu.$(151).config.$get(), 500, /Configuration file 'nodes\/pve1\/qemu-server\/151.conf' does not exist/);
      await waitTask(root, await root.nodes.$('pve2').qemu.$(151).status.start.$post());
      await rejectsWith(root.nodes.$('pve2').qemu.$(151).migrate.$post({ target: 'pve1' }), 500, /without --online/);
      await waitTask(root, await root.nodes.$('pve2').qemu.$(151).status.stop.$post());
    });

    it('creates, renames and deletes a VM', async () => {
      const upid = await root.nodes.$('pve2').qemu.$post({ vmid: 160, name: 'new-vm', memory: '1024', cores: 1, net0: 'virtio,bridge=vmbr0', tags: 'x', pool: 'lab' });
      assert.equal((await waitTask(root, upid)).exitstatus, 'OK');
      const cfg = await root.nodes.$('pve2').qemu.$(160).config.$get();
      assert.match(String(cfg.net0), /^virtio=BC:24:11:[0-9A-F:]{8},bridge=vmbr0$/);
      await root.nodes.$('pve2').qemu.$(160).config.$put({ name: 'renamed' });
      assert.equal(sim.state.vms.get(160)!.config.name, 'renamed');
      await rejectsWith(root.nodes.$('pve2').qemu.$post({ vmid: 160 }), 500, /already exists/);
      assert.equal((await waitTask(root, await root.nodes.$('pve2').qemu.$(160).$delete())).exitstatus, 'OK');
      assert.equal(sim.state.vms.has(160), false);
    });

    it('answers the guest agent and its errors', async () => {
      const v = root.nodes.$('pve1').qemu.$(100);
      await rejectsWith(v.agent['network-get-interfaces'].$get(), 500, /VM 100 is not running/);
      await rejectsWith(root.nodes.$('pve1').qemu.$(104).agent['network-get-interfaces'].$get(), 500, /No QEMU guest agent configured/);
      await waitTask(root, await v.status.start.$post());
      const { result } = (await v.agent['network-get-interfaces'].$get()) as { result: { 'hardware-address': string; 'ip-addresses': { 'ip-address': string }[] }[] };
      const mac = /virtio=([0-9A-F:]+)/.exec(String((await v.config.$get()).net0))![1]!.toLowerCase();
      const eth = result.find((i) => i['hardware-address'] === mac)!;
      assert.ok(eth['ip-addresses'].some((a) => a['ip-address'] === '10.0.0.100'));
      await waitTask(root, await v.status.stop.$post());
    });
  });

  describe('bad input and faults', () => {
    it('answers unknown paths with 501', async () => {
      const r = await raw(sim, 'GET', '/nodes/pve1/ceph/status', { headers: { authorization: `PVEAPIToken=${ROOT_TOKEN}=${ROOT_SECRET}` } });
      assert.equal(r.status, 501);
      assert.match(r.statusText, /Method 'GET \/api2\/json\/nodes\/pve1\/ceph\/status' not implemented/);
    });

    it('rejects bad parameters with the errors map', async () => {
      const msg = await rejectsWith(root.nodes.$('pve1').qemu.$(100).config.$put({ cores: 'many' } as never), 400, /Parameter verification failed/);
      assert.match(msg, /"cores":"type check \('integer'\) failed - got 'many'"/);
      await rejectsWith(root.nodes.$('pve1').qemu.$(100).config.$put({ bogus: 1 } as never), 400, /"bogus":"property is not defined in schema/);
      await rejectsWith(root.nodes.$('pve1').qemu.$(100).config.$put({ net0: 'virtio,bridge=vmbr0,speed=9' }), 400, /"net0":"invalid format/);
      await rejectsWith(root.nodes.$('pve1').qemu.$(100).clone.$post({} as never), 400, /"newid":"property is missing and it is not optional"/);
      await rejectsWith(root.nodes.$('pve1').qemu.$(99).status.current.$get(), 400, /"vmid"/);
    });

    it('answers unknown VMs and nodes with PVE errors', async () => {
      await rejectsWith(root.nodes.$('pve1').qemu.$(9999).status.start.$post(), 500, /Configuration file 'nodes\/pve1\/qemu-server\/9999.conf' does not exist/);
      await rejectsWith(root.nodes.$('pve9').qemu.$get(), 500, /hostname lookup 'pve9' failed/);
    });

    it('refuses oversized bodies and keeps serving', async () => {
      const r = await raw(sim, 'PUT', '/nodes/pve1/qemu/100/config', {
        headers: { authorization: `PVEAPIToken=${ROOT_TOKEN}=${ROOT_SECRET}`, 'content-type': 'application/x-www-form-urlencoded' },
        body: `description=${'a'.repeat(200_000)}`,
      }).catch((e: Error) => ({ status: 0, text: e.message }));
      assert.ok(r.status === 413 || r.status === 0, `status ${r.status}`);
      assert.equal(typeof (await root.version.$get()).version, 'string');
    });

    it('injects errors, latency, offline nodes and resets; only root may set them', async () => {
      const json = { 'content-type': 'application/json' };
      const auth = { authorization: `PVEAPIToken=${LAB_TOKEN}=${LAB_SECRET}` };
      const denied = await raw(sim, 'POST', '/_sim/faults', { headers: { ...auth, ...json }, body: '{}' });
      assert.equal(denied.status, 403);

      sim.faults.set({ rules: [{ match: 'GET /cluster/resources', errorRate: 1, errorStatus: 503, errorMessage: 'injected' }] });
      await rejectsWith(root.cluster.resources.$get(), 503, /injected/);
      assert.equal(typeof (await root.version.$get()).version, 'string');

      const rootAuth = { authorization: `PVEAPIToken=${ROOT_TOKEN}=${ROOT_SECRET}` };
      const set = await raw(sim, 'POST', '/_sim/faults', { headers: { ...rootAuth, ...json }, body: JSON.stringify({ offlineNodes: ['pve2'] }) });
      assert.equal(set.status, 200);
      await rejectsWith(root.nodes.$('pve2').qemu.$get(), 595, /Connection refused/);
      const res = (await root.cluster.resources.$get({ type: 'vm' })) as { vmid: number; status: string }[];
      assert.equal(res.find((r) => r.vmid === 102)!.status, 'unknown');

      sim.faults.set({ rules: [{ match: '/version', resetRate: 1 }] });
      await assert.rejects(raw(sim, 'GET', '/version', { headers: rootAuth }));
      sim.faults.clear();
      assert.equal(typeof (await root.version.$get()).version, 'string');
    });
  });
});
