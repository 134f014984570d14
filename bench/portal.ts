// bench/portal: "my machines" (page and JSON) under 200 concurrent sessions, 1,000 VMs in the database and
// 200 per user, beside a bare express endpoint on the same machine. Run: npx tsx bench/portal.ts [seconds]
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import autocannon from 'autocannon';
import express from 'express';
import { hashPassword } from '../src/db/index.js';
import { startHarness } from '../test/helpers/portal/harness.js';
import { PortalClient } from '../test/helpers/portal/browser.js';

const SECONDS = Number(process.argv[2] ?? 10);
const VMS = 1000;
const USERS = 200;
const PER_USER = 200;
const PASSWORD = 'benchmark password 1';
const RATE = Number(process.env.EC_BENCH_RATE ?? 200);

interface Figures {
  name: string;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
}

async function load(name: string, url: string, accept: string, cookiesFile: string | undefined, overallRate?: number): Promise<Figures> {
  process.env.EC_BENCH_ACCEPT = accept;
  if (cookiesFile) process.env.EC_BENCH_COOKIES = cookiesFile;
  const r = await autocannon({
    url,
    connections: USERS,
    duration: SECONDS,
    workers: 1,
    ...(overallRate ? { overallRate } : {}),
    ...(cookiesFile ? { setupClient: fileURLToPath(new URL('./portal-client.cjs', import.meta.url)) } : {}),
  });
  return { name, rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, errors: r.errors + r.timeouts, non2xx: r.non2xx };
}

// every session logs in from 127.0.0.1: lift the per-address login limit for the set-up
const h = await startHarness({ auth: { ipLimit: 1_000_000 } });
const dir = mkdtempSync(join(tmpdir(), 'ecbench-'));
const bare = express();
bare.get('/', (_req, res) => res.json({ ok: true }));
const bareServer = bare.listen(0, '127.0.0.1');
try {
  const t0 = Date.now();
  const c = await h.clusters.add({ name: 'bench', apiUrl: 'https://127.0.0.1:1', tokenId: 'a@pve!t', tokenSecret: '00000000-0000-0000-0000-000000000000' });
  const now = new Date();
  const vmRows = Array.from({ length: VMS }, (_, i) => [c.id, `pve${(i % 5) + 1}`, 100 + i, `vm-${String(i).padStart(4, '0')}`, 'qemu', i % 3 ? 'running' : 'stopped', i % 3 ? 'running' : 'stopped', now, now]);
  await h.db.query('INSERT INTO vm (cluster_id, node, vmid, name, type, status, qmpstatus, first_seen_at, last_seen_at) VALUES ?', [vmRows]);
  const vmIds = ((await h.db.query('SELECT id FROM vm ORDER BY id')) as { id: number }[]).map((r) => r.id);
  await h.db.query("INSERT INTO guacamole_connection (connection_name, protocol) VALUES ?", [vmIds.map((id) => [`vm ${id}`, 'vnc'])]);
  const conns = ((await h.db.query('SELECT connection_id AS id FROM guacamole_connection ORDER BY connection_id')) as { id: number }[]).map((r) => r.id);
  await h.db.query('INSERT INTO guacamole_connection_attribute VALUES ?', [conns.flatMap((cid, i) => [[cid, 'earcandle-vm-id', String(vmIds[i])], [cid, 'earcandle-kind', 'console']])]);

  // 200 users; user u may use 200 consecutive VMs (overlapping), half of them through a group.
  const hash = await hashPassword(PASSWORD);
  const users: number[] = [];
  for (let u = 0; u < USERS; u += 1) {
    const user = await h.identities.createUser({ name: `user${u}` });
    users.push(user.entityId);
  }
  await h.db.query('UPDATE portal_account SET password_hash = ?', [hash]);
  const perms: number[][] = [];
  for (let u = 0; u < USERS; u += 1) {
    const group = await h.identities.createGroup(`team${u}`);
    await h.identities.addGroupMember(`team${u}`, `user${u}`);
    for (let k = 0; k < PER_USER; k += 1) {
      const cid = conns[(u * 5 + k) % VMS]!;
      perms.push([k % 2 ? users[u]! : group.entityId, cid]);
    }
  }
  for (let i = 0; i < perms.length; i += 5000) {
    await h.db.query("INSERT INTO guacamole_connection_permission (entity_id, connection_id, permission) VALUES ?", [perms.slice(i, i + 5000).map(([e, cid]) => [e, cid, 'READ'])]);
  }
  const cookies: string[] = [];
  for (let u = 0; u < USERS; u += 1) {
    const b = new PortalClient(h.url);
    const r = await b.login(`user${u}`, PASSWORD);
    if (r.status !== 303) throw new Error(`login user${u}: ${r.status}`);
    cookies.push(b.cookieHeader);
  }
  const probe = new PortalClient(h.url);
  await probe.login('user0', PASSWORD);
  const mine = (await probe.get('/api/v1/vms')).json<{ vms: unknown[] }>().vms.length;
  if (mine !== PER_USER) throw new Error(`user0 sees ${mine} VMs, expected ${PER_USER}`);
  const cookiesFile = join(dir, 'cookies.json');
  writeFileSync(cookiesFile, JSON.stringify(cookies));
  console.log(`setup: ${VMS} VMs, ${USERS} users × ${PER_USER} VMs (${perms.length} grants), ${USERS} sessions in ${Date.now() - t0} ms`);

  const bareUrl = `http://127.0.0.1:${(bareServer.address() as AddressInfo).port}/`;
  const results = [
    await load('bare express endpoint (JSON)', bareUrl, 'application/json', undefined),
    await load('my machines page (GET /)', `${h.url}/`, 'text/html', cookiesFile),
    await load('my machines JSON (GET /api/v1/vms)', `${h.url}/api/v1/vms`, 'application/json', cookiesFile),
    // The same 200 sessions at one request per second each (a page load per second per person is already a lot).
    await load('bare express endpoint, 200 req/s offered', bareUrl, 'application/json', undefined, RATE),
    await load('my machines page, 200 req/s offered', `${h.url}/`, 'text/html', cookiesFile, RATE),
    await load('my machines JSON, 200 req/s offered', `${h.url}/api/v1/vms`, 'application/json', cookiesFile, RATE),
  ];
  console.log(`\n${USERS} connections, ${SECONDS} s each, one 2-core machine (server, MariaDB and autocannon together); first three as fast as possible, last three at ${RATE} req/s offered\n`);
  console.log('| endpoint | requests/s | p50 ms | p99 ms | errors | non-2xx |');
  console.log('|---|---|---|---|---|---|');
  for (const r of results) console.log(`| ${r.name} | ${Math.round(r.rps).toLocaleString('en')} | ${r.p50} | ${r.p99} | ${r.errors} | ${r.non2xx} |`);
} finally {
  bareServer.close();
  rmSync(dir, { recursive: true, force: true });
  await h.stop();
}
