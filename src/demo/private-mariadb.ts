import { spawn, execFile } from 'node:child_process';
import { existsSync, mkdirSync, chownSync, readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import mysql from 'mysql2/promise';

const run = promisify(execFile);

export interface PrivateMariaDb {
  /** mysql://root@127.0.0.1:PORT/earcandle */
  url: string;
  pid: number;
  stop(): Promise<void>;
}

export class DemoSetupError extends Error {
  override readonly name = 'DemoSetupError';
}

/**
 * A MariaDB server of the demo's own: its data directory (created on first use, reused afterwards), 127.0.0.1 only,
 * root without a password (nothing else can reach it), stopped by its PID.
 */
export async function startPrivateMariaDb(options: { dataDir: string; port: number; log: (line: string) => void }): Promise<PrivateMariaDb> {
  const mariadbd = await which('mariadbd');
  const installDb = await which('mariadb-install-db');
  if (!mariadbd || !installDb) {
    throw new DemoSetupError('MariaDB is not installed: run the demo as root once (it installs mariadb-server) or set EARCANDLE_DB_URL');
  }
  const { dataDir, port, log } = options;
  const runDir = path.join(dataDir, 'run');
  const dbDir = path.join(dataDir, 'data');
  const asRoot = userInfo().uid === 0;
  const owner = asRoot ? await mysqlUser() : undefined;

  if (!existsSync(path.join(dbDir, 'mysql'))) {
    log(`creating a private MariaDB data directory in ${dataDir}`);
    // MariaDB's own user must be able to reach the directory: its parents stay world-traversable.
    mkdirSync(path.dirname(dataDir), { recursive: true, mode: 0o755 });
    mkdirSync(dbDir, { recursive: true, mode: 0o750 });
    mkdirSync(runDir, { recursive: true, mode: 0o750 });
    if (owner) for (const d of [dataDir, dbDir, runDir]) chownSync(d, owner.uid, owner.gid);
    await run(installDb, [
      '--no-defaults',
      ...(asRoot ? ['--user=mysql'] : []),
      `--datadir=${dbDir}`,
      '--auth-root-authentication-method=normal',
      '--skip-test-db',
    ]).catch((err: Error & { stderr?: string }) => {
      const reason = (err.stderr ?? err.message).trim().split('\n').pop();
      throw new DemoSetupError(`mariadb-install-db failed: ${reason}`);
    });
  }
  mkdirSync(runDir, { recursive: true });
  if (owner) chownSync(runDir, owner.uid, owner.gid);

  const child = spawn(
    mariadbd,
    [
      '--no-defaults',
      ...(asRoot ? ['--user=mysql'] : []),
      `--datadir=${dbDir}`,
      `--socket=${path.join(runDir, 'mariadb.sock')}`,
      `--pid-file=${path.join(runDir, 'mariadb.pid')}`,
      `--port=${port}`,
      '--bind-address=127.0.0.1',
      `--log-error=${path.join(runDir, 'mariadb.err')}`,
      '--character-set-server=utf8mb4',
      '--collation-server=utf8mb4_unicode_ci',
      '--innodb-buffer-pool-size=128M',
    ],
    { stdio: 'ignore', detached: false },
  );
  const pid = child.pid;
  if (pid === undefined) throw new DemoSetupError('could not start mariadbd');
  let exited = false;
  child.once('exit', () => (exited = true));

  const adminUrl = `mysql://root@127.0.0.1:${port}/mysql`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      const conn = await mysql.createConnection(adminUrl);
      await conn.query('CREATE DATABASE IF NOT EXISTS earcandle CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci');
      await conn.end();
      break;
    } catch (err) {
      if (exited || Date.now() > deadline) {
        const tail = readTail(path.join(runDir, 'mariadb.err'));
        throw new DemoSetupError(`private MariaDB did not start on port ${port}${tail ? `: ${tail}` : ''} (${(err as Error).message})`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  log(`private MariaDB running on 127.0.0.1:${port} (pid ${pid})`);
  return {
    url: `mysql://root@127.0.0.1:${port}/earcandle`,
    pid,
    async stop() {
      if (exited) return;
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await gone;
      clearTimeout(timer);
    },
  };
}

async function which(binary: string): Promise<string | undefined> {
  for (const dir of ['/usr/sbin', '/usr/bin', '/sbin', '/bin', ...(process.env.PATH ?? '').split(':')]) {
    const candidate = path.join(dir, binary);
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

async function mysqlUser(): Promise<{ uid: number; gid: number }> {
  const { stdout: uid } = await run('id', ['-u', 'mysql']).catch(() => {
    throw new DemoSetupError('the mysql system user is missing (install mariadb-server)');
  });
  const { stdout: gid } = await run('id', ['-g', 'mysql']);
  return { uid: Number(uid.trim()), gid: Number(gid.trim()) };
}

function readTail(file: string): string {
  try {
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    return (lines.filter((l) => /ERROR/.test(l)).pop() ?? lines.pop() ?? '').slice(0, 300);
  } catch {
    return '';
  }
}
