import assert from 'node:assert/strict';
import { startHarness, type Harness } from '../../helpers/portal/harness.js';
import { addVm, grantVm, stateChecksum } from '../../helpers/portal/fixtures.js';
import { PortalClient } from '../../helpers/portal/browser.js';

const PASSWORD = 'my machines password 1';

/** The cards of "my machines" (article.vm), by VM id. */
function cards(page: string): Map<number, string> {
  const out = new Map<number, string>();
  for (const m of page.matchAll(/<article class="vm" data-vm-id="(\d+)"[\s\S]*?<\/article>/g)) out.set(Number(m[1]), m[0]);
  return out;
}

/** The list's one form: its CSRF fields and the action buttons inside it. */
function powerForm(page: string): { csrf: string[]; buttons: { formaction: string; action: string; confirm: boolean }[] } {
  const form = /<form method="post" class="power">([\s\S]*?)<\/form>/.exec(page);
  assert.ok(form, 'the list has its form');
  return {
    csrf: [...form[1]!.matchAll(/<input type="hidden" name="_csrf" value="([^"]+)">/g)].map((m) => m[1]!),
    buttons: [...form[1]!.matchAll(/<button formaction="([^"]+)" name="action" value="([^"]+)" class="(?:danger|primary)"( data-confirm="yes")?>/g)].map((m) => ({
      formaction: m[1]!,
      action: m[2]!,
      confirm: m[3] !== undefined,
    })),
  };
}

/**
 * "My machines" as HTML: one CSRF-protected form for the whole list whose buttons post without JavaScript to
 * their own VM, cards the same for every user and drawn once, yet never stale, and names always escaped.
 */
describe('portal: my machines page', function () {
  this.timeout(60_000);
  let h: Harness;
  let alice: PortalClient;
  let bob: PortalClient;
  let running: number;
  let stopped: number;
  let evil: number;

  before(async () => {
    h = await startHarness();
    const a = await h.identities.createUser({ name: 'alice', password: PASSWORD });
    const b = await h.identities.createUser({ name: 'bob', password: PASSWORD });
    const c = await h.clusters.add({ name: 'c1', apiUrl: 'https://127.0.0.1:1', tokenId: 'a@pve!t', tokenSecret: '00000000-0000-0000-0000-000000000000' });
    running = await addVm(h.db, { clusterId: c.id, vmid: 100, name: 'alpha', status: 'running' });
    stopped = await addVm(h.db, { clusterId: c.id, vmid: 101, name: 'beta', status: 'stopped' });
    evil = await addVm(h.db, { clusterId: c.id, vmid: 102, name: '<script>alert("x")</script>', status: 'stopped' });
    for (const vm of [running, stopped, evil]) {
      await grantVm(h.db, vm, a.entityId);
      await grantVm(h.db, vm, b.entityId);
    }
    alice = new PortalClient(h.url);
    bob = new PortalClient(h.url);
    assert.equal((await alice.login('alice', PASSWORD)).status, 303);
    assert.equal((await bob.login('bob', PASSWORD)).status, 303);
  });
  after(async () => {
    await h?.stop();
  });

  it('has one CSRF field for the whole list, and each button names its own VM and action', async () => {
    const page = (await alice.get('/')).text;
    const form = powerForm(page);
    assert.deepEqual(form.csrf, [alice.csrf], 'the session token, once');
    assert.equal(cards(page).size, 3);
    for (const card of cards(page).values()) assert.doesNotMatch(card, /_csrf/, 'no card carries a token');
    const of = (vm: number) => form.buttons.filter((b) => b.formaction === `/vms/${vm}/power`).map((b) => `${b.action}${b.confirm ? '?' : ''}`);
    assert.deepEqual(of(running), ['shutdown?', 'stop?', 'reboot?', 'reset?', 'suspend']);
    assert.deepEqual(of(stopped), ['start']);
    assert.equal(form.buttons.length, 7);
  });

  it('a button posts as a browser without JavaScript would: the form\'s token, the button\'s action, to its VM', async () => {
    const page = (await alice.get('/')).text;
    const form = powerForm(page);
    const start = form.buttons.find((b) => b.formaction === `/vms/${stopped}/power` && b.action === 'start')!;
    const done = await alice.request('POST', start.formaction, { form: { _csrf: form.csrf[0]!, action: start.action }, csrf: false });
    assert.equal(done.status, 303, done.text);
    assert.equal(done.headers.get('location'), `/vms/${stopped}`);
    const jobs = (await h.db.query("SELECT vm_id AS vmId, JSON_UNQUOTE(JSON_EXTRACT(args, '$.action')) AS action FROM job WHERE kind = 'power'")) as { vmId: number; action: string }[];
    assert.deepEqual(jobs.map((j) => ({ ...j })), [{ vmId: stopped, action: 'start' }]);

    const reboot = form.buttons.find((b) => b.formaction === `/vms/${running}/power` && b.action === 'reboot')!;
    assert.ok(reboot.confirm);
    const asked = await alice.request('POST', reboot.formaction, { form: { _csrf: form.csrf[0]!, action: reboot.action }, csrf: false });
    assert.equal(asked.status, 200);
    assert.match(asked.text, /Reboot: alpha\?/, 'a destructive action asks first');

    const before = await stateChecksum(h.db);
    const other = await bob.request('POST', start.formaction, { form: { _csrf: form.csrf[0]!, action: 'start' }, csrf: false });
    assert.equal(other.status, 403, "another session's token is refused");
    assert.equal(await stateChecksum(h.db), before);
    await h.db.query('DELETE FROM job');
  });

  it('the same card for every user, with only the page around it per session', async () => {
    const mine = cards((await alice.get('/')).text);
    const theirs = cards((await bob.get('/')).text);
    assert.deepEqual([...theirs], [...mine]);
    assert.notEqual(alice.csrf, bob.csrf);
  });

  it('never serves a stale card: name, state, job and ways in show on the next view', async () => {
    await alice.get('/');
    await h.db.query("UPDATE vm SET name = 'alpha-renamed' WHERE id = ?", [running]);
    await h.db.query("UPDATE vm SET status = 'running', qmpstatus = 'running' WHERE id = ?", [stopped]);
    let page = cards((await alice.get('/')).text);
    assert.match(page.get(running)!, />alpha-renamed</);
    assert.match(page.get(stopped)!, /data-state="running"/);
    assert.match(page.get(stopped)!, /value="shutdown"/);
    assert.match(page.get(stopped)!, /href="\/vms\/\d+\/console" data-field="console"/);

    const job = (await h.jobs.enqueue({ kind: 'power', args: { action: 'reboot' }, vmId: running, actor: 'alice', actorEntityId: null })).job.id;
    page = cards((await alice.get('/')).text);
    assert.match(page.get(running)!, /reboot: waiting…/);
    await h.db.query("UPDATE job SET state = 'running' WHERE id = ?", [job]);
    assert.match(cards((await alice.get('/')).text).get(running)!, /reboot: in progress…/);
    await h.db.query("UPDATE job SET state = 'succeeded' WHERE id = ?", [job]);
    assert.match(cards((await alice.get('/')).text).get(running)!, /<span class="job" data-field="job"><\/span>/, 'no job line once it is done');

    // an ssh way in granted to alice only: her card shows it, bob's does not
    const conn = (await h.db.query("INSERT INTO guacamole_connection (connection_name, protocol) VALUES ('alpha ssh', 'ssh')")) as { insertId: number };
    await h.db.query("INSERT INTO guacamole_connection_attribute VALUES (?, 'earcandle-vm-id', ?), (?, 'earcandle-kind', 'ssh')", [conn.insertId, String(running), conn.insertId]);
    const aliceId = ((await h.db.query("SELECT entity_id AS id FROM guacamole_entity WHERE name = 'alice'")) as { id: number }[])[0]!.id;
    await h.db.query("INSERT INTO guacamole_connection_permission VALUES (?, ?, 'READ')", [aliceId, conn.insertId]);
    for (let i = 0; i < 2; i += 1) {
      assert.match(cards((await alice.get('/')).text).get(running)!, /a class="button" href="\/vms\/\d+\/console\?via=ssh" data-way="ssh"/);
      assert.doesNotMatch(cards((await bob.get('/')).text).get(running)!, /data-way/);
    }
  });

  it('escapes a name on the first view and on every cached one after', async () => {
    for (let i = 0; i < 2; i += 1) {
      const card = cards((await alice.get('/')).text).get(evil)!;
      assert.doesNotMatch(card, /<script>/);
      assert.match(card, /&lt;script&gt;alert\(&quot;x&quot;\)&lt;\/script&gt;/);
    }
    await h.db.query('UPDATE vm SET name = ? WHERE id = ?', ['<img src=x onerror=alert(1)>', evil]);
    const card = cards((await alice.get('/')).text).get(evil)!;
    assert.doesNotMatch(card, /<img/);
    assert.match(card, /&lt;img src=x onerror=alert\(1\)&gt;/);
  });
});
