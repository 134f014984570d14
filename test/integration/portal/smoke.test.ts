import assert from 'node:assert/strict';
import { startHarness, type Harness } from '../../helpers/portal/harness.js';
import { addVm, grantVm } from '../../helpers/portal/fixtures.js';
import { PortalClient } from '../../helpers/portal/browser.js';

describe('portal smoke', function () {
  this.timeout(60_000);
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => {
    await h?.stop();
  });

  it('logs in and lists the granted VM', async () => {
    const alice = await h.identities.createUser({ name: 'alice', password: 'correct horse battery' });
    const c = await h.clusters.add({ name: 'c1', apiUrl: 'https://127.0.0.1:1', tokenId: 'a@pve!t', tokenSecret: '00000000-0000-0000-0000-000000000000' });
    const vm = await addVm(h.db, { clusterId: c.id, vmid: 100, name: 'alpha' });
    await addVm(h.db, { clusterId: c.id, vmid: 101, name: 'beta' });
    await grantVm(h.db, vm, alice.entityId);
    const b = new PortalClient(h.url);
    const login = await b.login('alice', 'correct horse battery');
    assert.equal(login.status, 303, login.text);
    assert.equal(login.headers.get('location'), `/vms/${vm}`);
    const page = await b.get('/');
    assert.equal(page.status, 200);
    assert.match(page.text, /alpha/);
    assert.doesNotMatch(page.text, /beta/);
    const api = await b.get('/api/v1/vms');
    assert.deepEqual(api.json<{ vms: { name: string }[] }>().vms.map((v) => v.name), ['alpha']);
  });
});
