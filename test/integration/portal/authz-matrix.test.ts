import assert from 'node:assert/strict';
import { routesOf } from '../../../src/portal/app.js';
import type { RouteSpec } from '../../../src/portal/route-table.js';
import { PortalClient } from '../../helpers/portal/browser.js';
import { addVm, grantVm, stateChecksum } from '../../helpers/portal/fixtures.js';
import { startHarness, type Harness } from '../../helpers/portal/harness.js';

type Persona = 'anonymous' | 'user' | 'other' | 'admin';
const PASSWORD = 'matrix password 123';

/**
 * Every route the app serves (from its route table, checked against express's own router) × four personas:
 * nobody reads or acts on a VM not granted to them, non-admins never reach admin routes, and a denied
 * request changes no row.
 */
describe('portal authorization matrix', function () {
  this.timeout(120_000);
  let h: Harness;
  let routes: readonly RouteSpec[];
  const clients = new Map<Persona, PortalClient>();
  let vmAlice: number;
  let jobAlice: number;
  let aliceId: number;

  before(async () => {
    h = await startHarness();
    routes = routesOf(h.server.app);
    const alice = await h.identities.createUser({ name: 'alice', password: PASSWORD });
    const bob = await h.identities.createUser({ name: 'bob', password: PASSWORD });
    await h.identities.createUser({ name: 'root', password: PASSWORD, admin: true });
    aliceId = alice.entityId;
    const c = await h.clusters.add({ name: 'c1', apiUrl: 'https://127.0.0.1:1', tokenId: 'a@pve!t', tokenSecret: '00000000-0000-0000-0000-000000000000' });
    vmAlice = await addVm(h.db, { clusterId: c.id, vmid: 100, name: 'alice-vm' });
    const vmBob = await addVm(h.db, { clusterId: c.id, vmid: 101, name: 'bob-vm' });
    // Alice's grant comes through a group, Bob's directly.
    await h.identities.createGroup('team');
    await h.identities.addGroupMember('team', 'alice');
    await grantVm(h.db, vmAlice, (await h.db.query("SELECT entity_id AS id FROM guacamole_entity WHERE name = 'team' AND type = 'USER_GROUP'"))[0].id as number);
    await grantVm(h.db, vmBob, bob.entityId);
    jobAlice = (await h.jobs.enqueue({ kind: 'power', args: { action: 'start' }, vmId: vmAlice, actor: 'alice', actorEntityId: alice.entityId })).job.id;
    await h.db.query("UPDATE job SET state = 'succeeded' WHERE id = ?", [jobAlice]);

    const anon = new PortalClient(h.url);
    await anon.get('/login');
    clients.set('anonymous', anon);
    for (const [persona, name] of [['user', 'alice'], ['other', 'bob'], ['admin', 'root']] as const) {
      const c = new PortalClient(h.url);
      const r = await c.login(name, PASSWORD);
      assert.equal(r.status, 303, `${name} logs in`);
      await c.refreshCsrf();
      clients.set(persona, c);
    }
  });
  after(async () => {
    await h?.stop();
  });

  it('the route table is exactly what express serves', () => {
    const stack = (h.server.app as unknown as { router: { stack: { route?: { path: string; methods: Record<string, boolean> } }[] } }).router.stack;
    const served = stack.filter((l) => l.route).flatMap((l) => Object.keys(l.route!.methods).map((m) => `${m} ${l.route!.path}`));
    assert.deepEqual(served.sort(), routes.map((r) => `${r.method} ${r.path}`).sort());
    assert.ok(routes.length >= 40, `${routes.length} routes`);
  });

  it('the OpenAPI document describes every /api/v1 route the app serves', async () => {
    const doc = (await clients.get('anonymous')!.get('/api/v1/openapi.json')).json<{ paths: Record<string, Record<string, unknown>> }>();
    const documented = Object.entries(doc.paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m} ${p}`));
    const api = routes.filter((r) => r.path.startsWith('/api/v1/')).map((r) => `${r.method} ${r.path.replace(/:(\w+)/g, '{$1}')}`);
    assert.deepEqual(documented.sort(), api.sort());
  });

  it('every route × every persona gets what its access allows, and denials change nothing', async () => {
    const failures: string[] = [];
    let checked = 0;
    for (const route of routes) {
      const path = route.path.replace(':id', String(route.path.startsWith('/api/v1/jobs') ? jobAlice : route.path.startsWith('/admin/users') ? aliceId : vmAlice));
      for (const persona of ['anonymous', 'user', 'other', 'admin'] as Persona[]) {
        if (route.path === '/logout' && route.method === 'post') continue; // would end the persona's session
        if (route.path === '/login' && route.method === 'post') continue; // covered by the auth tests
        const expected = expectation(route, persona);
        const before = expected === 'allowed' ? '' : await stateChecksum(h.db);
        const status = await call(clients.get(persona)!, route, path);
        checked += 1;
        const ok = verdict(route, expected, status);
        if (!ok) failures.push(`${route.method.toUpperCase()} ${path} as ${persona}: got ${status}, expected ${expected}`);
        if (expected !== 'allowed') {
          const after = await stateChecksum(h.db);
          if (after !== before) failures.push(`${route.method.toUpperCase()} ${path} as ${persona}: rows changed although denied`);
        }
      }
    }
    assert.deepEqual(failures, []);
    assert.ok(checked > 150);
  });

  it('the other user cannot act on the VM even with a valid body', async () => {
    const bob = clients.get('other')!;
    const before = await stateChecksum(h.db);
    const r = await bob.request('POST', `/api/v1/vms/${vmAlice}/power`, { json: { action: 'start' } });
    assert.equal(r.status, 404);
    assert.equal(await stateChecksum(h.db), before);
    const page = await bob.post(`/vms/${vmAlice}/power`, { action: 'start' });
    assert.equal(page.status, 404);
    assert.equal(await stateChecksum(h.db), before);
  });

  it('a disabled group contributes nothing', async () => {
    const alice = clients.get('user')!;
    assert.equal((await alice.get(`/api/v1/vms/${vmAlice}`)).status, 200);
    await h.db.query("UPDATE guacamole_user_group g JOIN guacamole_entity e ON e.entity_id = g.entity_id SET g.disabled = 1 WHERE e.name = 'team'");
    assert.equal((await alice.get(`/api/v1/vms/${vmAlice}`)).status, 404);
    assert.deepEqual((await alice.get('/api/v1/vms')).json<{ vms: unknown[] }>().vms, []);
    await h.db.query("UPDATE guacamole_user_group g JOIN guacamole_entity e ON e.entity_id = g.entity_id SET g.disabled = 0 WHERE e.name = 'team'");
  });

  type Expected = 'allowed' | 'login' | 'forbidden' | 'hidden';

  function expectation(route: RouteSpec, persona: Persona): Expected {
    if (route.access === 'public') return 'allowed';
    if (persona === 'anonymous') return 'login';
    if (route.access === 'admin') return persona === 'admin' ? 'allowed' : 'forbidden';
    const owned = route.access === 'vm' || route.path.includes(':id');
    if (owned && persona === 'other') return 'hidden';
    return 'allowed';
  }

  function verdict(route: RouteSpec, expected: Expected, status: number): boolean {
    switch (expected) {
      case 'allowed':
        // public routes may answer 404 (registration closed) or 503 (/healthz with guacd down); never 401/403
        if (route.access === 'public') return ![401, 403].includes(status) && (status < 500 || status === 503);
        return status < 500 && ![401, 403, 404].includes(status);
      case 'login':
        return route.api ? status === 401 : status === 303;
      case 'forbidden':
        return status === 403;
      case 'hidden':
        return status === 404;
    }
  }

  async function call(client: PortalClient, route: RouteSpec, path: string): Promise<number> {
    if (route.stream) {
      const ac = new AbortController();
      const res = await fetch(h.url + path, { headers: { cookie: client.cookieHeader, accept: 'text/event-stream' }, redirect: 'manual', signal: ac.signal });
      ac.abort();
      return res.status;
    }
    if (route.method === 'get') return (await client.get(path)).status;
    return (await client.request(route.method.toUpperCase(), path, route.api ? { json: {} } : { form: {} })).status;
  }
});
