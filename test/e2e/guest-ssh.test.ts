/**
 * SSH into a VM's guest address through the PORTAL in headless Chromium: sync builds the ssh connection
 * (tag `ssh`, `ssh-port-<n>`), the user logs in to the portal, opens "SSH" on My machines, types the guest
 * login into the console page's form, runs a command (terminal model and canvas pixels), resizes the window
 * (remote `stty size` follows); the first-use host key lands in ssh_host_key with an audit row; a wrong
 * password, a changed host key and an unreachable guest give plain messages; an administrator forgets the
 * key; the guest password is in no table and no log line.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:net';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { GuacTerminal } from '../../guacamole/index.js';
import { startGuestFixture, type GuestFixture } from '../helpers/guest/fixture.js';
import { PortalClient } from '../helpers/portal/browser.js';
import { until } from '../helpers/until.js';

const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];
const WRONG_PASSWORD = 'Wrong-pw-7c1e0d9a';

function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

describe('guest SSH end to end: portal, console page login form, tunnel, built-in guacd, real sshd at the guest address', function () {
  this.timeout(120_000);
  let fx: GuestFixture;
  let browser: Browser;

  before(async () => {
    execFileSync(process.execPath, ['web/build.mjs'], { stdio: 'inherit' });
    fx = await startGuestFixture();
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS });
  });
  after(async () => {
    await browser?.close();
    await fx?.stop();
  });

  async function login(): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1000, height: 700 } });
    const page = await context.newPage();
    await page.goto(`${fx.base}/login`);
    await page.fill('input[name="name"]', fx.user.name);
    await page.fill('input[name="password"]', fx.user.password);
    await Promise.all([page.waitForNavigation(), page.click('form button[type="submit"], form input[type="submit"], form button:not([type])')]);
    return page;
  }

  /** My machines → SSH → the login form, filled and sent. */
  async function openSsh(page: Page, password: string): Promise<void> {
    await page.goto(`${fx.base}/`);
    await page.click(`article[data-vm-id="${fx.vmId}"] a[data-way="ssh"]`);
    await page.waitForURL(`**/vms/${fx.vmId}/console?via=ssh`);
    await page.fill('#console-username', fx.sshd.user);
    await page.fill('#console-password', password);
    await page.click('#console-login-submit');
  }

  async function messageOf(page: Page): Promise<{ kind: string; text: string }> {
    await page.waitForSelector('#console-message:not([hidden])', { timeout: 20_000 });
    return page.evaluate(() => {
      const m = document.getElementById('console-message')!;
      return { kind: m.dataset.kind ?? '', text: m.querySelector('p')?.textContent ?? '' };
    });
  }

  it('sync makes no SSH way while the agent offers only loopback, and one at the known address with the tag port', async () => {
    assert.equal(fx.beforeAddress.ipv4, null);
    assert.deepEqual(fx.beforeAddress.kinds, ['console']);
    const params = (await fx.db.query(
      `SELECT p.parameter_name AS name, p.parameter_value AS value FROM guacamole_connection_parameter p
         JOIN guacamole_connection_attribute k ON k.connection_id = p.connection_id AND k.attribute_name = 'earcandle-kind' AND k.attribute_value = 'ssh'`,
    )) as { name: string; value: string }[];
    assert.deepEqual(Object.fromEntries(params.map((p) => [p.name, p.value])), { hostname: '127.0.0.1', port: String(fx.sshd.port) });
  });

  let term: GuacTerminal;

  it('logs in through the form, runs a command whose output is in the model and on the canvas, and records the key on first use', async () => {
    const page = await login();
    const card = page.locator(`article[data-vm-id="${fx.vmId}"]`);
    assert.equal(await card.locator('a[data-way="ssh"]').textContent(), 'SSH');
    assert.equal(await card.locator('a[data-field="console"]').textContent(), 'Screen');
    await openSsh(page, fx.sshd.password);
    term = await until(() => fx.terminals.at(-1), 'the terminal');
    await until(() => term.text().some((l) => /\$\s*$/.test(l)), 'the prompt');
    await page.waitForFunction(() => (window as unknown as { earcandleConsole: { state: string } }).earcandleConsole.state === 'connected');
    await page.keyboard.type('echo hello-$((1000+234))');
    await page.keyboard.press('Enter');
    const row = await until(() => {
      const i = term.text().indexOf('hello-1234');
      return i >= 0 ? i : undefined;
    }, 'the output in the terminal model');

    const { cellWidth: cw, cellHeight: ch } = term.font;
    const w = 10 * cw;
    const expected = (): number[] => {
      const s = term.display.surface;
      const out: number[] = [];
      for (let y = row * ch; y < (row + 1) * ch; y++) out.push(...s.data.subarray(y * s.width * 4, (y * s.width + w) * 4));
      return out;
    };
    const grab = (): Promise<number[]> =>
      page.evaluate(
        ([y, width, height]) => {
          const c = document.querySelector<HTMLCanvasElement>('.console-display canvas')!;
          return Array.from(c.getContext('2d')!.getImageData(0, y!, width!, height!).data);
        },
        [row * ch, w, ch],
      );
    const shown = await until(async () => {
      const px = await grab();
      return px.join() === expected().join() ? px : undefined;
    }, 'the canvas row to equal the daemon picture', 15_000).catch(async () => grab());
    assert.deepEqual(shown, expected(), 'the canvas row equals the daemon picture');
    assert.ok(new Set(shown).size > 2, 'the row has text, not just background');

    // First use: the key is recorded with its fingerprint and who accepted it, and audited.
    const keys = (await fx.db.query('SELECT vm_id AS vmId, hostname, port, algorithm, key_blob AS keyBlob, fingerprint, accepted_by AS acceptedBy FROM ssh_host_key')) as Record<string, unknown>[];
    assert.deepEqual(keys, [{ vmId: fx.vmId, hostname: '127.0.0.1', port: fx.sshd.port, algorithm: 'ssh-ed25519', keyBlob: fx.sshd.hostKey, fingerprint: fx.sshd.hostKeyFingerprint, acceptedBy: fx.user.name }]);
    const audit = (await fx.db.query("SELECT actor, result, detail FROM audit_log WHERE action = 'ssh.host-key.trust'")) as { actor: string; result: string; detail: string }[];
    assert.equal(audit.length, 1);
    assert.equal(audit[0]!.actor, fx.user.name);
    assert.ok(audit[0]!.detail.includes(fx.sshd.hostKeyFingerprint), audit[0]!.detail);
    assert.equal(fx.hostKeys.pending(), 0);

    // The window shrinks: the terminal follows and the remote side sees the new size.
    const before = { cols: term.cols, rows: term.rows };
    await page.setViewportSize({ width: 700, height: 450 });
    await until(() => term.cols !== before.cols && term.rows !== before.rows, 'the terminal to follow the window');
    const box = await page.evaluate(() => document.querySelector('[data-console="screen"]')!.getBoundingClientRect().width);
    assert.ok(term.cols * cw <= box && (term.cols + 1) * cw > box - cw, `cols ${term.cols} × ${cw} px fit the ${box} px box`);
    await page.keyboard.type('stty size');
    await page.keyboard.press('Enter');
    await until(() => term.text().some((l) => l.trim() === `${term.rows} ${term.cols}`), `stty size = ${term.rows} ${term.cols}`);
    await page.context().close();
  });

  it('a wrong password brings the form back with a plain message', async () => {
    const page = await login();
    await openSsh(page, WRONG_PASSWORD);
    await page.waitForSelector('#console-login-error:not([hidden])', { timeout: 20_000 });
    assert.equal(await page.textContent('#console-login-error'), 'The machine did not accept that user name and password (or key).');
    assert.equal(await page.inputValue('#console-password'), '', 'the password is forgotten');
    assert.ok(await page.isVisible('#console-login'));
    await page.context().close();
  });

  it('a changed host key is refused with the date it was first seen; an administrator forgets it, and the next login records the new one', async () => {
    const [{ firstSeen }] = (await fx.db.query('SELECT first_seen AS firstSeen FROM ssh_host_key')) as { firstSeen: Date }[];
    // The guest "was reinstalled": what was recorded is no longer what the server presents.
    await fx.db.query('UPDATE ssh_host_key SET key_blob = ?', [fx.sshd.otherHostKey]);
    const page = await login();
    await openSsh(page, fx.sshd.password);
    const m = await messageOf(page);
    assert.equal(m.kind, 'hostKeyChanged');
    assert.equal(m.text, `The machine's SSH key has changed since ${firstSeen.toISOString().slice(0, 10)} — ask an administrator.`);
    assert.equal(await page.isVisible('#console-reconnect'), false);

    const adminClient = new PortalClient(fx.base);
    await adminClient.login(fx.admin.name, fx.admin.password);
    const adminPage = await adminClient.get(`/admin/vms/${fx.vmId}`);
    assert.match(adminPage.text, /Forget the SSH key/);
    assert.ok(adminPage.text.includes(fx.sshd.hostKeyFingerprint), 'the page shows the recorded fingerprint');
    await adminClient.refreshCsrf();
    const forgot = await adminClient.request('DELETE', `/api/v1/admin/vms/${fx.vmId}/ssh-host-keys`);
    assert.equal(forgot.status, 200, forgot.text);
    assert.deepEqual(forgot.json(), { forgotten: 1 });
    assert.deepEqual(await fx.db.query('SELECT id FROM ssh_host_key'), []);
    const audit = (await fx.db.query("SELECT actor FROM audit_log WHERE action = 'ssh.host-key.forget'")) as { actor: string }[];
    assert.deepEqual(audit, [{ actor: fx.admin.name }]);

    const count = fx.terminals.length;
    await openSsh(page, fx.sshd.password);
    const t = await until(() => fx.terminals.length > count && fx.terminals.at(-1), 'a new terminal');
    await until(() => t.text().some((l) => /\$\s*$/.test(l)), 'the prompt');
    const rows = (await fx.db.query('SELECT fingerprint FROM ssh_host_key')) as { fingerprint: string }[];
    assert.deepEqual(rows, [{ fingerprint: fx.sshd.hostKeyFingerprint }]);
    await page.context().close();
  });

  it('an unreachable guest gives a plain message', async () => {
    const port = await closedPort();
    await fx.db.query(
      `UPDATE guacamole_connection_parameter p JOIN guacamole_connection_attribute k ON k.connection_id = p.connection_id AND k.attribute_name = 'earcandle-kind' AND k.attribute_value = 'ssh'
          SET p.parameter_value = ? WHERE p.parameter_name = 'port'`,
      [String(port)],
    );
    const page = await login();
    await openSsh(page, fx.sshd.password);
    const m = await messageOf(page);
    assert.equal(m.kind, 'guestUnreachable');
    assert.equal(m.text, 'The machine did not answer on its SSH port. Is it up, and is the service running?');
    // The session ends when the tunnel sees the socket close: the first-use expectation goes with it.
    await until(() => fx.hostKeys.pending() === 0, 'the first-use expectation to be released');
    await page.context().close();
    await fx.sync(); // sync puts the tag's port back
  });

  it('the guest passwords are in no table and in no log line', async () => {
    const columns = (await fx.db.query(
      `SELECT table_name AS t, column_name AS c FROM information_schema.columns
        WHERE table_schema = DATABASE() AND data_type IN ('char', 'varchar', 'text', 'tinytext', 'mediumtext', 'longtext', 'binary', 'varbinary', 'blob', 'tinyblob', 'mediumblob', 'longblob', 'json')`,
    )) as { t: string; c: string }[];
    assert.ok(columns.length > 50, `${columns.length} text columns`);
    for (const secret of [fx.sshd.password, WRONG_PASSWORD]) {
      for (const { t, c } of columns) {
        const [row] = (await fx.db.query(`SELECT COUNT(*) AS n FROM \`${t}\` WHERE INSTR(CAST(\`${c}\` AS BINARY), CAST(? AS BINARY)) > 0`, [secret])) as { n: number | string }[];
        assert.equal(Number(row!.n), 0, `${t}.${c} holds a guest password`);
      }
    }
    const logs = fx.logs.join('\n');
    assert.ok(fx.logs.length > 10, `${fx.logs.length} log lines captured`);
    assert.ok(logs.includes('ssh host key recorded on first use'));
    assert.equal(logs.includes(fx.sshd.password), false, 'the password is in a log line');
    assert.equal(logs.includes(WRONG_PASSWORD), false, 'the wrong password is in a log line');
  });
});
