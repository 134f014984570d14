/**
 * bench/console: EarCandle's browser console against noVNC, side by side on one QEMU VM (issue 6).
 *
 *   EarCandle: Chromium (guacamole-common-js) ↔ guacamole-lite /tunnel ↔ built-in guacd ↔ QEMU VNC
 *   noVNC:     Chromium (@novnc/novnc core)  ↔ websockify-style ws↔TCP relay ↔ QEMU VNC
 *
 * The gateway (guacd + guacamole-lite) and the relay each run in a child process (bench/console-servers.ts),
 * so process.cpuUsage() deltas are theirs alone. Both run as the product does, compiled JavaScript under plain
 * node (one esbuild bundle, packages from node_modules), not through the tsx loader this script runs under: tsx
 * adds a loader thread and keeps every module's source and source map on the heap, which made each major
 * collection of the gateway's heap dearer than in the product. Both paths skip the PVE hop (vncproxy + the VNC
 * bridge), which both would share in production. The VM boots a 512-byte floppy boot sector that waits for a key
 * (static SeaBIOS text screen: first-frame figures), then rewrites all 2000 text cells every 100 ms
 * (continuously changing screen: bytes, CPU, frames per second; medians of three 10 s windows a path). Then
 * 50 concurrent headless Guacamole clients (Node, no browser) on the same VM: gateway memory per session and
 * frame latency.
 * Bytes are counted on the wire, by each server child, per TCP socket after the upgrade (WebSocket framing and
 * permessage-deflate included); the WebSocket payloads Chromium reports (decompressed) are shown beside them.
 *
 * Run: npx tsx bench/console.ts        Every process it starts is stopped by PID; it exits by itself.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import WebSocket from 'ws';
import { Parser } from '../guacamole/index.js';
import { CHROMIUM_ARGS, changes, closeSession, firstPaint, openSession, startStatic } from './console-browser.js';
import { children, compileServers, cpuMs, ServerChild, stopAll, wireSince } from './console-children.js';
import { liteToken, startBenchVm, VNC_PASSWORD } from './console-vm.js';

const REPEATS = 3;
const CHANGING_WINDOW_MS = 10_000;
const CONCURRENT = 50;
const CONCURRENT_WINDOW_MS = 20_000;

// ---------- headless Guacamole clients ----------
interface HeadlessClient {
  ws: WebSocket;
  frames: number;
  latencies: number[];
  gaps: number[];
}

function headlessClient(gatewayPort: number, token: string): Promise<HeadlessClient> {
  const ws = new WebSocket(`ws://127.0.0.1:${gatewayPort}/tunnel?token=${encodeURIComponent(token)}&width=1024&height=768&dpi=96`, 'guacamole');
  const c: HeadlessClient = { ws, frames: 0, latencies: [], gaps: [] };
  const parser = new Parser();
  let last = 0;
  let firstSync: () => void;
  const synced = new Promise<void>((r) => { firstSync = r; });
  ws.on('message', (data: Buffer) => {
    if (process.env.BENCH_DEBUG) progress(`got ${String(data).slice(0, 80)}`);
    for (const ins of parser.push(data)) {
      if (ins.opcode !== 'sync') continue;
      const now = Date.now();
      const ts = Number(ins.args[0]);
      c.frames++;
      c.latencies.push(now - ts);
      if (last) c.gaps.push(now - last);
      last = now;
      ws.send(`4.sync,${String(ts).length}.${ts};`);
      firstSync();
    }
  });
  ws.on('error', (err) => progress(`client error ${err.message}`));
  ws.on('close', (code, reason) => { if (process.env.BENCH_DEBUG) progress(`client closed ${code} ${String(reason)}`); });
  return synced.then(() => c);
}

function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

const median = (v: number[]): number => percentile(v, 50);
const kb = (n: number): string => `${(n / 1024).toFixed(1)} KiB`;
const progress = (msg: string): void => { process.stderr.write(`[bench/console] ${msg}\n`); };
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

// ---------- main ----------
async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'ec-bench-console-'));
  let browser: Browser | undefined;
  let staticServer: Server | undefined;
  const servers: ServerChild[] = [];
  try {
    const vm = await startBenchVm(dir, (proc) => children.push(proc));
    progress(`QEMU on VNC port ${vm.vncPort}`);
    const key = randomBytes(32);
    const serversScript = await compileServers();
    const gw = await ServerChild.start(serversScript, 'gateway', key.toString('hex'));
    const relay = await ServerChild.start(serversScript, 'relay', String(vm.vncPort));
    servers.push(gw, relay);
    progress(`gateway on ${gw.port}, relay on ${relay.port}`);
    staticServer = await startStatic();
    const httpPort = (staticServer.address() as AddressInfo).port;
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS });
    // Let SeaBIOS reach the boot sector (it then waits for a key with a static screen).
    await sleep(3000);

    const guacUrl = (): string => `http://127.0.0.1:${httpPort}/guac.html?ws=${encodeURIComponent(`ws://127.0.0.1:${gw.port}/tunnel`)}&token=${encodeURIComponent(liteToken(key, vm.vncPort))}`;
    const novncUrl = (): string => `http://127.0.0.1:${httpPort}/novnc.html?ws=${encodeURIComponent(`ws://127.0.0.1:${relay.port}/`)}&password=${VNC_PASSWORD}`;
    const paths = [
      { name: 'EarCandle', url: guacUrl, server: gw },
      { name: 'noVNC', url: novncUrl, server: relay },
    ] as const;

    // 1. Static screen: navigation → first painted frame, bytes until then, server CPU for the connection.
    const first: Record<string, { ms: number[]; bytes: number[]; payload: number[]; up: number[]; cpu: number[]; extensions: string }> = {};
    for (const p of paths) first[p.name] = { ms: [], bytes: [], payload: [], up: [], cpu: [], extensions: '' };
    for (let r = 0; r < REPEATS; r++) {
      for (const p of r % 2 === 0 ? paths : [...paths].reverse()) {
        const before = await p.server.usage();
        const s = await openSession(browser, p.url());
        const ms = await firstPaint(s.page);
        progress(`${p.name}: first frame after ${ms.toFixed(0)} ms`);
        const after = await p.server.usage();
        first[p.name]!.ms.push(ms);
        const wire = wireSince(before, after);
        first[p.name]!.bytes.push(wire.out);
        first[p.name]!.payload.push(s.payloadDown());
        first[p.name]!.up.push(wire.in);
        first[p.name]!.cpu.push(cpuMs(before, after));
        first[p.name]!.extensions = s.extensions();
        await closeSession(s);
        await sleep(300);
      }
    }

    // 2. 50 concurrent headless consoles on the static screen: gateway memory per session.
    progress('50 headless clients, static screen');
    const idle = await gw.usage();
    const crowd: HeadlessClient[] = [];
    for (let i = 0; i < CONCURRENT; i++) {
      crowd.push(await headlessClient(gw.port, liteToken(key, vm.vncPort)));
      if (i % 10 === 9) progress(`${i + 1} connected`);
    }
    await sleep(2000);
    const crowdStatic = await gw.usage();

    // 3. Continuously changing screen (start the boot sector's animation): one session at a time.
    await vm.startAnimation();
    for (const c of crowd) c.ws.close();
    await sleep(1000);
    progress('changing screen');
    // One 10 s window spreads by a point of a core from run to run: three per path, alternating, medians reported.
    const windows: Record<string, { bytes: number[]; payload: number[]; cpuMs: number[]; fps: number[] }> = {};
    for (const p of paths) windows[p.name] = { bytes: [], payload: [], cpuMs: [], fps: [] };
    const perSecond = (n: number): number => (n * 1000) / CHANGING_WINDOW_MS;
    for (let r = 0; r < REPEATS; r++) {
      for (const p of r % 2 === 0 ? paths : [...paths].reverse()) {
        const opened = await p.server.usage();
        const s = await openSession(browser, p.url());
        await firstPaint(s.page);
        await sleep(1000);
        const [b0, c0, u0] = [s.payloadDown(), await changes(s.page), await p.server.usage()];
        await sleep(CHANGING_WINDOW_MS);
        const [b1, c1, u1] = [s.payloadDown(), await changes(s.page), await p.server.usage()];
        const w = windows[p.name]!;
        w.bytes.push(perSecond(wireSince(opened, u1).out - wireSince(opened, u0).out));
        w.payload.push(perSecond(b1 - b0));
        w.cpuMs.push(perSecond(cpuMs(u0, u1)));
        w.fps.push(perSecond(c1 - c0));
        progress(`${p.name}: changing screen ${(w.cpuMs.at(-1)! / 10).toFixed(1)} % of a core`);
        await closeSession(s);
        await sleep(500);
      }
    }
    const changing: Record<string, { bytes: number; payload: number; cpuMs: number; cpuRange: string; fps: number }> = {};
    for (const [name, w] of Object.entries(windows)) {
      const range = `${(Math.min(...w.cpuMs) / 10).toFixed(1)}–${(Math.max(...w.cpuMs) / 10).toFixed(1)}`;
      changing[name] = { bytes: median(w.bytes), payload: median(w.payload), cpuMs: median(w.cpuMs), cpuRange: range, fps: median(w.fps) };
    }

    // 4. 50 concurrent headless consoles on the changing screen: frame latency, frames per second, memory.
    progress('50 headless clients, changing screen');
    const crowd2: HeadlessClient[] = [];
    for (let i = 0; i < CONCURRENT; i++) crowd2.push(await headlessClient(gw.port, liteToken(key, vm.vncPort)));
    for (const c of crowd2) Object.assign(c, { frames: 0, latencies: [], gaps: [] });
    const busy0 = await gw.usage();
    await sleep(CONCURRENT_WINDOW_MS);
    const busy1 = await gw.usage();
    const latencies = crowd2.flatMap((c) => c.latencies);
    const gaps = crowd2.flatMap((c) => c.gaps);
    const fps50 = crowd2.map((c) => (c.frames * 1000) / CONCURRENT_WINDOW_MS);
    for (const c of crowd2) c.ws.close();

    // ---------- report ----------
    const e = first.EarCandle!;
    const n = first.noVNC!;
    const ce = changing.EarCandle!;
    const cn = changing.noVNC!;
    const rows: [string, string, string, string][] = [
      ['navigation → first painted frame (median of 3)', `${median(e.ms).toFixed(0)} ms`, `${median(n.ms).toFixed(0)} ms`, `${(median(e.ms) / median(n.ms)).toFixed(2)}×`],
      ['bytes to the browser until the first frame, on the wire', kb(median(e.bytes)), kb(median(n.bytes)), `${(median(e.bytes) / median(n.bytes)).toFixed(2)}×`],
      ['… as WebSocket payload (Chromium, decompressed)', kb(median(e.payload)), kb(median(n.payload)), `${(median(e.payload) / median(n.payload)).toFixed(2)}×`],
      ['bytes from the browser until the first frame, on the wire', kb(median(e.up)), kb(median(n.up)), `${(median(e.up) / median(n.up)).toFixed(2)}×`],
      ['server CPU to connect and send the first frame', `${median(e.cpu).toFixed(0)} ms`, `${median(n.cpu).toFixed(0)} ms`, `${(median(e.cpu) / median(n.cpu)).toFixed(2)}×`],
      ['changing screen: bytes to the browser per second, on the wire', `${kb(ce.bytes)}/s`, `${kb(cn.bytes)}/s`, `${(ce.bytes / cn.bytes).toFixed(2)}×`],
      ['… as WebSocket payload (Chromium, decompressed)', `${kb(ce.payload)}/s`, `${kb(cn.payload)}/s`, `${(ce.payload / cn.payload).toFixed(2)}×`],
      ['changing screen: server CPU per session (median; range)', `${(ce.cpuMs / 10).toFixed(1)} % of a core (${ce.cpuRange})`, `${(cn.cpuMs / 10).toFixed(1)} % of a core (${cn.cpuRange})`, `${(ce.cpuMs / cn.cpuMs).toFixed(2)}×`],
      ['changing screen: distinct frames painted per second', ce.fps.toFixed(1), cn.fps.toFixed(1), `${(ce.fps / cn.fps).toFixed(2)}×`],
    ];
    const setting = process.env.BENCH_TUNNEL_DEFLATE ? `, tunnel permessage-deflate BENCH_TUNNEL_DEFLATE=${process.env.BENCH_TUNNEL_DEFLATE}` : '';
    console.log(`\nConsole: EarCandle (guacamole-lite + guacd) vs noVNC (ws↔TCP relay), same QEMU VM${setting}\n`);
    console.log(`| measure | EarCandle | noVNC | ratio |\n|---|---|---|---|`);
    for (const r of rows) console.log(`| ${r.join(' | ')} |`);
    console.log(`\nOn the wire: what each server wrote to (read from) the TCP socket after the 101 response, WebSocket framing included. Sec-WebSocket-Extensions in the 101 response: EarCandle "${e.extensions}", noVNC "${n.extensions}".`);
    const perSession = (crowdStatic.memory.rss - idle.memory.rss) / CONCURRENT;
    console.log(`\n${CONCURRENT} concurrent headless Guacamole clients (Node) on the same VM, gateway process:`);
    console.log(`- memory: RSS ${(idle.memory.rss / 2 ** 20).toFixed(0)} MiB idle → ${(crowdStatic.memory.rss / 2 ** 20).toFixed(0)} MiB with ${CONCURRENT} sessions (static screen): ${(perSession / 2 ** 20).toFixed(2)} MiB per session; ${(busy1.memory.rss / 2 ** 20).toFixed(0)} MiB on the changing screen`);
    console.log(`- changing screen, ${CONCURRENT_WINDOW_MS / 1000} s: gateway CPU ${(cpuMs(busy0, busy1) / CONCURRENT_WINDOW_MS * 100).toFixed(0)} % of a core; frames per session per second median ${median(fps50).toFixed(1)}, min ${Math.min(...fps50).toFixed(1)}`);
    console.log(`- frame delivery latency (sync timestamp → client): p50 ${percentile(latencies, 50)} ms, p99 ${percentile(latencies, 99)} ms; gap between frames p50 ${percentile(gaps, 50)} ms, p99 ${percentile(gaps, 99)} ms`);
    const targets = [
      ['first frame ≤ 1.2× noVNC', median(e.ms) <= 1.2 * median(n.ms)],
      ['first-screen wire bytes ≤ noVNC', median(e.bytes) <= median(n.bytes)],
      ['changing-screen wire bytes ≤ noVNC', ce.bytes <= cn.bytes],
      ['CPU ≤ 1.5× the noVNC relay', ce.cpuMs <= 1.5 * cn.cpuMs],
    ] as const;
    console.log(`\nTargets: ${targets.map(([t, ok]) => `${t}: ${ok ? 'met' : 'NOT met'}`).join('; ')}`);
    await vm.quit();
  } finally {
    await browser?.close();
    for (const s of servers) await s.stop();
    staticServer?.closeAllConnections();
    staticServer?.close();
    stopAll();
    rmSync(dir, { recursive: true, force: true });
  }
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    stopAll();
    process.exit(130);
  });
}
const watchdog = setTimeout(() => {
  console.error('bench/console: gave up after 5 minutes');
  stopAll();
  process.exit(1);
}, 300_000);
watchdog.unref();
main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    stopAll();
    process.exit(1);
  },
);
