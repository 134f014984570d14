/**
 * bench/console-deflate: which permessage-deflate settings suit the console tunnel (src/console/tunnel-websocket.ts).
 *
 * 1. Records what guacamole-lite sends one client, message by message with its time, from the gateway (built-in
 *    guacd + guacamole-lite, uncompressed) on bench/console's QEMU VM: the static first screen, then 10 s of the
 *    fully changing text screen.
 * 2. Replays that recording, paced as recorded, to 50 WebSocket clients at once (ws clients offering
 *    permessage-deflate as Chromium does, answering every `sync`) from a child process per candidate setting,
 *    which reports the bytes it wrote to each TCP socket after the upgrade (frames included), its CPU time,
 *    RSS per session and how late messages reached the socket.
 *
 * Run: npx tsx bench/console-deflate.ts      (under flock /tmp/earcandle-bench.lock; ~4 minutes)
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import GuacamoleLite from 'guacamole-lite';
import WebSocket, { WebSocketServer, type PerMessageDeflateOptions } from 'ws';
import { createGuacd, Parser } from '../guacamole/index.js';
import { TUNNEL_COMPRESSION_THRESHOLD, TUNNEL_PER_MESSAGE_DEFLATE, uncompressedBelow } from '../src/console/index.js';
import { liteToken, startBenchVm } from './console-vm.js';

const SESSIONS = 50;
const STATIC_MS = 2_000;
const CHANGING_MS = 10_000;

interface Recording {
  /** [ms since the WebSocket opened, message] */
  messages: [number, string][];
  /** Index of the message that closes the first frame (the first `sync`). */
  firstFrameEnd: number;
  /** Index of the first message after the screen started changing. */
  changingFrom: number;
}

interface Candidate {
  name: string;
  deflate: PerMessageDeflateOptions | false;
  /** Messages shorter than this go uncompressed (0: every message is compressed). */
  threshold: number;
}

const product = TUNNEL_PER_MESSAGE_DEFLATE.zlibDeflateOptions!;
const variant = (name: string, zlib: { level: number; memLevel?: number }, windowBits = 15, threshold = TUNNEL_COMPRESSION_THRESHOLD, more: PerMessageDeflateOptions = {}): Candidate => ({
  name,
  deflate: { ...TUNNEL_PER_MESSAGE_DEFLATE, zlibDeflateOptions: { memLevel: 8, ...zlib }, serverMaxWindowBits: windowBits, ...more },
  threshold,
});

const CANDIDATES: Candidate[] = [
  { name: 'off (today)', deflate: false, threshold: 0 },
  { name: `product: level ${product.level}, window 2^15, memLevel ${product.memLevel}, below ${TUNNEL_COMPRESSION_THRESHOLD} B raw, limit ${TUNNEL_PER_MESSAGE_DEFLATE.concurrencyLimit}`, deflate: TUNNEL_PER_MESSAGE_DEFLATE, threshold: TUNNEL_COMPRESSION_THRESHOLD },
  variant('level 1, every message compressed', { level: 1 }, 15, 0),
  variant('level 1, below 1024 B raw', { level: 1 }, 15, 1024),
  variant('level 3', { level: 3 }),
  variant('level 6 (zlib default)', { level: 6 }),
  variant('level 1, window 2^13', { level: 1 }, 13),
  variant('level 1, window 2^11, memLevel 6', { level: 1, memLevel: 6 }, 11),
  variant('level 1, window 2^10, memLevel 4', { level: 1, memLevel: 4 }, 10),
  variant('level 1, no context takeover', { level: 1 }, 15, TUNNEL_COMPRESSION_THRESHOLD, { serverNoContextTakeover: true }),
  variant('level 1, concurrency limit 1', { level: 1 }, 15, TUNNEL_COMPRESSION_THRESHOLD, { concurrencyLimit: 1 }),
  variant('level 1, concurrency limit 10 (ws default)', { level: 1 }, 15, TUNNEL_COMPRESSION_THRESHOLD, { concurrencyLimit: 10 }),
];

const children: ChildProcess[] = [];
function stopChildren(): void {
  for (const c of children) if (c.exitCode === null && c.signalCode === null && c.pid) process.kill(c.pid, 'SIGKILL');
}

const progress = (msg: string): void => {
  process.stderr.write(`[bench/console-deflate] ${msg}\n`);
};
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const percentile = (values: number[], p: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
};

// ---------- 1. the recording ----------
async function record(dir: string): Promise<Recording> {
  const vm = await startBenchVm(dir, (p) => children.push(p));
  const guacd = createGuacd({ host: '127.0.0.1', port: 0 });
  const { port } = await guacd.start();
  const key = randomBytes(32);
  const http = createServer((_req, res) => res.writeHead(404).end());
  const lite = new GuacamoleLite(
    { server: http, path: '/tunnel', perMessageDeflate: false },
    { host: '127.0.0.1', port },
    { crypt: { cypher: 'AES-256-CBC', key }, log: { level: 10 } },
  );
  for (const h of [lite.sigTermHandler, lite.sigIntHandler]) if (h) process.removeListener('SIGTERM', h).removeListener('SIGINT', h);
  lite.on('error', () => undefined);
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  try {
    await sleep(3000); // SeaBIOS reaches the boot sector
    const url = `ws://127.0.0.1:${(http.address() as AddressInfo).port}/tunnel?token=${encodeURIComponent(liteToken(key, vm.vncPort))}&width=1024&height=768&dpi=96`;
    const ws = new WebSocket(url, 'guacamole', { perMessageDeflate: false });
    await once(ws, 'open');
    const t0 = performance.now();
    const messages: [number, string][] = [];
    let firstFrameEnd = -1;
    const parser = new Parser();
    ws.on('message', (data: Buffer) => {
      messages.push([performance.now() - t0, data.toString()]);
      for (const ins of parser.push(data)) {
        if (ins.opcode !== 'sync') continue;
        if (firstFrameEnd < 0) firstFrameEnd = messages.length - 1;
        ws.send(`4.sync,${ins.args[0]!.length}.${ins.args[0]};`);
      }
    });
    await sleep(STATIC_MS);
    const changingFrom = messages.length;
    await vm.startAnimation();
    await sleep(CHANGING_MS);
    ws.close();
    if (firstFrameEnd < 0) throw new Error('no frame arrived');
    return { messages, firstFrameEnd, changingFrom };
  } finally {
    lite.close();
    await guacd.stop();
    http.closeAllConnections();
    http.close();
    await vm.quit();
  }
}

// ---------- 2. the replay server (child process) ----------
interface ReplayReport {
  cpuMs: number;
  wallMs: number;
  rssIdle: number;
  rssSessions: number;
  /** Per session: wire bytes written after the upgrade until the first frame's `sync`, and in all. */
  firstFrameBytes: number[];
  totalBytes: number[];
  changingBytes: number[];
  lateMs: number[];
  extensions: string[];
}

async function serve(recordingPath: string, candidate: Candidate): Promise<void> {
  const rec = JSON.parse(readFileSync(recordingPath, 'utf8')) as Recording;
  const http = createServer((_req, res) => res.writeHead(404).end());
  const wss = new WebSocketServer({
    server: http,
    perMessageDeflate: candidate.deflate,
    maxPayload: 1024 * 1024,
    ...(candidate.threshold > 0 ? { WebSocket: uncompressedBelow(candidate.threshold) } : {}),
  });
  const report: ReplayReport = { cpuMs: 0, wallMs: 0, rssIdle: 0, rssSessions: 0, firstFrameBytes: [], totalBytes: [], changingBytes: [], lateMs: [], extensions: [] };
  const sessions: { ws: WebSocket; socket: Socket; base: number }[] = [];
  wss.on('connection', (ws, req) => {
    ws.on('message', () => undefined);
    ws.on('error', () => undefined);
    sessions.push({ ws, socket: req.socket, base: req.socket.bytesWritten });
    report.extensions.push(`${String(req.headers['sec-websocket-extensions'] ?? '')} → ${String(req.socket.bytesWritten)} B response`);
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  await sleep(500);
  report.rssIdle = process.memoryUsage().rss;
  process.send?.({ port: (http.address() as AddressInfo).port });
  await once(process, 'message');
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  let done = 0;
  await new Promise<void>((resolve) => {
    for (const { ws, socket, base } of sessions) {
      let changingStart = 0;
      rec.messages.forEach(([t, data], i) => {
        const due = start + t;
        setTimeout(() => {
          ws.send(data, () => {
            report.lateMs.push(performance.now() - due);
            if (i === rec.firstFrameEnd) report.firstFrameBytes.push(socket.bytesWritten - base);
            if (i === rec.changingFrom - 1) changingStart = socket.bytesWritten;
            if (i === rec.messages.length - 1) {
              report.totalBytes.push(socket.bytesWritten - base);
              report.changingBytes.push(socket.bytesWritten - changingStart);
              if (++done === sessions.length) resolve();
            }
          });
        }, t);
      });
    }
  });
  const cpu = process.cpuUsage(cpu0);
  report.cpuMs = (cpu.user + cpu.system) / 1000;
  report.wallMs = performance.now() - start;
  report.rssSessions = process.memoryUsage().rss;
  process.send?.(report);
  process.once('message', () => process.exit(0));
}

async function replay(recordingPath: string, candidate: Candidate): Promise<ReplayReport> {
  const child = fork(import.meta.filename, ['serve', recordingPath, JSON.stringify(candidate)], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  children.push(child);
  const [{ port }] = (await once(child, 'message')) as [{ port: number }];
  const clients: WebSocket[] = [];
  for (let i = 0; i < SESSIONS; i++) {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/`, 'guacamole');
    const parser = new Parser();
    ws.on('message', (data: Buffer) => {
      for (const ins of parser.push(data)) if (ins.opcode === 'sync') ws.send(`4.sync,${ins.args[0]!.length}.${ins.args[0]};`);
    });
    clients.push(ws);
  }
  await Promise.all(clients.map((c) => once(c, 'open')));
  const reported = once(child, 'message') as Promise<[ReplayReport]>;
  child.send('start');
  const [report] = await reported;
  for (const c of clients) c.terminate();
  child.send('exit');
  await once(child, 'exit');
  return report;
}

// ---------- main ----------
async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'ec-bench-deflate-'));
  try {
    progress('recording one console session from the gateway');
    const rec = await record(dir);
    const path = join(dir, 'recording.json');
    writeFileSync(path, JSON.stringify(rec));
    const sizes = rec.messages.map(([, m]) => Buffer.byteLength(m));
    const payload = sizes.reduce((a, b) => a + b, 0);
    const changingPayload = sizes.slice(rec.changingFrom).reduce((a, b) => a + b, 0);
    const under = (n: number): string => `${((sizes.filter((s) => s < n).length / sizes.length) * 100).toFixed(0)} %`;
    console.log(`\nRecording: ${rec.messages.length} messages, ${(payload / 1024).toFixed(1)} KiB of payload; first frame ${sizes.slice(0, rec.firstFrameEnd + 1).reduce((a, b) => a + b, 0)} B in ${rec.firstFrameEnd + 1} messages; changing screen ${(changingPayload / 1024 / (CHANGING_MS / 1000)).toFixed(1)} KiB/s in ${((rec.messages.length - rec.changingFrom) / (CHANGING_MS / 1000)).toFixed(0)} messages/s; messages under 64 / 128 / 1024 B: ${under(64)} / ${under(128)} / ${under(1024)}`);
    console.log(`\nReplayed to ${SESSIONS} sessions at once, paced as recorded (${((STATIC_MS + CHANGING_MS) / 1000).toFixed(0)} s), one child process per setting:\n`);
    console.log('| setting | first frame, wire B | changing screen, wire KiB/s per session | server CPU, % of a core (50 sessions) | RSS per session | message → socket p50 / p99 |');
    console.log('|---|---|---|---|---|---|');
    for (const c of CANDIDATES) {
      progress(c.name);
      const r = await replay(path, c);
      const median = (v: number[]): number => percentile(v, 50);
      const seconds = (rec.messages.at(-1)![0] - rec.messages[rec.changingFrom]![0]) / 1000;
      console.log(`| ${c.name} | ${median(r.firstFrameBytes)} | ${(median(r.changingBytes) / 1024 / seconds).toFixed(1)} | ${((r.cpuMs / r.wallMs) * 100).toFixed(1)} | ${((r.rssSessions - r.rssIdle) / SESSIONS / 1024).toFixed(0)} KiB | ${percentile(r.lateMs, 50).toFixed(1)} / ${percentile(r.lateMs, 99).toFixed(1)} ms |`);
      if (process.env.BENCH_DEBUG) progress(`negotiated: ${r.extensions[0]}`);
    }
  } finally {
    stopChildren();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === 'serve') {
  await serve(process.argv[3]!, JSON.parse(process.argv[4]!) as Candidate);
} else {
  const watchdog = setTimeout(() => {
    console.error('bench/console-deflate: gave up after 10 minutes');
    stopChildren();
    process.exit(1);
  }, 600_000);
  watchdog.unref();
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      stopChildren();
      process.exit(130);
    });
  }
  await main();
  process.exit(0);
}
