import assert from 'node:assert/strict';
import { PortalClient } from '../../helpers/portal/browser.js';
import { addVm, grantVm } from '../../helpers/portal/fixtures.js';
import { startHarness, type Harness } from '../../helpers/portal/harness.js';

const PASSWORD = 'caches password 123';

/**
 * The portal remembers sessions (5 s, write-through) and accounts (2 s) but never grants: a change through
 * the portal counts on the very next request, a change behind its back (SQL, CLI, stock Guacamole admin)
 * within the account cache's 2 s, and a revoked grant not even that long.
 */
describe('portal caches', function () {
  this.timeout(60_000);
  let h: Harness;
  let root: PortalClient;
  let carol: PortalClient;
  let carolId: number;
  let vm: number;

  before(async () => {
    h = await startHarness();
    await h.identities.createUser({ name: 'root', password: PASSWORD, admin: true });
    carolId = (await h.identities.createUser({ name: 'carol', password: PASSWORD })).entityId;
    const c = await h.clusters.add({ name: 'c1', apiUrl: 'https://127.0.0.1:1', tokenId: 'a@pve!t', tokenSecret: '00000000-0000-0000-0000-000000000000' });
    vm = await addVm(h.db, { clusterId: c.id, vmid: 100, name: 'carol-vm' });
    await grantVm(h.db, vm, carolId);
    root = new PortalClient(h.url);
    assert.equal((await root.login('root', PASSWORD)).status, 303);
    await root.refreshCsrf();
  });
  after(async () => {
    await h?.stop();
  });

  async function carolLogsIn(): Promise<void> {
    carol = new PortalClient(h.url);
    assert.equal((await carol.login('carol', PASSWORD)).status, 303);
  }

  it('a grant revoked behind the portal\'s back counts on the next request', async () => {
    await carolLogsIn();
    assert.equal((await carol.get('/api/v1/vms')).json<{ vms: unknown[] }>().vms.length, 1);
    await h.db.query('DELETE FROM guacamole_connection_permission WHERE entity_id = ?', [carolId]);
    assert.equal((await carol.get('/api/v1/vms')).json<{ vms: unknown[] }>().vms.length, 0);
    assert.equal((await carol.get(`/api/v1/vms/${vm}`)).status, 404);
    await grantVm(h.db, vm, carolId);
  });

  it('an administrator right given and taken through the portal counts on the next request', async () => {
    await carolLogsIn();
    assert.equal((await carol.get('/api/v1/admin/users')).status, 403);
    assert.equal((await root.post(`/admin/users/${carolId}/admin`, { admin: 'yes' })).status, 303);
    assert.equal((await carol.get('/api/v1/admin/users')).status, 200);
    assert.equal((await root.post(`/admin/users/${carolId}/admin`, { admin: 'no' })).status, 303);
    assert.equal((await carol.get('/api/v1/admin/users')).status, 403);
  });

  it('an account disabled through the portal is out on the next request', async () => {
    await carolLogsIn();
    assert.equal((await carol.get('/api/v1/vms')).status, 200);
    assert.equal((await root.post(`/admin/users/${carolId}/state`, { state: 'disabled' })).status, 303);
    assert.equal((await carol.get('/api/v1/vms')).status, 401);
    assert.equal((await root.post(`/admin/users/${carolId}/state`, { state: 'active' })).status, 303);
  });

  it('an account disabled behind the portal\'s back is out within 2 s', async () => {
    await carolLogsIn();
    assert.equal((await carol.get('/api/v1/vms')).status, 200);
    const disabledAt = Date.now();
    await h.db.query('UPDATE guacamole_user SET disabled = 1 WHERE entity_id = ?', [carolId]);
    let status = 200;
    while (status === 200 && Date.now() - disabledAt < 5000) {
      status = (await carol.get('/api/v1/vms')).status;
      if (status === 200) await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(status, 401);
    assert.ok(Date.now() - disabledAt <= 2500, `out after ${Date.now() - disabledAt} ms`);
    await h.db.query('UPDATE guacamole_user SET disabled = 0 WHERE entity_id = ?', [carolId]);
  });

  it('logout ends the session at once', async () => {
    await carolLogsIn();
    await carol.refreshCsrf();
    assert.equal((await carol.get('/api/v1/vms')).status, 200);
    assert.equal((await carol.post('/logout', {})).status, 303);
    assert.equal((await carol.get('/api/v1/vms')).status, 401);
  });
});
