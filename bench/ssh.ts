/**
 * `cat` of a 10 MB text file through the daemon's SSH terminal, beside the same `cat` over a plain
 * ssh2 pty stream (the floor): time, bytes on the Guacamole wire, glyph-cache hit rate.
 * Needs root (it starts a real sshd on 127.0.0.1 and a temporary user, both removed at the end).
 * Run: node --import tsx bench/ssh.ts [MB]
 */
import { chmodSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import { createGuacd, type GuacTerminal } from '../guacamole/index.js';
import { GuacTestClient, wire } from '../test/helpers/guac-wire.js';
import { startSshd, type Sshd } from '../test/helpers/sshd.js';

const MB = Number(process.argv[2] ?? 10);
const WIDTH = 1024;
const HEIGHT = 768;

/** Deterministic text: lines of 20–100 characters from a small vocabulary, like logs or source. */
function makeText(bytes: number): string {
  const words = ['lorem', 'ipsum', 'dolor', 'sit', 'amet', 'const', 'return', 'function', 'error:', 'INFO', '{', '}', '42', '0x1f', 'path/to/file.ts'];
  let seed = 12345;
  const rand = (n: number): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  const lines: string[] = [];
  let size = 0;
  while (size < bytes) {
    let line = '';
    const target = 20 + rand(80);
    while (line.length < target) line += (line ? ' ' : '') + words[rand(words.length)];
    lines.push(line);
    size += line.length + 1;
  }
  return lines.join('\n') + '\n';
}

async function floor(sshd: Sshd, file: string): Promise<{ ms: number; bytes: number }> {
  const client = new ssh2.Client();
  await new Promise<void>((resolve, reject) => {
    client.on('ready', () => resolve()).on('error', reject);
    client.connect({ host: '127.0.0.1', port: sshd.port, username: sshd.user, password: sshd.password });
  });
  const start = performance.now();
  let bytes = 0;
  await new Promise<void>((resolve, reject) => {
    client.exec(`cat ${file}`, { pty: { term: 'xterm-256color', cols: 102, rows: 40 } }, (err, stream) => {
      if (err) return reject(err);
      stream.on('data', (d: Buffer) => (bytes += d.length));
      stream.on('close', () => resolve());
    });
  });
  const ms = performance.now() - start;
  client.end();
  return { ms, bytes };
}

async function throughDaemon(sshd: Sshd, file: string) {
  let terminal: GuacTerminal | undefined;
  const guacd = createGuacd({ port: 0, ssh: { onTerminal: (t) => (terminal = t) } });
  const { port } = await guacd.start();
  const client = await GuacTestClient.open(port);
  client.send(wire('select', 'ssh'));
  const args = await client.waitFor((i) => i.opcode === 'args');
  const settings: Record<string, string> = { hostname: '127.0.0.1', port: String(sshd.port), username: sshd.user, password: sshd.password };
  client.send(wire('size', WIDTH, HEIGHT, 96) + wire('audio') + wire('video') + wire('image', 'image/png', 'image/jpeg') + wire('timezone'));
  client.send(wire('connect', 'VERSION_1_1_0', ...args.args.slice(1).map((n) => settings[n] ?? '')));
  while (!terminal?.text().some((l) => /\$\s*$/.test(l))) await client.waitFor(() => true, 10000, client.received.length);
  const term = terminal;
  const before = term.glyphStats;
  const framesBefore = term.display.frames;
  let wireBytes = 0;
  client.socket.on('data', (d: Buffer) => (wireBytes += d.length));
  const command = `cat ${file}; echo END-$((40+2))`;
  let keys = '';
  for (const ch of command) keys += wire('key', ch.codePointAt(0)!, 1) + wire('key', ch.codePointAt(0)!, 0);
  client.send(keys);
  // Time from Return to the frame that shows the end marker.
  const start = performance.now();
  client.send(wire('key', 0xff0d, 1) + wire('key', 0xff0d, 0));
  while (!term.text().some((l) => l === 'END-42')) await client.waitFor(() => true, 30000, client.received.length);
  const mark = client.received.length;
  await client.waitFor((i) => i.opcode === 'sync', 10000, mark);
  const ms = performance.now() - start;
  const after = term.glyphStats;
  const stats = {
    ms,
    wireBytes,
    frames: term.display.frames - framesBefore,
    hits: after.hits - before.hits,
    misses: after.misses - before.misses,
    scrolledRows: term.renderStats.scrolledRows,
    cols: term.cols,
    rows: term.rows,
  };
  client.close();
  await guacd.stop();
  return stats;
}

async function main(): Promise<void> {
  const sshd = await startSshd();
  const file = join(tmpdir(), `ec-bench-${process.pid}.txt`);
  try {
    const text = makeText(MB * 1024 * 1024);
    writeFileSync(file, text);
    chmodSync(file, 0o644);
    // Warm up both paths once (sshd, page cache, JIT), then measure.
    await floor(sshd, file);
    const plain = await floor(sshd, file);
    const guac = await throughDaemon(sshd, file);
    const hitRate = guac.hits / Math.max(1, guac.hits + guac.misses);
    const f = (n: number, d = 0): string => n.toFixed(d);
    console.log(`file: ${f(text.length / 1048576, 1)} MiB, ${text.split('\n').length - 1} lines; terminal ${guac.cols}x${guac.rows}`);
    console.log(`plain ssh2 pty stream (floor): ${f(plain.ms)} ms, ${plain.bytes} bytes`);
    console.log(`through the daemon:            ${f(guac.ms)} ms, ${guac.wireBytes} bytes on the Guacamole wire, ${guac.frames} frames`);
    console.log(`time ratio: ${f(guac.ms / plain.ms, 2)}x the floor (target <= 3x); wire bytes ${f((100 * guac.wireBytes) / plain.bytes, 1)}% of the ssh payload`);
    console.log(`glyph cache: ${guac.hits} hits, ${guac.misses} misses, hit rate ${f(100 * hitRate, 2)}%; rows moved by copy: ${guac.scrolledRows}`);
  } finally {
    rmSync(file, { force: true });
    await sshd.stop();
  }
}

await main();
