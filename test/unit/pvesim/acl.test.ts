import assert from 'node:assert/strict';
import { permissions, type Identity } from '../../../src/pvesim/acl.js';
import { ClusterState } from '../../../src/pvesim/state.js';

function state(): ClusterState {
  const s = new ClusterState();
  const vm = (vmid: number, pool?: string) => ({ vmid, type: 'qemu' as const, node: 'pve1', status: 'stopped' as const, qmpstatus: 'stopped' as const, template: false, config: {}, acpi: 'honour' as const, agentRunning: false, ips: [], backend: 'sim' as const, pool });
  s.vms.set(100, vm(100, 'lab'));
  s.vms.set(101, vm(101));
  s.acls.push({ path: '/pool/lab', ugid: 'u@pve', roleid: 'PVEVMAdmin', propagate: true });
  s.acls.push({ path: '/pool/lab', ugid: 'u@pve!t', roleid: 'PVEVMUser', propagate: true });
  s.acls.push({ path: '/', ugid: 'a@pve', roleid: 'PVEAuditor', propagate: true });
  s.acls.push({ path: '/vms/101', ugid: 'a@pve', roleid: 'NoAccess', propagate: true });
  s.acls.push({ path: '/nodes', ugid: 'n@pve', roleid: 'PVEAuditor', propagate: false });
  return s;
}
const user = (authid: string): Identity => ({ authid, userid: authid, privsep: false, viaTicket: true });
const token = (authid: string, privsep: boolean): Identity => ({ authid, userid: authid.split('!')[0]!, tokenid: authid.split('!')[1], privsep, viaTicket: false });

describe('acl', () => {
  describe('.permissions', () => {
    it('inherits pool ACLs on member VMs only', () => {
      const s = state();
      assert.ok(permissions(s, user('u@pve'), '/vms/100').has('VM.Allocate'));
      assert.equal(permissions(s, user('u@pve'), '/vms/101').size, 0);
    });
    it('gives a privilege-separated token the intersection, a plain token the user set', () => {
      const s = state();
      const sep = permissions(s, token('u@pve!t', true), '/vms/100');
      assert.ok(sep.has('VM.PowerMgmt'));
      assert.ok(!sep.has('VM.Allocate'));
      assert.ok(permissions(s, token('u@pve!t', false), '/vms/100').has('VM.Allocate'));
    });
    it('lets a more specific ACL override and honours propagate', () => {
      const s = state();
      assert.ok(permissions(s, user('a@pve'), '/vms/100').has('VM.Audit'));
      assert.equal(permissions(s, user('a@pve'), '/vms/101').size, 0);
      assert.ok(permissions(s, user('n@pve'), '/nodes').has('Sys.Audit'));
      assert.equal(permissions(s, user('n@pve'), '/nodes/pve1').size, 0);
    });
    it('gives root@pam everything', () => {
      assert.ok(permissions(state(), user('root@pam'), '/vms/101').has('VM.Allocate'));
    });
  });
});
