import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const CLI = path.join(ROOT, 'src/cli.ts');
const TSX = path.join(ROOT, 'node_modules/.bin/tsx');

function run(args: string[]) {
  return spawn(TSX, [CLI, 'pve-sim', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
}

describe('earcandle pve-sim', function () {
  this.timeout(30_000);
  const dir = mkdtempSync(path.join(tmpdir(), 'pvesim-cli-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('prints the URL and CA path, serves, and stops on SIGTERM', async () => {
    const ca = path.join(dir, 'ca.pem');
    const child = run(['--port', '0', '--no-qemu', '--password', 'pw', '--ca-out', ca, '--auth-fail-delay', '0']);
    let out = '';
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          if (out.includes('CA certificate:')) resolve();
        });
        child.once('exit', (code) => reject(new Error(`exited ${code}`)));
      });
      assert.match(out, /^pve-sim listening on https:\/\/127\.0\.0\.1:\d+$/m);
      assert.ok(out.includes(`CA certificate: ${ca}`));
      assert.match(readFileSync(ca, 'utf8'), /BEGIN CERTIFICATE/);
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      assert.equal(await exited, 0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  it('rejects bad arguments with one line and exit code 64', async () => {
    const child = run(['--port', 'x']);
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    assert.equal(code, 64);
    assert.match(err, /^earcandle: --port must be an integer/m);
  });
});
