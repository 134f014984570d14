/**
 * The server children of bench/console and bench/console-floor: bench/console-servers.ts compiled once (an esbuild
 * bundle under dist/, plain node, as the product runs), one child per role, their CPU, memory and wire counts over
 * IPC, and every process the benchmarks start in one list so that they can be stopped by PID.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { build } from 'esbuild';
import type { WireCount } from './console-servers.js';

export const children: ChildProcess[] = [];

export function stopAll(): void {
  for (const c of children) if (c.exitCode === null && c.signalCode === null && c.pid) process.kill(c.pid, 'SIGKILL');
}

export interface Usage {
  cpu: NodeJS.CpuUsage;
  memory: NodeJS.MemoryUsage;
  connections: WireCount[];
}

/** Wire bytes of the connections that opened between two usage reports (one browser session's WebSocket). */
export function wireSince(before: Usage, now: Usage): { out: number; in: number } {
  const known = new Set(before.connections.map((c) => c.id));
  const fresh = now.connections.filter((c) => !known.has(c.id));
  return { out: fresh.reduce((a, c) => a + c.bytesOut, 0), in: fresh.reduce((a, c) => a + c.bytesIn, 0) };
}

/** bench/console-servers.ts as one ES module under dist/ (gitignored), so that its imports of packages resolve. */
export async function compileServers(): Promise<string> {
  const outfile = join(import.meta.dirname, '..', 'dist', 'bench-bundle', 'console-servers.mjs');
  await build({
    entryPoints: [join(import.meta.dirname, 'console-servers.ts')],
    outfile,
    bundle: true,
    packages: 'external',
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'warning',
  });
  return outfile;
}

export class ServerChild {
  private constructor(readonly proc: ChildProcess, readonly port: number) {}

  static async start(script: string, role: 'gateway' | 'relay', arg: string): Promise<ServerChild> {
    const proc = fork(script, [role, arg], { execArgv: [], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    children.push(proc);
    const [msg] = (await once(proc, 'message')) as [{ port: number }];
    return new ServerChild(proc, msg.port);
  }

  async usage(): Promise<Usage> {
    const reply = once(this.proc, 'message') as Promise<[Usage]>;
    this.proc.send({ cmd: 'usage' });
    return (await reply)[0];
  }

  async stop(): Promise<void> {
    const exited = once(this.proc, 'exit');
    this.proc.send({ cmd: 'stop' });
    await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
    if (this.proc.exitCode === null && this.proc.pid) process.kill(this.proc.pid, 'SIGKILL');
  }
}

export const cpuMs = (a: Usage, b: Usage): number => (b.cpu.user - a.cpu.user + b.cpu.system - a.cpu.system) / 1000;
