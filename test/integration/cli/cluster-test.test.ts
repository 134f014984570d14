import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startPveSim, type PveSim } from '../../../src/pvesim/index.js';
import { runCli } from '../../helpers/cli.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/mariadb.js';

const SECRET = '0d4c6f0e-1b2a-4c3d-8e9f-a0b1c2d3e4f5';
const WRONG = '0d4c6f0e-1b2a-4c3d-8e9f-a0b1c2d3e4f6';

describe('earcandle cluster test (against the Proxmox simulator)', function () {
  this.timeout(120_000);
  let testDb: TestDatabase;
  let sim: PveSim;
  let dir: string;
  let env: Record<string, string>;

  before(async () => {
    testDb = await createTestDatabase();
    sim = await startPveSim({ port: 0, nodes: 1, vms: 1, qemu: false, tokens: [`gw@pve!sync=${SECRET}`], authFailDelayMs: 0 });
    dir = mkdtempSync(path.join(tmpdir(), 'ec-cluster-'));
    writeFileSync(path.join(dir, 'ca.pem'), sim.caPem);
    env = { EARCANDLE_DB_URL: testDb.url, EARCANDLE_SECRETS_ENCRYPTION_KEY: 'd'.repeat(64) };
    assert.equal((await runCli(['migrate'], { env })).code, 0);
  });

  after(async () => {
    await sim?.stop();
    await testDb?.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const add = (name: string, url: string, secret: string, ca = true) =>
    runCli(['cluster', 'add', name, '--url', url, '--token-id', 'gw@pve!sync', '--token-secret-stdin', ...(ca ? ['--ca', path.join(dir, 'ca.pem')] : [])], {
      env,
      stdin: secret,
    });

  it('prints the PVE version through the stored token and the pinned CA', async () => {
    assert.equal((await add('lab', sim.url, SECRET)).code, 0);
    const r = await runCli(['cluster', 'test', 'lab'], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^lab: Proxmox VE \d+\.\d+/);
  });

  it('gives a one-line reason for a wrong token secret', async () => {
    assert.equal((await add('wrong-secret', sim.url, WRONG)).code, 0);
    const r = await runCli(['cluster', 'test', 'wrong-secret'], { env });
    assert.equal(r.code, 69);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, /^earcandle: wrong-secret: .*(authentication|401|token)/i);
    assert.ok(!r.stderr.includes(WRONG));
  });

  it('gives a one-line reason when the certificate is not the pinned one', async () => {
    assert.equal((await add('unpinned', sim.url, SECRET, false)).code, 0);
    const r = await runCli(['cluster', 'test', 'unpinned'], { env });
    assert.equal(r.code, 69);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, /^earcandle: unpinned: .*(certificate|TLS)/i);
  });

  it('gives a one-line reason when nothing listens', async () => {
    const closed = new URL(sim.url);
    closed.port = '1';
    assert.equal((await add('nowhere', closed.origin, SECRET)).code, 0);
    const r = await runCli(['cluster', 'test', 'nowhere'], { env });
    assert.equal(r.code, 69);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, /^earcandle: nowhere: .*(refused|unreachable|connect)/i);
  });

  it('names an unknown cluster', async () => {
    const r = await runCli(['cluster', 'test', 'nope'], { env });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^earcandle: no cluster named nope\n$/);
  });
});
