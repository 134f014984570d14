import assert from 'node:assert/strict';
import { acquireSyncLock } from '../../../src/db/index.js';
import { syncCluster, type ClusterSyncResult } from '../../../src/sync/index.js';
import { createSyncFixture, type SyncFixture } from '../../helpers/sync-fixture.js';

interface VmRow {
  id: number;
  vmid: number;
  node: string;
  name: string;
  status: string;
  goneAt: Date | null;
  owner: number | null;
}

describe('sync against the PVE simulator', function () {
  this.timeout(60_000);
  let f: SyncFixture;
  let alice: number;
  let bob: number;

  const sync = async (): Promise<ClusterSyncResult> => {
    const r = await syncCluster(f.deps, 'lab');
    assert.equal(r.outcome, 'ok', r.error);
    return r;
  };
  const vms = async (): Promise<Map<number, VmRow>> => {
    const rows = (await f.db.query('SELECT id, vmid, node, name, status, gone_at AS goneAt, owner_entity_id AS owner FROM vm ORDER BY id')) as VmRow[];
    return new Map(rows.map((r) => [r.vmid, r]));
  };
  const events = async (vmid: number): Promise<{ kind: string; actor: string | null; detail: string | null; upid: string | null }[]> =>
    (await f.db.query('SELECT e.kind, e.actor, e.detail, e.upid FROM vm_event e JOIN vm v ON v.id = e.vm_id WHERE v.vmid = ? ORDER BY e.id', [vmid])) as never;
  /** Guacamole's rule: a user reads a connection granted to it or to an enabled group it belongs to. */
  const readable = async (entityId: number): Promise<string[]> =>
    ((await f.db.query(
      `SELECT DISTINCT c.connection_name AS name FROM guacamole_connection c JOIN guacamole_connection_permission p ON p.connection_id = c.connection_id
        WHERE p.permission = 'READ' AND (p.entity_id = ? OR p.entity_id IN (
          SELECT g.entity_id FROM guacamole_user_group_member m JOIN guacamole_user_group g ON g.user_group_id = m.user_group_id
           WHERE m.member_entity_id = ? AND g.disabled = 0)) ORDER BY c.connection_name`,
      [entityId, entityId],
    )) as { name: string }[]).map((r) => r.name);

  before(async () => {
    f = await createSyncFixture(
      {
        nodes: 2,
        pools: [{ poolid: 'alice' }, { poolid: 'bob' }],
        vms: [
          { vmid: 100, node: 'pve1', name: 'web', pool: 'alice', tags: ['ssh'], status: 'running', ips: ['10.20.0.100'] },
          { vmid: 101, node: 'pve1', name: 'db', pool: 'bob', status: 'stopped' },
          { vmid: 102, node: 'pve2', name: 'tmpl', template: true, status: 'stopped' },
        ],
      },
      { cluster: { ownerRule: 'pool' } },
    );
    alice = (await f.identities.createUser({ name: 'alice' })).entityId;
    bob = (await f.identities.createUser({ name: 'bob' })).entityId;
  });
  after(async () => {
    await f?.close();
  });

  it('first sync: every VM appears with valid Guacamole connections in the cluster group', async () => {
    const r = await sync();
    assert.equal(r.vms, 3);
    const rows = await vms();
    assert.deepEqual([...rows.keys()], [100, 101, 102]);
    assert.equal(rows.get(100)!.owner, alice);
    assert.equal(rows.get(101)!.owner, bob);
    assert.equal(rows.get(102)!.owner, null);
    assert.deepEqual((await events(100)).map((e) => e.kind), ['appeared']);
    const conns = (await f.db.query(
      `SELECT c.connection_name AS name, c.protocol, g.connection_group_name AS grp, g.parent_id AS gp,
              (SELECT attribute_value FROM guacamole_connection_attribute a WHERE a.connection_id = c.connection_id AND a.attribute_name = 'earcandle-kind') AS kind,
              (SELECT attribute_value FROM guacamole_connection_attribute a WHERE a.connection_id = c.connection_id AND a.attribute_name = 'earcandle-vm-id') AS vmId,
              (SELECT parameter_value FROM guacamole_connection_parameter p WHERE p.connection_id = c.connection_id AND p.parameter_name = 'hostname') AS host
         FROM guacamole_connection c JOIN guacamole_connection_group g ON g.connection_group_id = c.parent_id ORDER BY c.connection_name`,
    )) as { name: string; protocol: string; grp: string; gp: number | null; kind: string; vmId: string; host: string | null }[];
    assert.deepEqual(
      conns.map((c) => [c.name, c.protocol, c.kind, c.host]),
      [
        ['db (101)', 'vnc', 'console', null],
        ['tmpl (102)', 'vnc', 'console', null],
        ['web (100)', 'vnc', 'console', null],
        ['web (100) ssh', 'ssh', 'ssh', '10.20.0.100'],
      ],
    );
    assert.ok(conns.every((c) => c.grp === 'lab' && c.gp === null && Number(c.vmId) === rows.get(Number(/\((\d+)\)/.exec(c.name)![1]))!.id));
    assert.deepEqual(await readable(alice), ['web (100)', 'web (100) ssh']);
    assert.deepEqual(await readable(bob), ['db (101)']);
  });

  it('a resync with no change writes zero rows', async () => {
    const r = await sync();
    assert.deepEqual(r.changes, {});
    assert.equal(r.writes, 0);
    assert.equal(r.handlerWrites, 0);
  });

  it('start: the database follows with a started event naming the actor', async () => {
    const upid = await f.ops.power('pve1', 101, 'start');
    await f.ops.waitForTask(upid, { pollMs: 50 });
    await sync();
    assert.equal((await vms()).get(101)!.status, 'running');
    assert.deepEqual((await events(101)).slice(1), [{ kind: 'started', actor: 'ops@pve!ops', detail: null, upid }]);
  });

  it('migrate: same id, new node, migrated A→B', async () => {
    const before = (await vms()).get(101)!.id;
    const upid = await f.ops.migrate('pve1', 101, 'pve2', { online: true });
    await f.ops.waitForTask(upid, { pollMs: 50 });
    await sync();
    const row = (await vms()).get(101)!;
    assert.equal(row.id, before);
    assert.equal(row.node, 'pve2');
    const last = (await events(101)).at(-1)!;
    assert.deepEqual([last.kind, last.actor, last.detail, last.upid], ['migrated', 'ops@pve!ops', 'pve1→pve2', upid]);
  });

  it('rename: same id, connections renamed, renamed event', async () => {
    const before = (await vms()).get(100)!.id;
    await f.ops.setConfig('pve1', 100, { name: 'www' });
    await sync();
    const row = (await vms()).get(100)!;
    assert.equal(row.id, before);
    assert.equal(row.name, 'www');
    assert.deepEqual((await events(100)).map((e) => [e.kind, e.detail]).at(-1), ['renamed', 'web→www']);
    assert.deepEqual(await readable(alice), ['www (100)', 'www (100) ssh']);
  });

  it('clone then delete: appears, then vanishes with the actor; its connections stay for the grace period', async () => {
    const upid = await f.ops.clone('pve2', 102, { newid: 110, name: 'lab1', pool: 'alice' });
    await f.ops.waitForTask(upid, { pollMs: 50 });
    await sync();
    assert.equal((await vms()).get(110)!.owner, alice);
    assert.deepEqual(await readable(alice), ['lab1 (110)', 'www (100)', 'www (100) ssh']);
    const del = await f.ops.deleteVm('pve2', 110);
    await f.ops.waitForTask(del, { pollMs: 50 });
    await sync();
    const row = (await vms()).get(110)!;
    assert.ok(row.goneAt instanceof Date);
    const last = (await events(110)).at(-1)!;
    assert.deepEqual([last.kind, last.actor], ['vanished', 'ops@pve!ops']);
    assert.ok((await readable(alice)).includes('lab1 (110)'), 'connections stay during the grace period');
    // after the grace period they go, the row and its history stay
    const later = new Date(Date.now() + 3601_000);
    const r = await syncCluster({ ...f.deps, now: () => later }, 'lab');
    assert.equal(r.outcome, 'ok', r.error);
    assert.deepEqual(await readable(alice), ['www (100)', 'www (100) ssh']);
    assert.ok((await events(110)).length >= 2);
  });

  it('admin-made grants survive; sync revokes only what it granted', async () => {
    const [console101] = (await f.db.query("SELECT connection_id AS id FROM guacamole_connection WHERE connection_name = 'db (101)'")) as { id: number }[];
    await f.db.query("INSERT INTO guacamole_connection_permission (entity_id, connection_id, permission) VALUES (?, ?, 'READ')", [alice, console101!.id]);
    await sync();
    assert.ok((await readable(alice)).includes('db (101)'));
    // the owner changes from bob to alice (owner rule by tag now): bob's sync-made grant goes, alice's admin grant stays
    await f.db.query("UPDATE pve_cluster SET owner_rule = 'tag:owner-' WHERE name = 'lab'");
    await f.ops.setConfig('pve2', 101, { tags: 'owner-alice' });
    await sync();
    assert.deepEqual(await readable(bob), []);
    assert.ok((await readable(alice)).includes('db (101)'));
    const attrs = (await f.db.query("SELECT COUNT(*) AS n FROM guacamole_connection_attribute WHERE connection_id = ? AND attribute_name = 'earcandle-owner-grant'", [console101!.id])) as { n: number }[];
    assert.equal(Number(attrs[0]!.n), 0, 'the admin grant is not adopted by sync');
    await f.db.query("UPDATE pve_cluster SET owner_rule = 'pool' WHERE name = 'lab'");
  });

  it('two syncs of one cluster at once: one runs, the other skips', async () => {
    const lock = await acquireSyncLock(f.db, 'lab');
    assert.ok(lock);
    try {
      const r = await syncCluster(f.deps, 'lab');
      assert.equal(r.outcome, 'skipped');
    } finally {
      await lock.release();
    }
    const both = await Promise.all([syncCluster(f.deps, 'lab'), syncCluster(f.deps, 'lab')]);
    assert.ok(both.every((r) => r.outcome !== 'failed'));
    assert.ok(both.some((r) => r.outcome === 'ok'));
  });
});
