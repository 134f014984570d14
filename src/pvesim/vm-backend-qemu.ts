import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { QmpClient, type QmpEvent } from './qmp.js';
import type { SimVm } from './state.js';
import type { VmBackend, VncTarget } from './vm-runtime.js';

export const QEMU_BINARY = 'qemu-system-x86_64';
const EVENT_HISTORY = 100;

interface Running {
  readonly child: ChildProcess;
  readonly qmp: QmpClient;
  readonly vncPort: number;
  readonly exited: Promise<void>;
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

async function openQmp(sock: string, child: ChildProcess): Promise<QmpClient> {
  for (let i = 0; i < 250; i++) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error('QEMU exited during start');
    try {
      return await QmpClient.open(sock);
    } catch {
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  throw new Error('QEMU QMP socket did not appear');
}

/**
 * A running VM is a real QEMU: no disk, VNC on loopback with a password set over QMP, power over QMP.
 * `onExit` reports a process that ended by itself (or by `quit`).
 */
export class QemuBackend implements VmBackend {
  private readonly running = new Map<number, Running>();
  /** QMP event names per VM, newest last (at most EVENT_HISTORY), kept across restarts of its QEMU. */
  private readonly events = new Map<number, string[]>();
  private readonly dir = mkdtempSync(path.join(tmpdir(), 'pvesim-qemu-'));

  constructor(private readonly onExit: (vmid: number) => void) {}

  /** The QMP events QEMU reported for a VM (e.g. RESET when the guest reboots after Ctrl-Alt-Del). */
  eventsOf(vmid: number): readonly string[] {
    return this.events.get(vmid) ?? [];
  }

  private recordEvent(vmid: number, event: QmpEvent): void {
    const list = this.events.get(vmid) ?? [];
    list.push(event.event);
    if (list.length > EVENT_HISTORY) list.splice(0, list.length - EVENT_HISTORY);
    this.events.set(vmid, list);
  }

  /** PIDs of the QEMU processes alive now (tests stop them by PID). */
  pids(): number[] {
    return [...this.running.values()].map((r) => r.child.pid!).filter(Boolean);
  }

  async start(vm: SimVm): Promise<void> {
    if (this.running.has(vm.vmid)) return;
    let lastErr: unknown;
    for (let attempt = 0; attempt < 6; attempt++) {
      const display = 200 + Math.floor(Math.random() * 3000);
      if (!(await portFree(5900 + display))) continue;
      try {
        await this.spawnOn(vm, display);
        return;
      } catch (err) {
        lastErr = err;
      }
    }
    throw new Error(`failed to start QEMU for VM ${vm.vmid}: ${lastErr instanceof Error ? lastErr.message : 'no free VNC display'}`);
  }

  private async spawnOn(vm: SimVm, display: number): Promise<void> {
    const sock = path.join(this.dir, `${vm.vmid}-${display}.qmp`);
    const mem = Math.min(64, Math.max(16, Number(vm.config.memory?.replace(/\D.*$/, '')) || 64));
    const child = spawn(
      QEMU_BINARY,
      ['-nodefaults', '-vga', 'std', '-display', 'none', '-m', String(mem), '-name', `vm-${vm.vmid}`, '-vnc', `127.0.0.1:${display},password=on`, '-qmp', `unix:${sock},server,nowait`],
      { stdio: ['ignore', 'ignore', 'ignore'] },
    );
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.once('error', () => undefined);
    let qmp: QmpClient;
    try {
      qmp = await openQmp(sock, child);
    } catch (err) {
      child.kill('SIGKILL');
      throw err;
    }
    qmp.onEvent((event) => this.recordEvent(vm.vmid, event));
    const entry: Running = { child, qmp, vncPort: 5900 + display, exited };
    this.running.set(vm.vmid, entry);
    vm.pid = child.pid;
    void exited.then(() => {
      qmp.close();
      rmSync(sock, { force: true });
      if (this.running.get(vm.vmid) === entry) {
        this.running.delete(vm.vmid);
        this.onExit(vm.vmid);
      }
    });
  }

  private get(vm: SimVm): Running {
    const r = this.running.get(vm.vmid);
    if (!r) throw new Error(`VM ${vm.vmid} not running`);
    return r;
  }

  async kill(vm: SimVm): Promise<void> {
    const r = this.running.get(vm.vmid);
    if (!r) return;
    this.running.delete(vm.vmid);
    try {
      await r.qmp.execute('quit');
    } catch {
      r.child.kill('SIGKILL');
    }
    const t = setTimeout(() => r.child.kill('SIGKILL'), 3000);
    await r.exited;
    clearTimeout(t);
  }

  async pause(vm: SimVm): Promise<void> {
    await this.get(vm).qmp.execute('stop');
  }

  async resume(vm: SimVm): Promise<void> {
    await this.get(vm).qmp.execute('cont');
  }

  async reset(vm: SimVm): Promise<void> {
    await this.get(vm).qmp.execute('system_reset');
  }

  async powerdown(vm: SimVm): Promise<void> {
    await this.get(vm).qmp.execute('system_powerdown');
  }

  async console(vm: SimVm, password: string, validS: number): Promise<VncTarget> {
    const r = this.get(vm);
    await r.qmp.execute('set_password', { protocol: 'vnc', password });
    await r.qmp.execute('expire_password', { protocol: 'vnc', time: `+${validS}` });
    return { host: '127.0.0.1', port: r.vncPort };
  }

  async shutdownAll(): Promise<void> {
    const all = [...this.running.values()];
    this.running.clear();
    for (const r of all) r.child.kill('SIGKILL');
    await Promise.all(all.map((r) => r.exited));
    rmSync(this.dir, { recursive: true, force: true });
  }
}
