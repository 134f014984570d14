import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { fingerprint, HostKeyFormatError, hostKeyInfo, hostKeyMatches, keyAlgorithm, parseHostKey } from '../../../../../guacamole/protocols/ssh/host-key.js';

/** An ssh-ed25519 public key blob written by hand (RFC 8709): string "ssh-ed25519", string key. */
function ed25519Blob(): Buffer {
  const { publicKey } = generateKeyPairSync('ed25519');
  const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32);
  const str = (b: Buffer): Buffer => Buffer.concat([Buffer.from([0, 0, 0, b.length]), b]);
  return Buffer.concat([str(Buffer.from('ssh-ed25519')), str(raw)]);
}

describe('ssh host keys', () => {
  const blob = ed25519Blob();
  const b64 = blob.toString('base64');

  it('reads a known_hosts line, "type base64" and bare base64', () => {
    for (const value of [`vm1.example ssh-ed25519 ${b64}`, `ssh-ed25519 ${b64} comment`, b64, `  ${b64}\n`]) {
      assert.deepEqual(parseHostKey(value), blob, value);
    }
  });

  it('refuses a value without a key', () => {
    assert.throws(() => parseHostKey('not a key'), HostKeyFormatError);
    assert.throws(() => parseHostKey(Buffer.from('hello world').toString('base64')), HostKeyFormatError);
  });

  it('names the algorithm and prints an OpenSSH SHA256 fingerprint', () => {
    assert.equal(keyAlgorithm(blob), 'ssh-ed25519');
    const expected = 'SHA256:' + createHash('sha256').update(blob).digest('base64').replace(/=+$/, '');
    assert.equal(fingerprint(blob), expected);
    assert.deepEqual(hostKeyInfo('h', 22, blob), { hostname: 'h', port: 22, algorithm: 'ssh-ed25519', key: b64, fingerprint: expected });
  });

  it('compares keys byte for byte', () => {
    assert.equal(hostKeyMatches(blob, Buffer.from(blob)), true);
    assert.equal(hostKeyMatches(blob, ed25519Blob()), false);
  });
});
