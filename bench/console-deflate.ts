/**
 * bench/console-deflate: which permessage-deflate settings suit the console tunnel (src/console/tunnel-websocket.ts).
 *
 * 1. Records what guacamole-lite sends Chromium (guacamole-common-js, bench/console's page), message by message
 *    with its time, from the gateway (built-in guacd + guacamole-lite, uncompressed) on bench/console's QEMU VM:
 *    the static first screen, then 10 s of the fully changing text screen; once as guacamole-lite sends it (a
 *    message per instruction) and once as the tunnel's batchedPerTick passes it on (a message per guacd read).
 * 2. Replays that recording, paced as recorded, to 50 WebSocket clients at once (ws clients offering
 *    permessage-deflate as Chromium does, answering every `sync`) from a child process per candidate setting,
 *    which reports the bytes it wrote to each TCP socket after the upgrade (frames included), its CPU time and
 *    how late messages reached the socket; beside them zlib's own figure for its deflate state.
 *
 * Run: npx tsx bench/console-deflate.ts      (under flock /tmp/earcandle-bench.lock; ~4 minutes)
 *      BENCH_ONLY=<regexp> runs only the settings whose name matches.
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
import { chromium } from 'playwright-core';
import { createGuacd, Parser } from '../guacamole/index.js';
import { batchedPerTick, TUNNEL_COMPRESSION_THRESHOLD, TUNNEL_PER_MESSAGE_DEFLATE, uncompressedBelow } from '../src/console/index.js';
import { CHROMIUM_ARGS, closeSession, firstPaint, openSession, startStatic } from './console-browser.js';
import { liteToken, startBenchVm } from './console-vm.js';

const SESSIONS = 50;
const STATIC_MS = 2_000;
const CHANGING_MS = 10_000;
const STAGGER_MS = 20;

/** One session's messages to the browser. */
interface Stream {
  /** [ms since the WebSocket opened, message] */
  messages: [number, string][];
  /** Index of the message that closes the first frame (the first `sync` after an `img`). */
  firstFrameEnd: number;
  /** Index of the first message after the screen started changing. */
  changingFrom: number;
}

/** The same session twice: as guacamole-lite sends it (one message per instruction), and as the tunnel batches it. */
interface Recording {
  perInstruction: Stream;
  batched: Stream;
}

interface Candidate {
  name: string;
  stream: keyof Recording;
  deflate: PerMessageDeflateOptions | false;
  /** Messages shorter than this go uncompressed (0: every message is compressed). */
  threshold: number;
}

const product = TUNNEL_PER_MESSAGE_DEFLATE.zlibDeflateOptions!;
/** The product's setting with some of it changed. */
const variant = (name: string, zlib: { level?: number; memLevel?: number }, o: { windowBits?: number; threshold?: number; more?: PerMessageDeflateOptions } = {}): Candidate => ({
  name,
  stream: 'batched',
  deflate: { ...TUNNEL_PER_MESSAGE_DEFLATE, zlibDeflateOptions: { ...product, ...zlib }, serverMaxWindowBits: o.windowBits ?? TUNNEL_PER_MESSAGE_DEFLATE.serverMaxWindowBits, ...o.more },
  threshold: o.threshold ?? TUNNEL_COMPRESSION_THRESHOLD,
});

const CANDIDATES: Candidate[] = [
  { name: 'before: uncompressed, a message per instruction', stream: 'perInstruction', deflate: false, threshold: 0 },
  { name: 'uncompressed, batched per event-loop turn', stream: 'batched', deflate: false, threshold: 0 },
  { name: 'product settings, a message per instruction', stream: 'perInstruction', deflate: TUNNEL_PER_MESSAGE_DEFLATE, threshold: TUNNEL_COMPRESSION_THRESHOLD },
  { name: `product: batched; level ${product.level}, window 2^${TUNNEL_PER_MESSAGE_DEFLATE.serverMaxWindowBits}, memLevel ${product.memLevel}, under ${TUNNEL_COMPRESSION_THRESHOLD} B raw, concurrency limit ${TUNNEL_PER_MESSAGE_DEFLATE.concurrencyLimit}`, stream: 'batched', deflate: TUNNEL_PER_MESSAGE_DEFLATE, threshold: TUNNEL_COMPRESSION_THRESHOLD },
  variant('every message compressed', {}, { threshold: 0 }),
  variant('under 1024 B raw', {}, { threshold: 1024 }),
  variant('level 3', { level: 3 }),
  variant('level 6 (zlib default)', { level: 6 }),
  variant('window 2^15 (ws default)', {}, { windowBits: 15 }),
  variant('memLevel 8 (zlib default)', { memLevel: 8 }),
  variant('window 2^11, memLevel 6', { memLevel: 6 }, { windowBits: 11 }),
  variant('window 2^10, memLevel 4', { memLevel: 4 }, { windowBits: 10 }),
  variant('no context takeover', {}, { more: { serverNoContextTakeover: true } }),
  variant('concurrency limit 1', {}, { more: { concurrencyLimit: 1 } }),
  variant('concurrency limit 10 (ws default)', {}, { more: { concurrencyLimit: 10 } }),
];

const children: ChildProcess[] = [];
let workDir: string | undefined;
function stopChildren(): void {
  for (const c of children) if (c.exitCode === null && c.signalCode === null && c.pid) process.kill(c.pid, 'SIGKILL');
  if (workDir) rmSync(workDir, { recursive: true, force: true });
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
type SendArgs = Parameters<WebSocket['send']>;
type SendCallback = (err?: Error) => void;
type SendOptions = Exclude<SendArgs[1], SendCallback | undefined>;

/** A WebSocket class that notes every message it is asked to send (under batchedPerTick: every batch). */
function notingSends(into: (data: string) => void): typeof WebSocket {
  return class NotingSends extends WebSocket {
    override send(data: SendArgs[0], options?: SendOptions | SendCallback, cb?: SendCallback): void {
      into(String(data));
      if (typeof options === 'function') super.send(data, options);
      else super.send(data, options ?? {}, cb);
    }
  };
}

/** The index of the message holding the first `sync` after the first `img`. */
function firstFrameEnd(messages: [number, string][]): number {
  let seenImage = false;
  for (const [i, [, m]] of messages.entries()) {
    const img = seenImage ? 0 : m.indexOf('3.img,');
    if (img >= 0) seenImage = true;
    if (seenImage && m.indexOf('4.sync,', img) >= 0) return i;
  }
  throw new Error('no frame arrived');
}

/**
 * Chromium (guacamole-common-js) on the gateway, in-process and uncompressed; every message it is sent, timed,
 * both as guacamole-lite sends it and as the tunnel's batchedPerTick passes it on.
 */
async function record(dir: string): Promise<Recording> {
  const vm = await startBenchVm(dir, (p) => children.push(p));
  const guacd = createGuacd({ host: '127.0.0.1', port: 0 });
  const { port } = await guacd.start();
  const key = randomBytes(32);
  const http = createServer((_req, res) => res.writeHead(404).end());
  let t0 = 0;
  const perInstruction: [number, string][] = [];
  const batched: [number, string][] = [];
  const lite = new GuacamoleLite(
    { server: http, path: '/tunnel', perMessageDeflate: false, WebSocket: batchedPerTick(notingSends((m) => batched.push([performance.now() - t0, m]))) },
    { host: '127.0.0.1', port },
    { crypt: { cypher: 'AES-256-CBC', key }, log: { level: 10 } },
  );
  for (const h of [lite.sigTermHandler, lite.sigIntHandler]) if (h) process.removeListener('SIGTERM', h).removeListener('SIGINT', h);
  lite.on('error', () => undefined);
  lite.webSocketServer.on('connection', (ws: WebSocket) => {
    t0 = performance.now();
    const send = ws.send.bind(ws) as (...args: SendArgs) => void;
    ws.send = ((...args: SendArgs) => {
      perInstruction.push([performance.now() - t0, String(args[0])]);
      send(...args);
    }) as typeof ws.send;
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  const statics = await startStatic();
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS });
  try {
    await sleep(3000); // SeaBIOS reaches the boot sector
    const ws = `ws://127.0.0.1:${(http.address() as AddressInfo).port}/tunnel`;
    const session = await openSession(browser, `http://127.0.0.1:${(statics.address() as AddressInfo).port}/guac.html?ws=${encodeURIComponent(ws)}&token=${encodeURIComponent(liteToken(key, vm.vncPort))}`);
    await firstPaint(session.page);
    await sleep(STATIC_MS);
    const changingFrom = { perInstruction: perInstruction.length, batched: batched.length };
    await vm.startAnimation();
    await sleep(CHANGING_MS);
    await closeSession(session);
    const stream = (messages: [number, string][], from: number): Stream => ({ messages: messages.slice(), firstFrameEnd: firstFrameEnd(messages), changingFrom: from });
    return { perInstruction: stream(perInstruction, changingFrom.perInstruction), batched: stream(batched, changingFrom.batched) };
  } finally {
    await browser.close();
    statics.closeAllConnections();
    statics.close();
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
  /** Per session: wire bytes written after the upgrade until the first frame's `sync`, and in all. */
  firstFrameBytes: number[];
  totalBytes: number[];
  changingBytes: number[];
  lateMs: number[];
  extensions: string[];
}

async function serve(recordingPath: string, candidate: Candidate): Promise<void> {
  const rec = (JSON.parse(readFileSync(recordingPath, 'utf8')) as Recording)[candidate.stream];
  const http = createServer((_req, res) => res.writeHead(404).end());
  const wss = new WebSocketServer({
    server: http,
    perMessageDeflate: candidate.deflate,
    maxPayload: 1024 * 1024,
    ...(candidate.threshold > 0 ? { WebSocket: uncompressedBelow(candidate.threshold) } : {}),
  });
  const report: ReplayReport = { cpuMs: 0, wallMs: 0, firstFrameBytes: [], totalBytes: [], changingBytes: [], lateMs: [], extensions: [] };
  const sessions: { ws: WebSocket; socket: Socket; base: number }[] = [];
  wss.on('connection', (ws, req) => {
    ws.on('message', () => undefined);
    ws.on('error', () => undefined);
    sessions.push({ ws, socket: req.socket, base: req.socket.bytesWritten });
    report.extensions.push(`${String(req.headers['sec-websocket-extensions'] ?? '')} → ${String(req.socket.bytesWritten)} B response`);
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  process.send?.({ port: (http.address() as AddressInfo).port });
  await once(process, 'message');
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  let done = 0;
  await new Promise<void>((resolve) => {
    // Sessions start STAGGER_MS apart, as people do not open their consoles in step.
    const replays = sessions.map((s, k) => ({ ...s, offset: k * STAGGER_MS, next: 0, changingStart: 0 }));
    const tick = (): void => {
      const now = performance.now() - start;
      for (const r of replays) {
        for (; r.next < rec.messages.length && r.offset + rec.messages[r.next]![0] <= now; r.next++) {
          const i = r.next;
          const due = start + r.offset + rec.messages[i]![0];
          r.ws.send(rec.messages[i]![1], () => {
            report.lateMs.push(performance.now() - due);
            if (i === rec.firstFrameEnd) report.firstFrameBytes.push(r.socket.bytesWritten - r.base);
            if (i === rec.changingFrom - 1) r.changingStart = r.socket.bytesWritten;
            if (i === rec.messages.length - 1) {
              report.totalBytes.push(r.socket.bytesWritten - r.base);
              report.changingBytes.push(r.socket.bytesWritten - r.changingStart);
              if (++done === replays.length) resolve();
            }
          });
        }
      }
      if (replays.some((r) => r.next < rec.messages.length)) setTimeout(tick, 1);
    };
    tick();
  });
  const cpu = process.cpuUsage(cpu0);
  report.cpuMs = (cpu.user + cpu.system) / 1000;
  report.wallMs = performance.now() - start;
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

/**
 * zlib's own figure for a deflate stream (zconf.h): (1 << (windowBits + 2)) + (1 << (memLevel + 9)) bytes. Measured
 * RSS per session moved by more than the differences between settings (malloc, V8's young generation), so the
 * table gives the allocation; bench/console measures RSS with 50 real sessions.
 */
function deflateMemory(c: Candidate): string {
  if (!c.deflate) return '—';
  const windowBits = c.deflate.serverMaxWindowBits ?? 15;
  const memLevel = c.deflate.zlibDeflateOptions?.memLevel ?? 8;
  return `${((1 << (windowBits + 2)) + (1 << (memLevel + 9))) / 1024} KiB`;
}

function describeStream(name: string, rec: Stream): void {
  const sizes = rec.messages.map(([, m]) => Buffer.byteLength(m));
  const payload = sizes.reduce((a, b) => a + b, 0);
  const changingPayload = sizes.slice(rec.changingFrom).reduce((a, b) => a + b, 0);
  const under = (n: number): string => `${((sizes.filter((s) => s < n).length / sizes.length) * 100).toFixed(0)} %`;
  console.log(`\nRecording, ${name}: ${rec.messages.length} messages, ${(payload / 1024).toFixed(1)} KiB of payload; first frame ${sizes.slice(0, rec.firstFrameEnd + 1).reduce((a, b) => a + b, 0)} B in ${rec.firstFrameEnd + 1} messages; changing screen ${(changingPayload / 1024 / (CHANGING_MS / 1000)).toFixed(1)} KiB/s in ${((rec.messages.length - rec.changingFrom) / (CHANGING_MS / 1000)).toFixed(0)} messages/s; messages under 64 / 128 / 1024 B: ${under(64)} / ${under(128)} / ${under(1024)}`);
  const byOpcode = new Map<string, { n: number; bytes: number }>();
  for (const [, m] of rec.messages) {
    const opcode = /^\d+\.([^,;]*)/.exec(m)?.[1] ?? '?';
    const o = byOpcode.get(opcode) ?? { n: 0, bytes: 0 };
    o.n++;
    o.bytes += Buffer.byteLength(m);
    byOpcode.set(opcode, o);
  }
  console.log(`Messages by their first opcode: ${[...byOpcode].sort((a, b) => b[1].bytes - a[1].bytes).map(([op, o]) => `${op || '(ready)'} ${o.n} (${(o.bytes / 1024).toFixed(1)} KiB)`).join(', ')}`);
}

// ---------- main ----------
async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'ec-bench-deflate-'));
  workDir = dir;
  try {
    progress('recording one console session from the gateway');
    const rec = await record(dir);
    const path = join(dir, 'recording.json');
    writeFileSync(path, JSON.stringify(rec));
    for (const [name, stream] of Object.entries(rec)) describeStream(name, stream);
    console.log(`\nReplayed to ${SESSIONS} sessions at once, paced as recorded (${((STATIC_MS + CHANGING_MS) / 1000).toFixed(0)} s), one child process per setting:\n`);
    console.log('| setting | first frame, wire B | changing screen, wire KiB/s per session | server CPU, % of a core (50 sessions) | zlib deflate state per session | message → socket p50 / p99 |');
    console.log('|---|---|---|---|---|---|');
    const only = process.env.BENCH_ONLY ? new RegExp(process.env.BENCH_ONLY) : undefined;
    for (const c of CANDIDATES.filter((x) => !only || only.test(x.name))) {
      progress(c.name);
      const r = await replay(path, c);
      const median = (v: number[]): number => percentile(v, 50);
      const stream = rec[c.stream];
      const seconds = (stream.messages.at(-1)![0] - stream.messages[stream.changingFrom]![0]) / 1000;
      console.log(`| ${c.name} | ${median(r.firstFrameBytes)} | ${(median(r.changingBytes) / 1024 / seconds).toFixed(1)} | ${((r.cpuMs / r.wallMs) * 100).toFixed(1)} | ${deflateMemory(c)} | ${percentile(r.lateMs, 50).toFixed(1)} / ${percentile(r.lateMs, 99).toFixed(1)} ms |`);
      if (process.env.BENCH_DEBUG) progress(`negotiated: ${r.extensions[0]}`);
    }
  } finally {
    stopChildren();
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
