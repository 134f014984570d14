/**
 * A real OpenSSH server on 127.0.0.1 for tests (test-components.md §5): its own config, host key
 * and authorized_keys in a temporary directory, a temporary local user with a password, started
 * with `sshd -D -p PORT -E LOG`, stopped by PID; the user and the directory are removed on stop.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.js';

export interface Sshd {
  readonly port: number;
  readonly user: string;
  readonly password: string;
  /** Base64 of the server's ed25519 public key blob (what `host-key` takes). */
  readonly hostKey: string;
  /** `SHA256:…` of the host key, from ssh-keygen. */
  readonly hostKeyFingerprint: string;
  /** Base64 of another key, which the server does not have. */
  readonly otherHostKey: string;
  /** An OpenSSH private key whose public half is authorized for `user`. */
  readonly clientKey: string;
  readonly log: string;
  stop(): Promise<void>;
}

export function sshdAvailable(): boolean {
  return spawnSync('/usr/sbin/sshd', ['-V']).status !== null && spawnSync('which', ['ssh-keygen']).status === 0;
}

function run(cmd: string, args: readonly string[], input?: string): string {
  const r = spawnSync(cmd, args, { input, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

function keygen(dir: string, name: string): { file: string; pub: string } {
  const file = join(dir, name);
  run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', '', '-f', file]);
  return { file, pub: readFileSync(`${file}.pub`, 'utf8').trim() };
}

async function banner(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('data', (d) => {
      s.destroy();
      resolve(d.toString().startsWith('SSH-'));
    });
    s.once('error', () => resolve(false));
  });
}

export async function startSshd(): Promise<Sshd> {
  const dir = mkdtempSync(join(tmpdir(), 'ec-sshd-'));
  chmodSync(dir, 0o755);
  mkdirSync('/run/sshd', { recursive: true });
  const user = `ectest${randomBytes(3).toString('hex')}`;
  const password = `Pw-${randomBytes(6).toString('hex')}`;
  run('useradd', ['-m', '-s', '/bin/bash', user]);
  let proc: ChildProcess | undefined;
  const stop = async (): Promise<void> => {
    if (proc && proc.exitCode === null && proc.pid) {
      const exited = new Promise((resolve) => proc!.once('exit', resolve));
      process.kill(proc.pid, 'SIGTERM');
      await exited;
    }
    proc = undefined;
    spawnSync('userdel', ['-r', '-f', user]);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    run('chpasswd', [], `${user}:${password}\n`);
    const host = keygen(dir, 'host_ed25519');
    const other = keygen(dir, 'other_ed25519');
    const client = keygen(dir, 'client_ed25519');
    writeFileSync(join(dir, 'authorized_keys'), `${client.pub}\n`, { mode: 0o644 });
    const config = [
      `HostKey ${host.file}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      'StrictModes no',
      'UsePAM no',
      'PasswordAuthentication yes',
      'KbdInteractiveAuthentication no',
      'PubkeyAuthentication yes',
      'PermitRootLogin no',
      `AllowUsers ${user}`,
      'PrintMotd no',
      'PrintLastLog no',
      'MaxAuthTries 6',
    ].join('\n');
    const configFile = join(dir, 'sshd_config');
    writeFileSync(configFile, `${config}\n`);
    const port = await freePort();
    const log = join(dir, 'sshd.log');
    proc = spawn('/usr/sbin/sshd', ['-D', '-f', configFile, '-p', String(port), '-o', 'ListenAddress=127.0.0.1', '-E', log], {
      stdio: 'ignore',
    });
    for (let i = 0; i < 100 && !(await banner(port)); i++) {
      if (proc.exitCode !== null) throw new Error(`sshd exited: ${readFileSync(log, 'utf8')}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const fingerprint = run('ssh-keygen', ['-l', '-E', 'sha256', '-f', `${host.file}.pub`]).split(/\s+/)[1]!;
    return {
      port,
      user,
      password,
      hostKey: host.pub.split(/\s+/)[1]!,
      hostKeyFingerprint: fingerprint,
      otherHostKey: other.pub.split(/\s+/)[1]!,
      clientKey: readFileSync(client.file, 'utf8'),
      log,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
