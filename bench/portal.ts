// bench/portal: "my machines" (page and JSON) under 200 concurrent sessions, 1,000 VMs in the database and
// 200 per user, beside a bare express endpoint on the same machine. Run: npx tsx bench/portal.ts [seconds]
// The load generator runs as a child process (bench/portal-load.ts) so it does not compete with the server
// for its event loop; every row is preceded by an unmeasured warm-up. Rows: as fast as possible (closed
// loop, 200 connections) and at a fixed offered rate (open loop, Poisson arrivals, EC_BENCH_RATE req/s,
// default 200: 200 people loading the page about once a second each). The "logged-in floor" row asks the
// portal for the session (a tiny JSON answer behind the same middleware: helmet, session, passport, CSRF,
// the route table): what any logged-in request costs before its own work. Server CPU is also printed split
// into user and system (kernel: socket writes, loopback TCP) time.
// EC_BENCH_WARMUP=<seconds> (default 3), EC_BENCH_ONLY=<regexp> runs only the rows whose name matches,
// EC_BENCH_CPU_PROFILE=<file> writes a CPU profile of the server process over the portal rows (with warm-ups).
import { execFile } from 'node:child_process';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { hashPassword } from '../src/db/index.js';
import { startHarness } from '../test/helpers/portal/harness.js';
import { PortalClient } from '../test/helpers/portal/browser.js';
import type { LoadFigures } from './portal-load.js';

const SECONDS = Number(process.argv[2] ?? 10);
const WARMUP_SECONDS = Number(process.env.EC_BENCH_WARMUP ?? 3);
const VMS = 1000;
const USERS = 200;
const PER_USER = 200;
const PASSWORD = 'benchmark password 1';
const RATE = Number(process.env.EC_BENCH_RATE ?? 200);
const TARGET_P99_MS = 50;
/** EC_BENCH_ONLY=<regexp>: only the rows whose name matches. */
const ONLY = process.env.EC_BENCH_ONLY ? new RegExp(process.env.EC_BENCH_ONLY) : undefined;
const LOADER = fileURLToPath(new URL('./portal-load.ts', import.meta.url));

interface Figures extends LoadFigures {
  name: string;
  /** CPU time of this process (server and bare endpoint; not the load generator) per answered request. */
  cpuMsPerRequest: number;
  /** The same split into user and system (kernel: socket writes, loopback TCP) time. */
  userMsPerRequest: number;
  systemMsPerRequest: number;
}

async function runLoader(url: string, accept: string, seconds: number, mode: string, cookiesFile: string | undefined): Promise<LoadFigures> {
  const args = ['--import', 'tsx', LOADER, url, accept, String(seconds), String(USERS), mode, ...(cookiesFile ? [cookiesFile] : [])];
  const { stdout } = await promisify(execFile)(process.execPath, args, { maxBuffer: 1 << 20 });
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as LoadFigures;
}

async function load(name: string, url: string, accept: string, cookiesFile: string | undefined, mode: string): Promise<Figures | undefined> {
  if (ONLY && !ONLY.test(name)) return undefined;
  if (WARMUP_SECONDS > 0) await runLoader(url, accept, WARMUP_SECONDS, mode, cookiesFile);
  const cpu = process.cpuUsage();
  const figures = await runLoader(url, accept, SECONDS, mode, cookiesFile);
  const used = process.cpuUsage(cpu);
  const answered = Math.max(1, figures.rps * SECONDS);
  return { name, ...figures, cpuMsPerRequest: (used.user + used.system) / 1000 / answered, userMsPerRequest: used.user / 1000 / answered, systemMsPerRequest: used.system / 1000 / answered };
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
  const profile = process.env.EC_BENCH_CPU_PROFILE;
  const inspector = profile ? new Session() : undefined;
  const rate = `rate:${RATE}`;
  const results: (Figures | undefined)[] = [];
  results.push(await load('bare express endpoint (JSON), as fast as possible', bareUrl, 'application/json', undefined, 'max'));
  results.push(await load('logged-in floor (GET /api/v1/session), as fast as possible', `${h.url}/api/v1/session`, 'application/json', cookiesFile, 'max'));
  if (inspector) {
    inspector.connect();
    await inspector.post('Profiler.enable');
    await inspector.post('Profiler.start');
  }
  results.push(await load('my machines page (GET /), as fast as possible', `${h.url}/`, 'text/html', cookiesFile, 'max'));
  results.push(await load('my machines JSON (GET /api/v1/vms), as fast as possible', `${h.url}/api/v1/vms`, 'application/json', cookiesFile, 'max'));
  results.push(await load(`bare express endpoint, ${RATE} req/s offered`, bareUrl, 'application/json', undefined, rate));
  results.push(await load(`my machines page, ${RATE} req/s offered`, `${h.url}/`, 'text/html', cookiesFile, rate));
  results.push(await load(`my machines JSON, ${RATE} req/s offered`, `${h.url}/api/v1/vms`, 'application/json', cookiesFile, rate));
  if (inspector && profile) {
    const { profile: cpu } = await inspector.post('Profiler.stop');
    writeFileSync(profile, JSON.stringify(cpu));
    inspector.disconnect();
  }
  console.log(`\n${USERS} connections/sessions, ${SECONDS} s per row after a ${WARMUP_SECONDS} s warm-up, load generator in a child process;`);
  console.log(`"as fast as possible" = closed loop (autocannon), "offered" = open loop with Poisson arrivals; target p99 <= ${TARGET_P99_MS} ms\n`);
  console.log('| endpoint | requests/s | p50 ms | p90 ms | p99 ms | max ms | errors | non-2xx | server CPU ms/request | p99 <= 50 ms |');
  console.log('|---|---|---|---|---|---|---|---|---|---|');
  for (const r of results) {
    if (!r) continue;
    const meets = r.p99 <= TARGET_P99_MS && r.errors === 0 && r.non2xx === 0 ? 'yes' : 'no';
    console.log(`| ${r.name} | ${Math.round(r.rps).toLocaleString('en')} | ${r.p50} | ${r.p90} | ${r.p99} | ${r.max} | ${r.errors} | ${r.non2xx} | ${r.cpuMsPerRequest.toFixed(2)} | ${meets} |`);
  }
  console.log('\nserver CPU ms/request split into user / system (kernel) time:');
  for (const r of results) if (r) console.log(`- ${r.name}: ${r.userMsPerRequest.toFixed(2)} / ${r.systemMsPerRequest.toFixed(2)}`);
} finally {
  bareServer.close();
  rmSync(dir, { recursive: true, force: true });
  await h.stop();
}
