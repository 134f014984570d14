import assert from 'node:assert/strict';
import type { PveTask } from '../../../src/pve/index.js';
import { diff } from '../../../src/sync/diff.js';
import { isEmpty, type DbConnection, type DbSnapshot, type DbVm, type Inventory, type ObservedVm, type SyncRules } from '../../../src/sync/types.js';

const NOW = new Date('2026-05-01T12:00:00Z');
const HOUR = 3600_000;
const MAC = 'BC:24:11:00:00:01';

function obs(vmid: number, over: Partial<ObservedVm> = {}): ObservedVm {
  return {
    vmid, type: 'qemu', node: 'pve1', name: `vm${vmid}`, status: 'stopped', qmpstatus: 'stopped', template: false, cores: 2, memoryMib: 2048,
    diskBytes: 1000, tags: [], pool: null, lock: null, config: { macs: [MAC.replace(/01$/, String(vmid % 100).padStart(2, '0'))], agent: false, digest: 'd1' }, agentIpv4: null, ...over,
  };
}

/** The row sync would have written for `o` (the "already in sync" state). */
function row(id: number, o: ObservedVm, over: Partial<DbVm> = {}): DbVm {
  return {
    id, vmid: o.vmid, type: o.type, node: o.node, name: o.name, status: o.status, qmpstatus: o.qmpstatus, template: o.template, cores: o.cores,
    memoryMib: o.memoryMib, diskBytes: o.diskBytes, macs: o.config?.macs ?? [], ipv4: null, tags: o.tags, pool: o.pool, lock: o.lock,
    ownerEntityId: null, agent: false, configDigest: 'd1', goneAt: null, ...over,
  };
}

function inv(vms: ObservedVm[], over: Partial<Inventory> = {}): Inventory {
  return { resourcesOk: true, nodes: ['pve1', 'pve2'], unreadableNodes: [], vms, listedVmids: vms.map((v) => v.vmid), uncertainVmids: [], tasks: [], ...over };
}

function snap(vms: DbVm[], over: Partial<DbSnapshot> = {}): DbSnapshot {
  const connections: DbConnection[] = vms.filter((v) => v.goneAt === null).map((v) => ({ connectionId: 1000 + v.id, vmId: v.id, kind: 'console', name: `${v.name} (${v.vmid})`, protocol: 'vnc', params: {}, ownerGrant: v.ownerEntityId }));
  return { clusterId: 1, groupId: 7, vms, connections, reservations: [], recentEvents: [], users: new Map([['alice', 11], ['bob', 12]]), readGrants: new Set(connections.filter((c) => c.ownerGrant !== null).map((c) => `${c.ownerGrant}:${c.connectionId}`)), ...over };
}

const rules: SyncRules = { clusterName: 'lab', ownerRule: 'pool', guestProtocols: [], goneGraceSeconds: 3600, dhcpGraceSeconds: 7200, dhcp: null };

function task(vmid: number, type: string, user: string, endtime: number, node = 'pve1'): PveTask {
  return { upid: `UPID:${node}:00001234:00005678:${endtime.toString(16).toUpperCase()}:${type}:${vmid}:${user}:`, node, type, id: String(vmid), user, starttime: endtime - 1, endtime, status: 'OK' };
}

describe('diff', () => {
  it('a new VM appears with its console connection, in a new group', () => {
    const cs = diff(inv([obs(100)]), snap([], { groupId: null }), NOW, rules);
    assert.equal(cs.vmInserts.length, 1);
    assert.deepEqual(cs.events.map((e) => [e.kind, e.vm]), [['appeared', { vmid: 100 }]]);
    assert.equal(cs.createGroup, 'lab');
    assert.deepEqual(cs.connectionInserts.map((c) => [c.kind, c.protocol, c.name, c.params]), [['console', 'vnc', 'vm100 (100)', {}]]);
  });

  it('nothing changed → an empty change set', () => {
    const o = obs(100);
    const cs = diff(inv([o]), snap([row(1, o)]), NOW, rules);
    assert.ok(isEmpty(cs), JSON.stringify(cs));
  });

  it('a rename keeps the id, renames the connection and records renamed', () => {
    const o = obs(100);
    const cs = diff(inv([{ ...o, name: 'web' }]), snap([row(1, o)]), NOW, rules);
    assert.deepEqual(cs.vmUpdates, [{ id: 1, fields: { name: 'web' } }]);
    assert.deepEqual(cs.events.map((e) => [e.kind, e.detail, e.vm]), [['renamed', 'vm100→web', { id: 1 }]]);
    assert.deepEqual(cs.connectionUpdates, [{ connectionId: 1001, name: 'web (100)', setParams: {}, deleteParams: [] }]);
    assert.equal(cs.vmInserts.length, 0);
  });

  it('a migration keeps the id; the qmigrate task names the actor', () => {
    const o = obs(100);
    const cs = diff(inv([{ ...o, node: 'pve2' }], { tasks: [task(100, 'qmigrate', 'carol@pve', 1_777_000_000)] }), snap([row(1, o)]), NOW, rules);
    assert.deepEqual(cs.vmUpdates, [{ id: 1, fields: { node: 'pve2' } }]);
    assert.deepEqual(cs.events.map((e) => [e.kind, e.actor, e.detail]), [['migrated', 'carol@pve', 'pve1→pve2']]);
  });

  it('start by a task: one started event with actor and upid, no duplicate transition', () => {
    const o = obs(100);
    const t = task(100, 'qmstart', 'alice@pve', 1_777_000_000);
    const cs = diff(inv([{ ...o, status: 'running', qmpstatus: 'running' }], { tasks: [t] }), snap([row(1, o)]), NOW, rules);
    assert.deepEqual(cs.events.map((e) => [e.kind, e.actor, e.upid]), [['started', 'alice@pve', t.upid]]);
  });

  it('a task already recorded is not recorded again; a transition without a task has no actor', () => {
    const o = obs(100);
    const t = task(100, 'qmreboot', 'alice@pve', 1_777_000_000);
    const s = snap([row(1, { ...o, status: 'running', qmpstatus: 'running' })], { recentEvents: [{ id: 5, vmId: 1, at: new Date(NOW.getTime() - 60_000), kind: 'rebooted', actor: 'alice@pve', upid: t.upid }] });
    const cs = diff(inv([o], { tasks: [t] }), s, NOW, rules);
    assert.deepEqual(cs.events.map((e) => [e.kind, e.actor]), [['stopped', null]]);
  });

  it('a task seen after its transition adds the actor to the recorded event', () => {
    const o = obs(100, { status: 'running', qmpstatus: 'running' });
    const t = task(100, 'qmstart', 'bob@pve', 1_777_000_000);
    const s = snap([row(1, o)], { recentEvents: [{ id: 9, vmId: 1, at: new Date(NOW.getTime() - 60_000), kind: 'started', actor: null, upid: null }] });
    const cs = diff(inv([o], { tasks: [t] }), s, NOW, rules);
    assert.deepEqual(cs.eventActors, [{ id: 9, actor: 'bob@pve', upid: t.upid }]);
    assert.equal(cs.events.length, 0);
  });

  it('paused and resumed follow qmpstatus', () => {
    const o = obs(100, { status: 'running', qmpstatus: 'running' });
    const paused = diff(inv([{ ...o, qmpstatus: 'paused' }]), snap([row(1, o)]), NOW, rules);
    assert.deepEqual(paused.events.map((e) => e.kind), ['paused']);
    const resumed = diff(inv([o]), snap([row(1, { ...o, qmpstatus: 'paused' })]), NOW, rules);
    assert.deepEqual(resumed.events.map((e) => e.kind), ['resumed']);
  });

  it('config changes are named', () => {
    const o = obs(100);
    const cs = diff(inv([{ ...o, cores: 4, tags: ['x'] }]), snap([row(1, o)]), NOW, rules);
    assert.deepEqual(cs.events.map((e) => [e.kind, e.detail]), [['config-changed', 'cores 2→4, tags -→x']]);
  });

  it('a VM missing from a complete listing vanishes (with the destroyer as actor); its connections stay for the grace period', () => {
    const o = obs(100);
    const cs = diff(inv([], { tasks: [task(100, 'qmdestroy', 'dave@pve', 1_777_000_000)] }), snap([row(1, o)]), NOW, rules);
    assert.deepEqual(cs.vmUpdates, [{ id: 1, fields: { goneAt: NOW } }]);
    assert.deepEqual(cs.events.map((e) => [e.kind, e.actor]), [['vanished', 'dave@pve']]);
    assert.deepEqual(cs.connectionDeletes, []);
  });

  it('nothing vanishes when /cluster/resources failed, when the node is unreadable, or the VM is uncertain', () => {
    const o = obs(100);
    const s = snap([row(1, o)]);
    assert.ok(isEmpty(diff(inv([], { resourcesOk: false, listedVmids: [] }), s, NOW, rules)));
    assert.ok(isEmpty(diff(inv([], { unreadableNodes: ['pve1'], listedVmids: [100] }), s, NOW, rules)));
    assert.ok(isEmpty(diff(inv([], { unreadableNodes: ['pve1'], listedVmids: [] }), s, NOW, rules)));
    assert.ok(isEmpty(diff(inv([{ ...o, name: 'x' }], { uncertainVmids: [100] }), s, NOW, rules)));
    assert.ok(isEmpty(diff(inv([], { listedVmids: [100] }), s, NOW, rules)));
  });

  it('gone VMs lose their connections only after the grace period; a VM back in time is the same VM', () => {
    const o = obs(100);
    const recent = row(1, o, { goneAt: new Date(NOW.getTime() - HOUR / 2) });
    const old = row(1, o, { goneAt: new Date(NOW.getTime() - 2 * HOUR) });
    const conn: DbConnection = { connectionId: 1001, vmId: 1, kind: 'console', name: 'vm100 (100)', protocol: 'vnc', params: {}, ownerGrant: null };
    assert.ok(isEmpty(diff(inv([]), snap([recent], { connections: [conn] }), NOW, rules)));
    assert.deepEqual(diff(inv([]), snap([old], { connections: [conn] }), NOW, rules).connectionDeletes, [1001]);
    const back = diff(inv([o]), snap([recent], { connections: [conn] }), NOW, rules);
    assert.deepEqual(back.vmUpdates, [{ id: 1, fields: { goneAt: null } }]);
    assert.deepEqual(back.events.map((e) => e.kind), ['returned']);
    assert.equal(back.vmInserts.length, 0);
    const newcomer = diff(inv([o]), snap([old], { connections: [conn] }), NOW, rules);
    assert.equal(newcomer.vmInserts.length, 1);
    assert.deepEqual(newcomer.events.map((e) => e.kind), ['appeared']);
  });

  it('owner rule: pool or tag prefix; sync revokes only its own grants', () => {
    const o = obs(100, { pool: 'alice' });
    const cs = diff(inv([o]), snap([row(1, obs(100))]), NOW, rules);
    assert.deepEqual(cs.grants, [{ connectionId: 1001, entityId: 11 }]);
    assert.deepEqual(cs.vmUpdates, [{ id: 1, fields: { pool: 'alice', ownerEntityId: 11 } }]);
    const tagRules = { ...rules, ownerRule: 'tag:owner-' };
    const moved = diff(inv([{ ...o, tags: ['owner-bob'] }]), snap([row(1, o, { ownerEntityId: 11 })]), NOW, tagRules);
    assert.deepEqual(moved.revokes, [{ connectionId: 1001, entityId: 11 }]);
    assert.deepEqual(moved.grants, [{ connectionId: 1001, entityId: 12 }]);
    // bob already holds READ from an admin: sync adds nothing and will never revoke it
    const adminMade = snap([row(1, o, { ownerEntityId: null, pool: null })], { readGrants: new Set(['12:1001']) });
    const cs2 = diff(inv([{ ...o, pool: 'bob' }]), adminMade, NOW, rules);
    assert.deepEqual([cs2.grants, cs2.revokes], [[], []]);
  });

  it('guest connections when the address is known and tags or defaults ask', () => {
    const o = obs(100, { tags: ['ssh'], agentIpv4: '10.0.0.5', status: 'running', qmpstatus: 'running' });
    const cs = diff(inv([o]), snap([], { groupId: 7 }), NOW, { ...rules, guestProtocols: ['rdp'] });
    assert.deepEqual(cs.connectionInserts.map((c) => [c.kind, c.params.hostname ?? null]).sort(), [['console', null], ['rdp', '10.0.0.5'], ['ssh', '10.0.0.5']]);
  });

  it('a running agent VM not asked this run keeps the agent\'s address, not its DHCP reservation', () => {
    const dhcpRules: SyncRules = { ...rules, dhcp: { subnet: '10.9.0.0/24', keaSubnetId: 5 } };
    const running = { status: 'running', qmpstatus: 'running' } as const;
    // A quiet run: the config is not read again, the agent not asked.
    const o = obs(100, { ...running, config: null, agentIpv4: undefined });
    const mac = obs(100).config!.macs[0]!;
    const reservations = [{ id: 1, vmId: 1, mac, ipv4: 0x0a090002, hostname: 'vm100' }];
    const db = row(1, obs(100, running), { agent: true, ipv4: '192.168.7.20' });
    const quiet = diff(inv([o]), snap([db], { reservations }), NOW, dhcpRules);
    assert.ok(isEmpty(quiet), JSON.stringify(quiet));
    // The agent answers with a new address; answers without one: the reservation.
    const moved = diff(inv([{ ...o, agentIpv4: '192.168.7.21' }]), snap([db], { reservations }), NOW, dhcpRules);
    assert.deepEqual(moved.vmUpdates, [{ id: 1, fields: { ipv4: '192.168.7.21' } }]);
    const none = diff(inv([{ ...o, agentIpv4: null }]), snap([db], { reservations }), NOW, dhcpRules);
    assert.deepEqual(none.vmUpdates, [{ id: 1, fields: { ipv4: '10.9.0.2' } }]);
    // Stopped, or without an agent: the reservation is the address.
    const stopped = obs(100, { config: null, agentIpv4: undefined });
    assert.deepEqual(diff(inv([stopped]), snap([{ ...db, status: 'stopped', qmpstatus: 'stopped' }], { reservations }), NOW, dhcpRules).vmUpdates, [{ id: 1, fields: { ipv4: '10.9.0.2' } }]);
    assert.deepEqual(diff(inv([o]), snap([{ ...db, agent: false }], { reservations }), NOW, dhcpRules).vmUpdates, [{ id: 1, fields: { ipv4: '10.9.0.2' } }]);
  });

  it('DHCP: lowest free address, stable across resyncs, released after the grace period', () => {
    const dhcpRules: SyncRules = { ...rules, dhcp: { subnet: '10.9.0.0/24', keaSubnetId: 5 } };
    const a = obs(100);
    const b = obs(101);
    const first = diff(inv([a, b]), snap([]), NOW, dhcpRules);
    assert.deepEqual(first.reservationInserts.map((r) => [r.mac, r.ipv4]), [[a.config!.macs[0], 0x0a090002], [b.config!.macs[0], 0x0a090003]]);
    assert.deepEqual(first.vmInserts.map((v) => v.ipv4), ['10.9.0.2', '10.9.0.3']);
    const reservations = [
      { id: 1, vmId: 1, mac: a.config!.macs[0]!, ipv4: 0x0a090002, hostname: 'vm100' },
      { id: 2, vmId: 2, mac: b.config!.macs[0]!, ipv4: 0x0a090003, hostname: 'vm101' },
    ];
    const rows = [row(1, a, { ipv4: '10.9.0.2' }), row(2, b, { ipv4: '10.9.0.3' })];
    assert.ok(isEmpty(diff(inv([a, b]), snap(rows, { reservations }), NOW, dhcpRules)));
    const goneRows = [rows[0]!, { ...rows[1]!, goneAt: new Date(NOW.getTime() - 3 * HOUR) }];
    const later = diff(inv([a, obs(102)]), snap(goneRows, { reservations, connections: [] }), NOW, dhcpRules);
    assert.deepEqual(later.reservationReleases.map((r) => r.id), [2]);
    assert.deepEqual(later.reservationInserts.map((r) => r.ipv4), [0x0a090004]);
  });
});
