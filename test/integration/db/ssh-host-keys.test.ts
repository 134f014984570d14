/**
 * The ssh_host_key store and the first-use trust on a real, migrated MariaDB database: first use records
 * and audits, a later identical key is accepted, a different one refused (and audited), a key nobody
 * expects is refused, forgetting removes the row, deleting the VM removes its keys.
 */
import assert from 'node:assert/strict';
import { loadConfig } from '../../../src/config/index.js';
import { HostKeyTrust } from '../../../src/console/index.js';
import { AuditRepository, ClusterRepository, migrateUp, openDatabase, SshHostKeyRepository, type DataSource } from '../../../src/db/index.js';
import { Secret } from '../../../src/config/index.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/mariadb.js';

const KEY_A = { algorithm: 'ssh-ed25519', key: 'AAAAC3NzaC1lZDI1NTE5AAAAIA==', fingerprint: 'SHA256:aaaa' };
const KEY_B = { algorithm: 'ssh-ed25519', key: 'AAAAC3NzaC1lZDI1NTE5AAAAIB==', fingerprint: 'SHA256:bbbb' };

describe('ssh host keys: store and first-use trust (MariaDB)', function () {
  this.timeout(60_000);
  let testDb: TestDatabase;
  let db: DataSource;
  let store: SshHostKeyRepository;
  let audit: AuditRepository;
  let vmId: number;
  let otherVmId: number;

  before(async () => {
    testDb = await createTestDatabase('echostkey');
    db = await openDatabase(loadConfig({ env: { EARCANDLE_DB_URL: testDb.url } }));
    await migrateUp(db);
    const clusters = new ClusterRepository(db, () => new Secret(Buffer.alloc(32, 7)));
    const c = await clusters.add({ name: 'lab', apiUrl: 'https://127.0.0.1:8006', tokenId: 'a@pve!b', tokenSecret: 'x', caPem: null });
    const now = new Date();
    const insert = async (vmid: number): Promise<number> =>
      ((await db.query("INSERT INTO vm (cluster_id, node, vmid, name, type, status, first_seen_at, last_seen_at) VALUES (?, 'n1', ?, ?, 'qemu', 'running', ?, ?)", [c.id, vmid, `vm-${vmid}`, now, now])) as { insertId: number }).insertId;
    vmId = await insert(100);
    otherVmId = await insert(101);
    store = new SshHostKeyRepository(db);
    audit = new AuditRepository(db);
  });
  after(async () => {
    await db?.destroy();
    await testDb?.drop();
  });

  const session = (over: Partial<Parameters<HostKeyTrust['prepare']>[0]> = {}) => ({ vmId, vmName: 'vm-100', hostname: '10.0.0.5', port: 22, entityId: 41, username: 'alice', remoteHost: '127.0.0.1', ...over });
  const info = (k: typeof KEY_A, hostname = '10.0.0.5', port = 22) => ({ hostname, port, ...k });

  it('records the first key with who accepted it, audits the fingerprint, and passes it on later sessions', async () => {
    const trust = new HostKeyTrust({ store, audit });
    const first = await trust.prepare(session());
    assert.equal(first.recorded, undefined);
    assert.equal(trust.pending(), 1);
    assert.equal(await trust.decide(info(KEY_A)), true);
    assert.equal(trust.pending(), 0);
    const rec = await store.find(vmId, 22);
    assert.ok(rec);
    assert.deepEqual({ ...rec, id: 0, firstSeen: null }, { id: 0, vmId, hostname: '10.0.0.5', port: 22, ...KEY_A, firstSeen: null, acceptedBy: 'alice', acceptedByEntityId: 41 });
    assert.ok(rec.firstSeen instanceof Date);
    const rows = await audit.recent(10);
    assert.equal(rows[0]!.action, 'ssh.host-key.trust');
    assert.equal(rows[0]!.actor, 'alice');
    assert.match(rows[0]!.detail!, /SHA256:aaaa/);

    const later = await trust.prepare(session({ username: 'bob', entityId: 42 }));
    assert.equal(later.recorded?.key, KEY_A.key, 'the recorded key goes to guacd as host-key');
    assert.equal(trust.pending(), 0);
  });

  it('refuses a key nobody expects, and a different key when another session recorded one first', async () => {
    const trust = new HostKeyTrust({ store, audit });
    assert.equal(await trust.decide(info(KEY_A, '10.0.0.9')), false, 'no session expects this address');
    // Two sessions prepared before either reached the server: the first records, the second sees a different key.
    const vm2 = session({ vmId: otherVmId, vmName: 'vm-101', hostname: '10.0.0.6' });
    await trust.prepare(vm2);
    await trust.prepare({ ...vm2, username: 'bob', entityId: 42 });
    assert.equal(await trust.decide(info(KEY_A, '10.0.0.6')), true);
    assert.equal(await trust.decide(info(KEY_B, '10.0.0.6')), false);
    const [refusal] = await audit.recent(1);
    assert.equal(refusal!.action, 'ssh.host-key.refuse');
    assert.equal(refusal!.result, 'denied');
    assert.equal(refusal!.actor, 'bob');
    assert.equal((await store.find(otherVmId, 22))?.fingerprint, 'SHA256:aaaa');
  });

  it('refuses when two machines expect the same address; a released expectation is gone', async () => {
    const trust = new HostKeyTrust({ store, audit });
    await store.forget(vmId);
    await store.forget(otherVmId);
    const a = await trust.prepare(session({ hostname: '10.0.0.7' }));
    await trust.prepare(session({ vmId: otherVmId, hostname: '10.0.0.7' }));
    assert.equal(await trust.decide(info(KEY_A, '10.0.0.7')), false);
    a.release();
    a.release();
    assert.equal(trust.pending(), 1);
    assert.equal(await store.find(vmId, 22), undefined);
  });

  it('forgets one port or all of a VM, and a deleted VM takes its keys along', async () => {
    await store.recordFirstUse({ vmId, hostname: 'h', port: 22, ...KEY_A, acceptedBy: null, acceptedByEntityId: null });
    await store.recordFirstUse({ vmId, hostname: 'h', port: 2222, ...KEY_B, acceptedBy: null, acceptedByEntityId: null });
    const again = await store.recordFirstUse({ vmId, hostname: 'h', port: 22, ...KEY_B, acceptedBy: 'x', acceptedByEntityId: 1 });
    assert.equal(again.created, false);
    assert.equal(again.record.key, KEY_A.key, 'the first record stays');
    assert.deepEqual((await store.forget(vmId, 2222)).map((r) => r.port), [2222]);
    assert.deepEqual((await store.forVm(vmId)).map((r) => r.port), [22]);
    await store.recordFirstUse({ vmId: otherVmId, hostname: 'h', port: 22, ...KEY_A, acceptedBy: null, acceptedByEntityId: null });
    await db.query('DELETE FROM vm WHERE id = ?', [otherVmId]);
    assert.deepEqual(await store.forVm(otherVmId), []);
    assert.equal((await store.forget(vmId)).length, 1);
    assert.deepEqual(await store.forget(vmId), []);
  });
});
