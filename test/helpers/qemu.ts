/**
 * QEMU as a stand-in VM for VNC tests (test-components.md §3): started on a free display number,
 * driven over QMP, killed by PID, its temp directory removed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, chmodSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

export function qemuAvailable(): boolean {
  return spawnSync('qemu-system-x86_64', ['--version']).status === 0;
}

async function portFree(port: number): Promise<boolean> {
  const srv = createServer();
  return new Promise((resolve) => {
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/** A display number N whose TCP port 5900+N is free right now. */
async function freeDisplay(): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const n = 100 + Math.floor(Math.random() * 4000);
    if (await portFree(5900 + n)) return n;
  }
  throw new Error('no free VNC display number');
}

export class Qmp {
  private buf = '';
  private waiters: ((line: unknown) => void)[] = [];
  private constructor(private readonly socket: Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => {
      this.buf += d;
      let i: number;
      while ((i = this.buf.indexOf('\n')) >= 0) {
        const line = this.buf.slice(0, i).trim();
        this.buf = this.buf.slice(i + 1);
        if (!line) continue;
        const msg = JSON.parse(line) as Record<string, unknown>;
        if ('event' in msg) continue;
        this.waiters.shift()?.(msg);
      }
    });
  }

  static async connect(path: string): Promise<Qmp> {
    const socket = connect(path);
    await once(socket, 'connect');
    const qmp = new Qmp(socket);
    await qmp.next(); // greeting
    await qmp.execute('qmp_capabilities');
    return qmp;
  }

  private next(): Promise<unknown> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  async execute(command: string, args?: Record<string, unknown>): Promise<unknown> {
    const reply = this.next();
    this.socket.write(JSON.stringify(args ? { execute: command, arguments: args } : { execute: command }) + '\n');
    const r = (await reply) as { return?: unknown; error?: { desc: string } };
    if (r.error) throw new Error(`QMP ${command}: ${r.error.desc}`);
    return r.return;
  }

  close(): void {
    this.socket.destroy();
  }
}

export interface QemuVm {
  readonly port: number;
  readonly qmp: Qmp;
  stop(): Promise<void>;
}

/** A 1.44 MB floppy image that boots `sector` (test/helpers/boot-sector.ts). */
const FLOPPY_BYTES = 1474560;

export interface QemuOptions {
  /** VNC with password=on (set it over QMP). */
  readonly password?: boolean;
  /** Boot this 512-byte sector from a floppy instead of finding no bootable device. */
  readonly bootSector?: Buffer;
}

/** Starts QEMU with VNC on 127.0.0.1 and QMP on a unix socket; resolves when both answer. */
export async function startQemu(options: QemuOptions = {}): Promise<QemuVm> {
  const dir = mkdtempSync(join(tmpdir(), 'ec-qemu-'));
  chmodSync(dir, 0o755);
  const display = await freeDisplay();
  const qmpPath = join(dir, 'qmp.sock');
  const vnc = `127.0.0.1:${display}${options.password ? ',password=on' : ''}`;
  const drive: string[] = [];
  if (options.bootSector) {
    const image = Buffer.alloc(FLOPPY_BYTES);
    options.bootSector.copy(image);
    writeFileSync(join(dir, 'boot.img'), image);
    drive.push('-drive', `file=${join(dir, 'boot.img')},format=raw,if=floppy`);
  }
  const proc: ChildProcess = spawn('qemu-system-x86_64', [
    '-nodefaults', '-vga', 'std', '-display', 'none', '-m', '64', ...drive, '-vnc', vnc, '-qmp', `unix:${qmpPath},server,nowait`,
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
  const exited = once(proc, 'exit');
  const port = 5900 + display;
  const cleanup = async (): Promise<void> => {
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    let qmp: Qmp | undefined;
    for (let i = 0; i < 100 && !qmp; i++) {
      if (proc.exitCode !== null) throw new Error(`qemu exited: ${stderr}`);
      try {
        qmp = await Qmp.connect(qmpPath);
      } catch {
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    if (!qmp) throw new Error(`QMP did not answer: ${stderr}`);
    const q = qmp;
    return { port, qmp: q, async stop() { q.close(); await cleanup(); } };
  } catch (err) {
    await cleanup();
    throw err;
  }
}
