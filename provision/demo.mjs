#!/usr/bin/env node
// `npm run demo`: make a fresh clone runnable, then hand over to `earcandle demo`.
// Installs what is missing (npm dependencies; as root, the Debian packages the demo needs, `apt-get update` first),
// builds, and runs the demo in this process group so Ctrl-C reaches it. Plain Node: it runs before `npm ci`.
import { spawnSync, spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const say = (line) => process.stderr.write(`[demo] ${line}\n`);

function must(cmd, args, what) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) {
    say(`${what} failed (${cmd} ${args.join(' ')} exited ${r.status ?? r.signal})`);
    process.exit(1);
  }
}

function installed(pkg) {
  const r = spawnSync('dpkg-query', ['-W', '-f=${Status}', pkg], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.includes('install ok installed');
}

// Debian packages: QEMU runs the demo's VMs; MariaDB serves the database unless EARCANDLE_DB_URL points elsewhere.
const debs = ['qemu-system-x86', ...(process.env.EARCANDLE_DB_URL ? [] : ['mariadb-server', 'mariadb-client'])];
const missing = debs.filter((p) => !installed(p));
if (missing.length > 0) {
  if (process.getuid?.() === 0) {
    say(`installing ${missing.join(' ')}`);
    must('apt-get', ['update', '-qq'], 'apt-get update');
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    const r = spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], { cwd: root, stdio: 'inherit', env });
    if (r.status !== 0) {
      say('apt-get install failed');
      process.exit(1);
    }
  } else {
    say(`missing Debian packages ${missing.join(' ')}: run as root once, or install them (the demo goes on without QEMU if only that is missing)`);
  }
}

const lock = join(root, 'package-lock.json');
const stamp = join(root, 'node_modules', '.package-lock.json');
if (!existsSync(stamp) || statSync(stamp).mtimeMs < statSync(lock).mtimeMs) {
  say('installing npm dependencies (npm ci)');
  must('npm', ['ci', '--no-audit', '--no-fund'], 'npm ci');
}
say('building');
must('npm', ['run', '--silent', 'build'], 'build');

const child = spawn(process.execPath, [join(root, 'dist/src/cli.js'), 'demo', ...process.argv.slice(2)], { cwd: root, stdio: 'inherit' });
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 130 : 1)));
