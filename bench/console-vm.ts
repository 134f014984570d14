/**
 * The console benchmarks' VM: QEMU with a password-protected VNC server booting a 512-byte floppy boot sector
 * that waits for a key (the static SeaBIOS text screen), then, after `startAnimation`, adds one to every one of
 * the 2,000 text cells every 100 ms (a fully changing screen at 10 changes/s, repeatable). Also the
 * guacamole-lite token that points the gateway at it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createCipheriv, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { Qmp } from '../test/helpers/qemu.js';

export const VNC_PASSWORD = 'bench-pw';

/**
 * Boot sector (16-bit real mode): wait for a key (int 16h), then forever: increment every character of
 * the 80×25 text screen at B800:0000, wait 100 ms (int 15h AH=86h).
 */
const BOOT_CODE = [
  0x31, 0xc0, //             xor ax, ax
  0xcd, 0x16, //             int 16h            ; wait for a key
  0xb8, 0x00, 0xb8, //       mov ax, 0xB800
  0x8e, 0xc0, //             mov es, ax
  0x31, 0xff, //       top:  xor di, di
  0x26, 0xfe, 0x05, // cell: inc byte [es:di]
  0x83, 0xc7, 0x02, //       add di, 2
  0x81, 0xff, 0xa0, 0x0f, // cmp di, 4000
  0x72, 0xf4, //             jb cell
  0xb4, 0x86, //             mov ah, 86h
  0xb9, 0x01, 0x00, //       mov cx, 1          ; CX:DX = 0x186A0 µs = 100 ms
  0xba, 0xa0, 0x86, //       mov dx, 0x86A0
  0xcd, 0x15, //             int 15h
  0xeb, 0xe6, //             jmp top
];

export interface BenchVm {
  vncPort: number;
  qmp: Qmp;
  proc: ChildProcess;
  /** Presses a key: the boot sector starts rewriting the screen. */
  startAnimation(): Promise<void>;
  quit(): Promise<void>;
}

async function freeVncDisplay(): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const n = 100 + Math.floor(Math.random() * 4000);
    const free = await new Promise<boolean>((resolve) => {
      const s = createServer();
      s.once('error', () => resolve(false));
      s.listen(5900 + n, '127.0.0.1', () => s.close(() => resolve(true)));
    });
    if (free) return n;
  }
  throw new Error('no free VNC display');
}

/** Starts the VM in `dir` (the caller removes it); `onSpawn` gets the process at once, to stop it by PID. */
export async function startBenchVm(dir: string, onSpawn: (proc: ChildProcess) => void): Promise<BenchVm> {
  const image = Buffer.alloc(1474560);
  Buffer.from(BOOT_CODE).copy(image);
  image[510] = 0x55;
  image[511] = 0xaa;
  const imagePath = join(dir, 'boot.img');
  writeFileSync(imagePath, image);
  const display = await freeVncDisplay();
  const qmpPath = join(dir, 'qmp.sock');
  const proc = spawn('qemu-system-x86_64', [
    '-nodefaults', '-vga', 'std', '-display', 'none', '-m', '32', '-drive', `file=${imagePath},format=raw,if=floppy`,
    '-vnc', `127.0.0.1:${display},password=on,connections=64`, '-qmp', `unix:${qmpPath},server,nowait`,
  ], { stdio: 'ignore' });
  onSpawn(proc);
  let qmp: Qmp | undefined;
  for (let i = 0; i < 200 && !qmp; i++) {
    try {
      qmp = await Qmp.connect(qmpPath);
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  if (!qmp) throw new Error('QEMU did not start');
  await qmp.execute('change-vnc-password', { password: VNC_PASSWORD });
  const q = qmp;
  return {
    vncPort: 5900 + display,
    qmp: q,
    proc,
    startAnimation: async () => {
      await q.execute('send-key', { keys: [{ type: 'qcode', data: 'ret' }] });
    },
    quit: async () => {
      await q.execute('quit').catch(() => undefined);
      q.close();
    },
  };
}

/** guacamole-lite's token: base64(JSON{iv, value: AES-256-CBC(JSON payload)}). */
export function liteToken(key: Buffer, vncPort: number): string {
  const iv = randomBytes(16);
  const payload = { connection: { type: 'vnc', settings: { hostname: '127.0.0.1', port: String(vncPort), password: VNC_PASSWORD, audio: [] } } };
  const cipher = createCipheriv('aes-256-cbc', key, iv);
  const value = Buffer.concat([cipher.update(JSON.stringify(payload), 'utf8'), cipher.final()]).toString('base64');
  return Buffer.from(JSON.stringify({ iv: iv.toString('base64'), value })).toString('base64');
}
