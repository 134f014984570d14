/**
 * A real TigerVNC server (Xvnc, package tigervnc-standalone-server) for tests: an X display of its own
 * (picked by the X server with -displayfd), RFB on a free TCP port of 127.0.0.1 only, security None or
 * VncAuth with a password file written by our own DES helper (the same bytes as `vncpasswd -f`).
 * X clients (xclip, xdotool, xev) run against it with `DISPLAY` set; everything started here, Xvnc last,
 * is stopped by PID on stop(), and the temporary directory is removed.
 *
 * TigerVNC 1.12 and the clipboard, as used by the tests: a ClientCutText is read as ISO 8859-1, CR LF
 * becomes LF, and Xvnc then owns CLIPBOARD and PRIMARY (SetPrimary=1). When an X client takes CLIPBOARD
 * (or PRIMARY, SendPrimary=1), Xvnc fetches the text and sends it to every client as ServerCutText,
 * converted to ISO 8859-1 ('?' for anything else), unless the client announced the Extended Clipboard
 * pseudo-encoding, which our RFB client never does.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { freePort } from './free-port.js';
import { vncDesResponse } from './vnc-des.js';

/** The fixed key VNC password files are DES-encrypted with (vncauth.c). */
const PASSWORD_FILE_KEY = String.fromCharCode(23, 82, 107, 6, 35, 78, 88, 7);
const START_ATTEMPTS = 5;
const STOP_GRACE_MS = 5000;

export interface XvncOptions {
  /** VncAuth with this password (only its first 8 characters count); security type None without one. */
  readonly password?: string;
  readonly width?: number;
  readonly height?: number;
}

export interface XResult {
  readonly code: number | null;
  readonly stdout: Buffer;
  readonly stderr: string;
}

export interface Xvnc {
  /** The RFB port on 127.0.0.1. */
  readonly port: number;
  /** The X display, e.g. ":3". */
  readonly display: string;
  /** The environment for X clients of this display. */
  readonly env: NodeJS.ProcessEnv;
  /** Runs an X client to its end (killed after `timeoutMs`). */
  run(command: string, args: readonly string[], input?: string | Buffer, timeoutMs?: number): Promise<XResult>;
  /** Starts a long-running X client (a selection owner, an event reader); stop() kills it if it still runs. */
  spawn(command: string, args: readonly string[]): ChildProcess;
  stop(): Promise<void>;
}

export function xvncAvailable(): boolean {
  return ['Xvnc', 'xclip', 'xdotool', 'xev'].every((c) => spawnSync('which', [c]).status === 0);
}

/** The contents of a VNC password file for `password` (what `vncpasswd -f` writes). */
export function vncPasswordFile(password: string): Buffer {
  const padded = Buffer.alloc(8);
  padded.write(password.slice(0, 8), 'latin1');
  return vncDesResponse(padded, PASSWORD_FILE_KEY);
}

async function stopProcess(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null || !proc.pid) return;
  const exited = once(proc, 'exit');
  process.kill(proc.pid, 'SIGTERM');
  const timer = setTimeout(() => {
    if (proc.exitCode === null && proc.signalCode === null && proc.pid) process.kill(proc.pid, 'SIGKILL');
  }, STOP_GRACE_MS);
  await exited;
  clearTimeout(timer);
}

/** Resolves with the display number Xvnc writes to -displayfd once it is ready, or rejects when it exits first. */
function displayNumber(proc: ChildProcess, log: () => string): Promise<number> {
  return new Promise((resolve, reject) => {
    let text = '';
    const fd = proc.stdio[3] as Readable;
    const onExit = (): void => reject(new Error(`Xvnc exited (${proc.exitCode ?? proc.signalCode}): ${log()}`));
    fd.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      if (!text.includes('\n')) return;
      proc.off('exit', onExit);
      resolve(Number.parseInt(text, 10));
    });
    proc.once('exit', onExit);
  });
}

/** True once something on `port` greets like an RFB server. */
function rfbGreets(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('data', (d) => {
      socket.destroy();
      resolve(d.toString('latin1').startsWith('RFB '));
    });
    socket.once('error', () => resolve(false));
    socket.once('close', () => resolve(false));
  });
}

async function launch(dir: string, options: XvncOptions): Promise<{ proc: ChildProcess; port: number; display: number }> {
  const port = await freePort();
  const security = options.password === undefined
    ? ['-SecurityTypes', 'None']
    : ['-SecurityTypes', 'VncAuth', '-PasswordFile', join(dir, 'passwd')];
  // -interface alone binds 127.0.0.1; -localhost would add [::1] as well.
  const proc = spawn('Xvnc', [
    '-displayfd', '3', '-rfbport', String(port), '-interface', '127.0.0.1', '-nolisten', 'tcp',
    '-geometry', `${options.width ?? 800}x${options.height ?? 600}`, '-depth', '24', '-desktop', 'earcandle-test',
    ...security,
  ], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe', 'pipe'] });
  let log = '';
  proc.stderr!.on('data', (d: Buffer) => {
    log += d.toString();
  });
  try {
    const display = await displayNumber(proc, () => log);
    for (let i = 0; i < 100; i++) {
      if (await rfbGreets(port)) return { proc, port, display };
      if (proc.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`Xvnc does not answer on port ${port}: ${log}`);
  } catch (err) {
    await stopProcess(proc);
    throw err;
  }
}

export async function startXvnc(options: XvncOptions = {}): Promise<Xvnc> {
  const dir = mkdtempSync(join(tmpdir(), 'ec-xvnc-'));
  chmodSync(dir, 0o700);
  if (options.password !== undefined) writeFileSync(join(dir, 'passwd'), vncPasswordFile(options.password), { mode: 0o600 });
  let started: { proc: ChildProcess; port: number; display: number } | undefined;
  // The port was free a moment ago; another process may take it before Xvnc binds, so try again.
  for (let attempt = 1; !started; attempt++) {
    try {
      started = await launch(dir, options);
    } catch (err) {
      if (attempt >= START_ATTEMPTS) {
        rmSync(dir, { recursive: true, force: true });
        throw err;
      }
    }
  }
  const { proc, port } = started;
  const display = `:${started.display}`;
  const env: NodeJS.ProcessEnv = { ...process.env, DISPLAY: display };
  delete env.XAUTHORITY;
  const clients = new Set<ChildProcess>();
  const startClient = (command: string, args: readonly string[]): ChildProcess => {
    const child = spawn(command, args, { env, cwd: dir, stdio: ['pipe', 'pipe', 'pipe'] });
    clients.add(child);
    child.once('exit', () => clients.delete(child));
    child.on('error', () => {});
    return child;
  };
  return {
    port,
    display,
    env,
    spawn: startClient,
    run(command, args, input, timeoutMs = 5000) {
      return new Promise((resolve, reject) => {
        const child = startClient(command, args);
        const out: Buffer[] = [];
        let stderr = '';
        child.stdout!.on('data', (d: Buffer) => out.push(d));
        child.stderr!.on('data', (d: Buffer) => {
          stderr += d.toString();
        });
        const timer = setTimeout(() => {
          if (child.pid && child.exitCode === null) process.kill(child.pid, 'SIGKILL');
        }, timeoutMs);
        child.once('error', (err) => {
          clearTimeout(timer);
          reject(err);
        });
        child.once('close', (code) => {
          clearTimeout(timer);
          resolve({ code, stdout: Buffer.concat(out), stderr });
        });
        child.stdin!.on('error', () => {});
        child.stdin!.end(input);
      });
    },
    async stop() {
      await Promise.all([...clients].map(stopProcess));
      await stopProcess(proc);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
