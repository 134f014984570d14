import assert from 'node:assert/strict';
import { httpError, PveAuthError, PvePermissionError } from '../../../src/pve/errors.js';
import { netMac, parseAgentInterfaces, parseNodeVms, parseTags, parseVmConfig } from '../../../src/pve/parse.js';
import { parseUpidString } from '../../../src/pve/upid.js';
import { Limiter } from '../../../src/pve/limiter.js';

describe('pve parse', () => {
  it('reads MACs from netN in index order, upper case', () => {
    const c = parseVmConfig({ net10: 'e1000=bc:24:11:00:00:0a,bridge=vmbr1', net0: 'virtio=BC:24:11:12:34:56,bridge=vmbr0,firewall=1', agent: 'enabled=1,fstrim_cloned_disks=1', digest: 'abc', tags: 'b;a ssh' });
    assert.deepEqual(c.macs, ['BC:24:11:12:34:56', 'BC:24:11:00:00:0A']);
    assert.equal(c.agentEnabled, true);
    assert.deepEqual(c.tags, ['a', 'b', 'ssh']);
    assert.equal(parseVmConfig({ agent: '0' }).agentEnabled, false);
    assert.equal(parseVmConfig({ agent: '1,type=virtio' }).agentEnabled, true);
    assert.equal(netMac('name=eth0,bridge=vmbr0,hwaddr=AA:BB:CC:DD:EE:FF,ip=dhcp'), 'AA:BB:CC:DD:EE:FF');
    assert.deepEqual(parseTags(undefined), []);
  });

  it('numbers and booleans however PVE sends them', () => {
    const [vm] = parseNodeVms([{ vmid: '101', name: 'x', status: 'running', qmpstatus: 'paused', template: '1', cpus: '2', maxmem: 1024 }], 'pve1', 'qemu');
    assert.deepEqual([vm!.vmid, vm!.template, vm!.cpus, vm!.qmpstatus], [101, true, 2, 'paused']);
  });

  it('agent addresses without loopback and link-local', () => {
    const addrs = parseAgentInterfaces({ result: [
      { name: 'lo', 'hardware-address': '00:00:00:00:00:00', 'ip-addresses': [{ 'ip-address-type': 'ipv4', 'ip-address': '127.0.0.1', prefix: 8 }] },
      { name: 'eth0', 'hardware-address': 'bc:24:11:12:34:56', 'ip-addresses': [{ 'ip-address-type': 'ipv4', 'ip-address': '169.254.1.1', prefix: 16 }, { 'ip-address-type': 'ipv4', 'ip-address': '10.0.0.5', prefix: 24 }, { 'ip-address-type': 'ipv6', 'ip-address': 'fe80::1', prefix: 64 }] },
    ] });
    assert.deepEqual(addrs, [{ interface: 'eth0', mac: 'BC:24:11:12:34:56', ipv4: '10.0.0.5', prefix: 24 }]);
  });

  it('UPIDs give their node, type, id and user', () => {
    const u = parseUpidString('UPID:pve2:0000ABCD:0001E240:6650A1B2:qmstart:101:alice@pve!tok:');
    assert.deepEqual(u && [u.node, u.type, u.id, u.user, u.pid], ['pve2', 'qmstart', '101', 'alice@pve!tok', 0xabcd]);
    assert.equal(parseUpidString('UPID:bad'), undefined);
  });

  it('HTTP errors carry the status and PVE field errors; 401 and 403 are their own types', () => {
    const e = httpError(400, 'Parameter verification failed.', '{"data":null,"errors":{"vmid":"VM 100 already exists"}}', 'POST', '/api2/json/nodes/pve1/qemu');
    assert.equal(e.status, 400);
    assert.deepEqual(e.fieldErrors, { vmid: 'VM 100 already exists' });
    assert.match(e.message, /400 Parameter verification failed\. \(vmid: VM 100 already exists\)/);
    assert.ok(httpError(401, 'Authentication failed!', 'Authentication failed!', 'GET', '/x') instanceof PveAuthError);
    assert.ok(httpError(403, 'Permission check failed', '{"data":null}', 'GET', '/x') instanceof PvePermissionError);
  });
});

describe('Limiter', () => {
  it('#run keeps at most `limit` tasks in flight', async () => {
    const l = new Limiter(2);
    let inFlight = 0;
    let most = 0;
    await Promise.all(Array.from({ length: 8 }, () => l.run(async () => {
      inFlight++;
      most = Math.max(most, inFlight);
      await new Promise((r) => setImmediate(r));
      inFlight--;
    })));
    assert.equal(most, 2);
    assert.equal(l.active, 0);
  });
});
