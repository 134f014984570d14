import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createSmtpMailer } from '../../../src/portal/mailer.js';
import { qemuAvailable, type PveSim } from '../../../src/pvesim/index.js';
import { syncCluster } from '../../../src/sync/index.js';
import { startHarness, type Harness } from '../../helpers/portal/harness.js';
import { eventually, simCluster } from '../../helpers/portal/sim-cluster.js';
import { SmtpSink, linkIn } from '../../helpers/portal/smtp-sink.js';
import { screenshotPath } from '../../helpers/readme-screenshots.js';

const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];
const ADMIN_PASSWORD = 'the admin password 1';
const USER_PASSWORD = 'she likes her vms 42';

/**
 * A person registers, confirms the mail, logs in, is given a QEMU-backed machine through a group by an admin,
 * starts it and watches it run without reloading, shuts it down (stops it when ACPI is ignored) and reads its history.
 */
describe('portal end to end (headless Chromium)', function () {
  this.timeout(180_000);
  let h: Harness;
  let sink: SmtpSink;
  let sim: PveSim;
  let browser: Browser;

  before(async function () {
    if (!qemuAvailable()) this.skip();
    execFileSync(process.execPath, ['web/build.mjs'], { stdio: 'inherit' });
    sink = new SmtpSink();
    await sink.start();
    h = await startHarness({
      env: { EARCANDLE_REGISTRATION_ENABLED: 'true', EARCANDLE_REGISTRATION_REQUIRE_APPROVAL: 'false' },
      mailer: createSmtpMailer(sink.url, 'EarCandle <gw@localhost>'),
      runner: { leaseMs: 5000, pollMs: 200, taskPollMs: 200, shutdownTimeoutS: 3 },
    });
    ({ sim } = await simCluster(h.clusters, {
      qemu: true,
      scenario: {
        nodes: 1,
        vms: [
          { vmid: 100, node: 'pve1', name: 'frieda-desktop', status: 'stopped', backend: 'qemu', memory: 64 },
          { vmid: 101, node: 'pve1', name: 'build-server', status: 'running', backend: 'sim' },
          { vmid: 102, node: 'pve1', name: 'secret-lab', status: 'stopped', backend: 'sim' },
        ],
      },
    }));
    const synced = await syncCluster({ db: h.db, clusters: h.clusters, config: h.config }, 'sim');
    assert.equal(synced.outcome, 'ok', synced.error);
    await h.identities.createUser({ name: 'admin', password: ADMIN_PASSWORD, admin: true });
    await h.identities.createGroup('students');
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS });
  });
  after(async () => {
    await browser?.close();
    await h?.stop();
    await sim?.stop();
    await sink?.stop();
  });

  async function login(page: Page, name: string, password: string): Promise<void> {
    await page.goto(`${h.url}/login`);
    await page.fill('input[name="name"]', name);
    await page.fill('input[name="password"]', password);
    await Promise.all([page.waitForNavigation(), page.click('form[action="/login"] button')]);
  }

  async function press(page: Page, label: string): Promise<void> {
    await page.locator('[data-field="actions"] button', { hasText: label }).first().click();
  }

  it('register, confirm, be granted a VM through a group, start it live, shut it down, read its history', async () => {
    const user = await browser.newContext();
    const page = await user.newPage();
    page.on('dialog', (d) => void d.accept());

    await page.goto(`${h.url}/register`);
    await page.fill('input[name="name"]', 'frieda');
    await page.fill('input[name="email"]', 'frieda@example.test');
    await page.fill('input[name="password"]', USER_PASSWORD);
    await page.fill('input[name="password2"]', USER_PASSWORD);
    await Promise.all([page.waitForNavigation(), page.click('form[action="/register"] button')]);
    assert.match(await page.textContent('main') ?? '', /Check your mail/);

    const link = linkIn((await sink.next('frieda@example.test')).text);
    await page.goto(`${h.url}${link.pathname}${link.search}`);
    assert.match(await page.textContent('main') ?? '', /You can log in now/);

    await login(page, 'frieda', USER_PASSWORD);
    assert.match(await page.textContent('main') ?? '', /no machines yet/);

    // The admin puts frieda in "students" and gives the desktop to the group, on the admin pages.
    const adminCtx = await browser.newContext();
    const admin = await adminCtx.newPage();
    await login(admin, 'admin', ADMIN_PASSWORD);
    await admin.goto(`${h.url}/admin/groups`);
    const addMember = admin.locator('form[action="/admin/groups/members"]').filter({ has: admin.locator('select[name="memberType"]') });
    await addMember.locator('input[name="group"]').fill('students');
    await addMember.locator('input[name="member"]').fill('frieda');
    await Promise.all([admin.waitForNavigation(), addMember.locator('button').click()]);
    assert.match(await admin.textContent('tr[data-group="students"]') ?? '', /frieda/);
    await admin.goto(`${h.url}/admin/vms`);
    await Promise.all([admin.waitForNavigation(), admin.click('text=frieda-desktop')]);
    await admin.selectOption('#grant-form select[name="type"]', 'group');
    await admin.fill('#grant-form input[name="name"]', 'students');
    await Promise.all([admin.waitForNavigation(), admin.click('#grant-form button')]);
    assert.match(await admin.textContent('ul.grants') ?? '', /students/);

    // Next page load: the machine is there, and nothing else.
    await page.reload();
    const card = page.locator('article.vm', { hasText: 'frieda-desktop' });
    await card.waitFor();
    assert.equal(await page.locator('article.vm').count(), 1);
    assert.equal(await card.locator('[data-field="state"]').textContent(), 'Stopped');

    // Start: the state turns to Running without a reload (Server-Sent Events).
    const navigations: string[] = [];
    page.on('framenavigated', (f) => {
      if (f === page.mainFrame()) navigations.push(f.url());
    });
    await press(page, 'Start');
    await card.locator('[data-field="state"]', { hasText: 'Running' }).waitFor({ timeout: 60_000 });
    assert.deepEqual(navigations, [], 'no reload');
    assert.equal(sim.state.vms.get(100)!.status, 'running');
    assert.ok(sim.qemuPids().length >= 1, 'a real QEMU runs the machine');
    await card.locator('a[data-field="console"]').waitFor();
    assert.equal(await page.locator('main input[name="_csrf"]').count(), 1, 'one CSRF field for the whole list');
    // The buttons the live update drew post like the server's: the page's form, to this machine.
    const vmPath = `/vms/${await card.getAttribute('data-vm-id')}/power`;
    assert.deepEqual(await card.locator('[data-field="actions"] button').evaluateAll((bs) => bs.map((b) => [(b as HTMLButtonElement).form?.method, new URL((b as HTMLButtonElement).formAction).pathname])), [
      ['post', vmPath], ['post', vmPath], ['post', vmPath], ['post', vmPath], ['post', vmPath],
    ]);

    // Without JavaScript the same buttons submit the page's one form (its CSRF field) to the machine's power
    // route: a destructive action asks first, on its own page, and Cancel changes nothing.
    const plain = await browser.newContext({ javaScriptEnabled: false });
    const noScript = await plain.newPage();
    await login(noScript, 'frieda', USER_PASSWORD);
    assert.equal(new URL(noScript.url()).pathname, `/vms/${await card.getAttribute('data-vm-id')}`, 'one machine: straight to it');
    await noScript.goto(`${h.url}/`);
    const plainCard = noScript.locator('article.vm', { hasText: 'frieda-desktop' });
    await Promise.all([noScript.waitForNavigation(), plainCard.locator('[data-field="actions"] button', { hasText: 'Reboot' }).click()]);
    assert.match((await noScript.textContent('h1')) ?? '', /Reboot: frieda-desktop\?/);
    await Promise.all([noScript.waitForNavigation(), noScript.click('text=Cancel')]);
    await plain.close();
    assert.equal(sim.state.vms.get(100)!.status, 'running');
    await page.setViewportSize({ width: 1100, height: 520 });
    const picture = screenshotPath('my-machines.png');
    if (picture) await page.screenshot({ path: picture });

    // Shut down (ACPI, confirmed); a guest that ignores ACPI is then stopped by force.
    await press(page, 'Shut down');
    await eventually(async () => {
      const state = await card.locator('[data-field="state"]').textContent();
      const job = await card.locator('[data-field="job"]').textContent();
      return state === 'Stopped' || /did not shut down/.test(job ?? '') ? true : undefined;
    }, 60_000, 200);
    if ((await card.locator('[data-field="state"]').textContent()) !== 'Stopped') {
      await card.locator('button', { hasText: 'Stop (force)' }).waitFor();
      await press(page, 'Stop (force)');
      await card.locator('[data-field="state"]', { hasText: 'Stopped' }).waitFor({ timeout: 60_000 });
    }
    assert.equal(sim.state.vms.get(100)!.status, 'stopped');

    // The machine's history tells its fate, with who did it.
    await page.goto(`${h.url}/vms/${await card.getAttribute('data-vm-id')}`);
    const history = (await page.textContent('#history')) ?? '';
    assert.match(history, /started\s*frieda/);
    assert.match(history, /(stopped|shut-down)\s*frieda/);

    // Another machine is not reachable by address either.
    const other = (await h.db.query("SELECT id FROM vm WHERE name = 'secret-lab'")) as { id: number }[];
    const res = await page.goto(`${h.url}/vms/${other[0]!.id}`);
    assert.equal(res?.status(), 404);
    await adminCtx.close();
    await user.close();
  });
});
