import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { loadConfig } from '../../../src/config/index.js';
import { migrateUp, openDatabase } from '../../../src/db/index.js';
import { PROJECT_ROOT, runCli } from '../../helpers/cli.js';
import { freePort } from '../../helpers/free-port.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/mariadb.js';

/** `earcandle serve` starts the portal (and guacd, sync, runner) and stops cleanly on SIGTERM. */
describe('earcandle serve', function () {
  this.timeout(60_000);
  let testDb: TestDatabase;
  let child: ChildProcess | undefined;

  before(async () => {
    testDb = await createTestDatabase('ecserve');
  });
  after(async () => {
    if (child?.pid && child.exitCode === null) child.kill('SIGKILL');
    await testDb?.drop();
  });

  const env = async (): Promise<Record<string, string>> => ({
    EARCANDLE_DB_URL: testDb.url,
    EARCANDLE_SECRETS_SESSION_SECRET: 'x'.repeat(40),
    EARCANDLE_HTTP_PORT: String(await freePort()),
    EARCANDLE_GUACD_PORT: String(await freePort()),
    EARCANDLE_LOG_LEVEL: 'warn',
  });

  it('refuses to start on an unmigrated database with a one-line reason', async () => {
    const r = await runCli(['serve'], { env: await env() });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /earcandle: the database needs migrating first/);
  });

  it('serves /healthz and /login, then stops on SIGTERM', async () => {
    const db = await openDatabase(loadConfig({ env: { EARCANDLE_DB_URL: testDb.url } }));
    await migrateUp(db);
    await db.destroy();
    const childEnv: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('EARCANDLE_')) childEnv[k] = v;
    Object.assign(childEnv, await env());
    const proc = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'serve'], { cwd: PROJECT_ROOT, env: childEnv, stdio: 'pipe' });
    child = proc;
    let stderr = '';
    proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      proc.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /EarCandle portal on (http:\/\/\S+)/.exec(out);
        if (m) resolve(m[1]!);
      });
      proc.on('close', (code) => reject(new Error(`serve exited with ${code}: ${stderr}`)));
    });
    const health = await fetch(`${url}/healthz`);
    const body = (await health.json()) as { database: { ok: boolean } };
    assert.equal(body.database.ok, true);
    const login = await fetch(`${url}/login`);
    assert.equal(login.status, 200);
    assert.match(await login.text(), /Log in/);
    const metrics = await (await fetch(`${url}/metrics`)).text();
    assert.match(metrics, /process_cpu_user_seconds_total/);
    assert.match(metrics, /^earcandle_console_sessions 0$/m);
    assert.match(metrics, /^earcandle_guacd_sessions 0$/m);
    const exited = new Promise<number | null>((resolve) => proc.on('close', (code) => resolve(code)));
    proc.kill('SIGTERM');
    assert.equal(await exited, 0, stderr);
  });
});
