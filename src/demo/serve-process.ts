import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface ServeProcess {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

/** `earcandle serve` as a child process, the given EARCANDLE_* variables over the caller's; resolves once it prints its URL. */
export function startServeProcess(env: Record<string, string>, onLine: (line: string) => void): Promise<ServeProcess> {
  // Under tsx (tests) this module is the .ts source; built, it is dist/src/demo/serve-process.js.
  const fromSource = import.meta.url.endsWith('.ts');
  const cli = fileURLToPath(new URL(fromSource ? '../cli.ts' : '../cli.js', import.meta.url));
  const args = fromSource ? ['--import', 'tsx', cli, 'serve'] : [cli, 'serve'];
  const childEnv: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('EARCANDLE_DEMO_')) childEnv[k] = v;
  Object.assign(childEnv, env);
  const child: ChildProcess = spawn(process.execPath, args, { env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });

  return new Promise((resolve, reject) => {
    let url: string | undefined;
    let stderrTail = '';
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      for (const line of chunk.split('\n').filter(Boolean)) {
        const m = /EarCandle portal on (\S+)/.exec(line);
        if (m && !url) {
          url = m[1] as string;
          resolve({
            url,
            pid: child.pid as number,
            async stop() {
              if (child.exitCode !== null || child.signalCode !== null) return;
              child.kill('SIGTERM');
              const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
              await exited;
              clearTimeout(timer);
            },
          });
        } else onLine(line);
      }
    });
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      stderrTail = (stderrTail + chunk).slice(-2000);
    });
    child.once('exit', (code, signal) => {
      if (!url) {
        const last = stderrTail.trim().split('\n').pop() ?? '';
        reject(new Error(`earcandle serve exited (${code ?? signal}) before listening${last ? `: ${last}` : ''}`));
      }
    });
  });
}
