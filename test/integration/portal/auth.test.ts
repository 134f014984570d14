import assert from 'node:assert/strict';
import { createSmtpMailer } from '../../../src/portal/mailer.js';
import { PortalClient } from '../../helpers/portal/browser.js';
import { startHarness, type Harness } from '../../helpers/portal/harness.js';
import { SmtpSink, linkIn } from '../../helpers/portal/smtp-sink.js';

const PASSWORD = 'auth test password 1';

describe('portal authentication', function () {
  this.timeout(60_000);
  let h: Harness;
  let sink: SmtpSink;

  before(async () => {
    sink = new SmtpSink();
    await sink.start();
    h = await startHarness({
      env: { EARCANDLE_REGISTRATION_ENABLED: 'true', EARCANDLE_REGISTRATION_REQUIRE_APPROVAL: 'true' },
      mailer: createSmtpMailer(sink.url, 'EarCandle <gw@localhost>'),
      auth: { maxFailures: 3, lockMinutes: 15, ipLimit: 25 },
      publicUrl: 'http://portal.test',
    });
    await h.identities.createUser({ name: 'alice', password: PASSWORD, email: 'alice@example.test' });
    await h.identities.createUser({ name: 'root', password: PASSWORD, admin: true });
  });
  after(async () => {
    await h?.stop();
    await sink?.stop();
  });

  const audit = async (action: string): Promise<{ actor: string; result: string }[]> =>
    (await h.db.query('SELECT actor, result FROM audit_log WHERE action = ? ORDER BY id', [action])) as { actor: string; result: string }[];

  it('regenerates the session at login, sets safe cookie flags, and logs out', async () => {
    const b = new PortalClient(h.url);
    const form = await b.get('/login');
    const anonCookie = form.headers.getSetCookie()[0] ?? '';
    assert.match(anonCookie, /earcandle\.sid=/);
    assert.match(anonCookie, /HttpOnly/);
    assert.match(anonCookie, /SameSite=Lax/);
    const before = b.cookieHeader;
    const login = await b.post('/login', { name: 'alice', password: PASSWORD });
    assert.equal(login.status, 303);
    assert.notEqual(b.cookieHeader, before, 'a new session id after login');
    assert.equal((await b.get('/')).status, 200);
    const csp = (await b.get('/')).headers.get('content-security-policy') ?? '';
    assert.match(csp, /connect-src 'self'/);
    assert.match(csp, /img-src 'self' data: blob:/);
    assert.match(csp, /frame-ancestors 'none'/);
    await b.refreshCsrf();
    assert.equal((await b.post('/logout', {})).status, 303);
    const after = await b.get('/');
    assert.equal(after.status, 303);
    assert.match(after.headers.get('location') ?? '', /^\/login/);
    assert.deepEqual((await audit('login')).at(-1), { actor: 'alice', result: 'success' });
  });

  it("refuses an account outside Guacamole's valid_from / valid_until, like a disabled one", async () => {
    await h.identities.createUser({ name: 'vera', password: PASSWORD });
    const b = new PortalClient(h.url);
    await h.db.query("UPDATE guacamole_user u JOIN guacamole_entity e USING (entity_id) SET u.valid_until = CURDATE() - INTERVAL 1 DAY WHERE e.name = 'vera'");
    const expired = await b.login('vera', PASSWORD);
    assert.notEqual(expired.status, 303);
    assert.match(expired.text, /This account is disabled/);
    await h.db.query("UPDATE guacamole_user u JOIN guacamole_entity e USING (entity_id) SET u.valid_until = NULL, u.valid_from = CURDATE() + INTERVAL 1 DAY WHERE e.name = 'vera'");
    assert.match((await b.login('vera', PASSWORD)).text, /This account is disabled/);
    await h.db.query("UPDATE guacamole_user u JOIN guacamole_entity e USING (entity_id) SET u.valid_from = CURDATE() WHERE e.name = 'vera'");
    assert.equal((await b.login('vera', PASSWORD)).status, 303);
  });

  it('locks an account after repeated failures, with a plain message, even for the right password', async () => {
    await h.identities.createUser({ name: 'dave', password: PASSWORD });
    const b = new PortalClient(h.url);
    for (let i = 0; i < 2; i += 1) {
      const r = await b.login('dave', 'wrong password 123');
      assert.equal(r.status, 401);
      assert.match(r.text, /Wrong user name or password/);
    }
    const third = await b.login('dave', 'wrong password 123');
    assert.equal(third.status, 429);
    assert.match(third.text, /locked for 15 minutes/);
    const right = await b.login('dave', PASSWORD);
    assert.equal(right.status, 429);
    assert.match(right.text, /locked/);
    const rows = (await h.db.query("SELECT locked_until AS lockedUntil FROM portal_account a JOIN guacamole_entity e ON e.entity_id = a.entity_id WHERE e.name = 'dave'")) as { lockedUntil: Date }[];
    assert.ok(rows[0]!.lockedUntil > new Date());
    assert.ok((await audit('lockout')).some((r) => r.actor === 'dave'));
  });

  it('self-registration: mail link, admin approval, then login', async () => {
    const b = new PortalClient(h.url);
    await b.get('/register');
    const weak = await b.post('/register', { name: 'erin', email: 'erin@example.test', password: 'short', password2: 'short' });
    assert.equal(weak.status, 400);
    assert.match(weak.text, /at least 10 characters/);
    const r = await b.post('/register', { name: 'erin', email: 'erin@example.test', password: PASSWORD, password2: PASSWORD });
    assert.equal(r.status, 200, r.text);
    const mail = await sink.next('erin@example.test');
    const link = linkIn(mail.text);
    assert.equal(link.origin, 'http://portal.test');
    assert.equal(link.pathname, '/verify-email');
    const token = link.searchParams.get('token')!;
    const stored = (await h.db.query('SELECT HEX(token_hash) AS h FROM account_token')) as { h: string }[];
    assert.ok(stored.every((s) => !s.h.includes(Buffer.from(token).toString('hex').toUpperCase())), 'only the hash is stored');

    assert.equal((await b.login('erin', PASSWORD)).status, 403, 'not before the address is confirmed');
    const verify = await b.get(`/verify-email?token=${encodeURIComponent(token)}`);
    assert.equal(verify.status, 200);
    assert.match(verify.text, /administrator will approve/);
    assert.equal((await b.get(`/verify-email?token=${encodeURIComponent(token)}`)).status, 400, 'single use');
    const pending = await b.login('erin', PASSWORD);
    assert.equal(pending.status, 403);
    assert.match(pending.text, /waiting for an administrator/);

    const admin = new PortalClient(h.url);
    await admin.login('root', PASSWORD);
    await admin.get('/admin/users');
    const erin = (await h.db.query("SELECT entity_id AS id FROM guacamole_entity WHERE name = 'erin'")) as { id: number }[];
    assert.equal((await admin.post(`/admin/users/${erin[0]!.id}/state`, { state: 'active' })).status, 303);
    assert.equal((await b.login('erin', PASSWORD)).status, 303);
    assert.ok((await audit('user.approve')).some((x) => x.actor === 'root'));
  });

  it('password reset by mail: single use, policy enforced, no account enumeration', async () => {
    const b = new PortalClient(h.url);
    await b.get('/forgot-password');
    const unknown = await b.post('/forgot-password', { email: 'nobody@example.test' });
    const known = await b.post('/forgot-password', { email: 'alice@example.test' });
    assert.equal(unknown.status, 200);
    assert.equal(known.status, 200);
    assert.equal(unknown.text.replace(/content="[^"]+"|value="[^"]+"/g, ''), known.text.replace(/content="[^"]+"|value="[^"]+"/g, ''));
    const link = linkIn((await sink.next('alice@example.test')).text);
    const token = link.searchParams.get('token')!;
    assert.equal((await b.get(`/reset-password?token=${encodeURIComponent(token)}`)).status, 200);
    const bad = await b.post('/reset-password', { token, password: 'alicealice1', password2: 'alicealice1' });
    assert.equal(bad.status, 400);
    const NEW = 'a brand new secret 42';
    assert.equal((await b.post('/reset-password', { token, password: NEW, password2: NEW })).status, 200);
    assert.equal((await b.post('/reset-password', { token, password: NEW, password2: NEW })).status, 400, 'single use');
    assert.equal((await b.login('alice', NEW)).status, 303);
  });

  it('rate-limits login attempts per client address', async () => {
    const b = new PortalClient(h.url);
    let limited = 0;
    for (let i = 0; i < 30; i += 1) {
      const r = await b.login(`ghost${i}`, 'whatever password');
      if (r.status === 429) {
        limited += 1;
        assert.match(r.text, /Too many login attempts from your address/);
        assert.ok(Number(r.headers.get('retry-after')) > 0);
      }
    }
    assert.ok(limited > 0);
  });
});
