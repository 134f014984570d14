/// <reference lib="dom" />
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { PROJECT_ROOT } from '../helpers/cli.js';
import { freePort } from '../helpers/free-port.js';

const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];

/**
 * PIDs of the live processes in a process group. Zombies are left out: they have exited, and only wait for
 * this machine's init to reap them (it does so late).
 */
function groupMembers(pgid: number): number[] {
  try {
    return execFileSync('ps', ['-o', 'pid=,stat=', '-g', String(pgid)], { encoding: 'utf8' })
      .split('\n')
      .map((line) => line.trim().split(/\s+/))
      .filter(([pid, stat]) => Number(pid) > 0 && !stat?.startsWith('Z'))
      .map(([pid]) => Number(pid));
  } catch {
    return [];
  }
}

/** PIDs of processes whose command line mentions `text` (the clone's path, the demo's data directory). */
function processesMentioning(text: string): number[] {
  const out = execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' });
  return out
    .split('\n')
    .filter((line) => line.includes(text) && !line.includes('ps -eo'))
    .map((line) => Number(line.trim().split(/\s+/)[0]))
    .filter((n) => n > 0 && n !== process.pid);
}

/**
 * The README's first command from a clean clone: `npm run demo` installs, builds, starts everything and prints the
 * URL; a new user logs in, sees the VMs, starts one, opens a console; Ctrl-C leaves no process behind.
 */
describe('npm run demo from a clean clone (headless Chromium)', function () {
  this.timeout(15 * 60_000);
  let clone: string;
  let demo: ChildProcess | undefined;
  let browser: Browser | undefined;
  let output = '';

  before(function () {
    clone = mkdtempSync(path.join(tmpdir(), 'earcandle-demo-clone-'));
    execFileSync('git', ['clone', '--quiet', '--depth', '1', `file://${PROJECT_ROOT}`, clone], { stdio: 'inherit' });
  });

  after(async () => {
    await browser?.close();
    if (demo?.pid && groupMembers(demo.pid).length > 0) process.kill(-demo.pid, 'SIGKILL');
    rmSync(clone, { recursive: true, force: true });
    rmSync(path.join('/var/lib/earcandle-demo', createHash('sha256').update(clone).digest('hex').slice(0, 12)), { recursive: true, force: true });
  });

  it('starts, serves the demo user their VMs and a console, and stops without leftovers', async () => {
    // Its own process group, like a terminal's foreground job: Ctrl-C is SIGINT to the whole group.
    demo = spawn('npm', ['run', 'demo'], {
      cwd: clone,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...withoutEarcandle(process.env), EARCANDLE_HTTP_PORT: String(await freePort()), EARCANDLE_GUACD_PORT: String(await freePort()) },
    });
    demo.stdout!.setEncoding('utf8').on('data', (d: string) => (output += d));
    demo.stderr!.setEncoding('utf8').on('data', (d: string) => (output += d));
    const pgid = demo.pid!;
    const url = await waitFor(() => /EarCandle demo is running: (http:\/\/\S+)/.exec(output)?.[1], 12 * 60_000, () => output);
    const userPassword = /user {3}demo {5}password (\S+)/.exec(output)?.[1];
    assert.ok(userPassword, output);

    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS });
    const page: Page = await (await browser.newContext({ viewport: { width: 1100, height: 700 } })).newPage();
    page.on('dialog', (d) => void d.accept());
    await page.goto(`${url}/login`);
    await page.fill('input[name="name"]', 'demo');
    await page.fill('input[name="password"]', userPassword);
    await Promise.all([page.waitForNavigation(), page.click('form[action="/login"] button')]);

    // The demo user owns the VMs in pool "demo": ubuntu-desktop (running) and build-server (stopped).
    const desktop = page.locator('article.vm', { hasText: 'ubuntu-desktop' });
    const build = page.locator('article.vm', { hasText: 'build-server' });
    await desktop.waitFor();
    await build.waitFor();
    assert.equal(await page.locator('article.vm', { hasText: 'win11-lab' }).count(), 0, 'another pool is not shown');

    await build.locator('[data-field="actions"] button', { hasText: 'Start' }).first().click();
    await build.locator('[data-field="state"]', { hasText: 'Running' }).waitFor({ timeout: 90_000 });

    const vmId = await desktop.getAttribute('data-vm-id');
    await page.goto(`${url}/vms/${vmId}/console`);
    await page.waitForFunction(() => (window as unknown as { earcandleConsole?: { state: string } }).earcandleConsole?.state === 'connected', undefined, {
      timeout: 60_000,
    });
    await page.waitForFunction(
      () => {
        const c = document.querySelector<HTMLCanvasElement>('.console-display canvas');
        if (!c || c.width === 0) return false;
        const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
        for (let i = 4; i < d.length; i += 4) if (d[i] !== d[0] || d[i + 1] !== d[1] || d[i + 2] !== d[2]) return true;
        return false;
      },
      undefined,
      { timeout: 60_000 },
    );
    await browser.close();
    browser = undefined;

    // Ctrl-C.
    const exited = new Promise<number | null>((resolve) => demo!.once('exit', (code) => resolve(code)));
    process.kill(-pgid, 'SIGINT');
    const code = await Promise.race([exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 60_000))]);
    assert.notEqual(code, 'timeout', `the demo did not stop:\n${output.slice(-2000)}`);
    await waitFor(() => (groupMembers(pgid).length === 0 ? true : undefined), 30_000, () =>
      `left in the group: ${execFileSync('ps', ['-o', 'pid,stat,args', '-p', groupMembers(pgid).join(',') || '0'], { encoding: 'utf8' })}`);
    assert.deepEqual(processesMentioning(clone), [], 'no process of the clone is left');
    const stateFile = path.join(clone, '.earcandle', 'demo', 'state.json');
    assert.ok(existsSync(stateFile) && JSON.parse(readFileSync(stateFile, 'utf8')).userPassword === userPassword, 'state kept for the next run');
  });
});

function withoutEarcandle(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(env)) if (!k.startsWith('EARCANDLE_') && !k.startsWith('npm_')) out[k] = v;
  return out;
}

async function waitFor<T>(probe: () => T | undefined, timeoutMs: number, describe: () => string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out; ${describe().slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
