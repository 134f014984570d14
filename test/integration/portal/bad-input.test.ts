import assert from 'node:assert/strict';
import { PortalClient } from '../../helpers/portal/browser.js';
import { addVm, grantVm, stateChecksum } from '../../helpers/portal/fixtures.js';
import { startHarness, type Harness } from '../../helpers/portal/harness.js';

const PASSWORD = 'bad input password 1';

/** Bad input gets a clear 4xx and changes no row. */
describe('portal bad input', function () {
  this.timeout(60_000);
  let h: Harness;
  let alice: PortalClient;
  let admin: PortalClient;
  let vm: number;

  before(async () => {
    h = await startHarness();
    const a = await h.identities.createUser({ name: 'alice', password: PASSWORD });
    await h.identities.createUser({ name: 'root', password: PASSWORD, admin: true });
    const c = await h.clusters.add({ name: 'c1', apiUrl: 'https://127.0.0.1:1', tokenId: 'a@pve!t', tokenSecret: '00000000-0000-0000-0000-000000000000' });
    vm = await addVm(h.db, { clusterId: c.id, vmid: 100, name: 'alpha' });
    await grantVm(h.db, vm, a.entityId);
    alice = new PortalClient(h.url);
    await alice.login('alice', PASSWORD);
    await alice.refreshCsrf();
    admin = new PortalClient(h.url);
    await admin.login('root', PASSWORD);
    await admin.refreshCsrf();
  });
  after(async () => {
    await h?.stop();
  });

  async function unchanged(work: () => Promise<void>): Promise<void> {
    const before = await stateChecksum(h.db);
    await work();
    assert.equal(await stateChecksum(h.db), before, 'rows changed');
  }

  function errorOf(r: { json<T>(): T }): { code: string; message: string } {
    return r.json<{ error: { code: string; message: string } }>().error;
  }

  it('unknown or malformed VM ids are 404', async () => {
    await unchanged(async () => {
      for (const path of ['/vms/999999', '/vms/abc', '/vms/0', '/vms/99999999999999', '/vms/1%20OR%201=1']) assert.equal((await alice.get(path)).status, 404, path);
      for (const path of ['/api/v1/vms/999999', '/api/v1/vms/-1', "/api/v1/vms/1'"]) {
        const r = await alice.get(path);
        assert.equal(r.status, 404, path);
        assert.equal(errorOf(r).code, 'NOT_FOUND');
      }
      assert.equal((await alice.request('POST', '/api/v1/vms/999999/power', { json: { action: 'start' } })).status, 404);
    });
  });

  it('a forged or missing CSRF token is refused with 403', async () => {
    await unchanged(async () => {
      const forged = await alice.request('POST', `/api/v1/vms/${vm}/power`, { json: { action: 'start' }, headers: { 'x-csrf-token': 'forged' }, csrf: false });
      assert.equal(forged.status, 403);
      assert.equal(errorOf(forged).code, 'CSRF');
      const missing = await alice.request('POST', `/api/v1/vms/${vm}/power`, { json: { action: 'start' }, csrf: false });
      assert.equal(missing.status, 403);
      const form = await alice.request('POST', `/vms/${vm}/power`, { form: { action: 'start', _csrf: 'x'.repeat(43) }, csrf: false });
      assert.equal(form.status, 403);
      assert.match(form.text, /expired or was sent from another site/);
      const adminForged = await admin.request('POST', '/admin/users', { form: { name: 'mallory', password: 'mallory password 1', _csrf: 'nope' }, csrf: false });
      assert.equal(adminForged.status, 403);
    });
  });

  it('oversized and malformed bodies get 413 and 400', async () => {
    await unchanged(async () => {
      const big = await alice.request('POST', `/api/v1/vms/${vm}/power`, { body: JSON.stringify({ action: 'start', pad: 'x'.repeat(100_000) }), headers: { 'content-type': 'application/json' } });
      assert.equal(big.status, 413);
      assert.equal(errorOf(big).code, 'PAYLOAD_TOO_LARGE');
      const bigForm = await admin.request('POST', '/admin/groups', { form: { name: 'g'.repeat(60_000) } });
      assert.equal(bigForm.status, 413);
      const broken = await alice.request('POST', `/api/v1/vms/${vm}/power`, { body: '{"action": "start"', headers: { 'content-type': 'application/json' } });
      assert.equal(broken.status, 400);
      assert.match(errorOf(broken).message, /not valid JSON/);
      const wrongType = await alice.request('POST', `/api/v1/vms/${vm}/power`, { json: { action: 42 } });
      assert.equal(wrongType.status, 400);
      const extra = await alice.request('POST', `/api/v1/vms/${vm}/power`, { json: { action: 'start', node: 'pve2' } });
      assert.equal(extra.status, 400);
      const arr = await alice.request('POST', `/api/v1/vms/${vm}/power`, { json: ['start'] });
      assert.equal(arr.status, 400);
    });
  });

  it('SQL-looking strings are data, never SQL', async () => {
    await unchanged(async () => {
      const sqlAction = await alice.request('POST', `/api/v1/vms/${vm}/power`, { json: { action: "start'; DROP TABLE job; --" } });
      assert.equal(sqlAction.status, 400);
      assert.match(errorOf(sqlAction).message, /Unknown action/);
      const login = new PortalClient(h.url);
      const r = await login.login("' OR '1'='1' -- ", "' OR '1'='1");
      assert.equal(r.status, 401);
      assert.match(r.text, /Wrong user name or password/);
      const grant = await admin.request('POST', `/api/v1/admin/vms/${vm}/grants`, { json: { type: 'user', name: "x' OR 1=1 --" } });
      assert.equal(grant.status, 404);
      assert.match(errorOf(grant).message, /no user named/i);
      const audit = await admin.get('/api/v1/admin/audit?before=1%20OR%201=1');
      assert.equal(audit.status, 400);
      const member = await admin.request('POST', '/admin/groups/members', { form: { group: "'; DELETE FROM guacamole_entity; --", member: 'alice', op: 'add' } });
      assert.equal(member.status, 404);
    });
  });

  it('a power action that makes no sense in the state is refused in plain words', async () => {
    await unchanged(async () => {
      const r = await alice.request('POST', `/api/v1/vms/${vm}/power`, { json: { action: 'reboot' } });
      assert.equal(r.status, 409);
      assert.equal(errorOf(r).message, 'This machine is not running.');
    });
  });
});
