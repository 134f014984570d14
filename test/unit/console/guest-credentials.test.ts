import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { CREDENTIAL_LIMITS, credentialSettings, credentialsFor, CredentialsError } from '../../../src/console/guest-credentials.js';
import { ConsoleError } from '../../../src/console/errors.js';
import { MAX_TOKEN_LENGTH, mintConsoleToken, openConsoleToken, stripCredentials } from '../../../src/console/token.js';

const KEY = randomBytes(32);
const NOW = 1_800_000_000_000;
const PASSWORD = 'S3cret-pässwörd';
const RSA_LIKE_KEY = `-----BEGIN OPENSSH PRIVATE KEY-----\n${'A'.repeat(64).concat('\n').repeat(52)}-----END OPENSSH PRIVATE KEY-----\n`;

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConsoleError || err instanceof CredentialsError) return err.code;
    throw err;
  }
  return 'no error';
}

/** Flips one base64 character of the token's inner ciphertext (a valid token shape, a broken MAC). */
function tamper(token: string): string {
  const outer = JSON.parse(Buffer.from(token, 'base64').toString('latin1')) as { iv: string; value: string; mac: string };
  const v = outer.value;
  const i = Math.floor(v.length / 2);
  outer.value = v.slice(0, i) + (v[i] === 'A' ? 'B' : 'A') + v.slice(i + 1);
  return Buffer.from(JSON.stringify(outer), 'latin1').toString('base64');
}

describe('guest credentials', () => {
  describe('credentialsFor', () => {
    it('takes a user name with a password, or a private key for ssh, and hides the secrets from every printout', () => {
      const c = credentialsFor('ssh', { username: 'alice', password: PASSWORD })!;
      assert.equal(c.username, 'alice');
      assert.equal(c.password!.reveal(), PASSWORD);
      for (const text of [JSON.stringify(c), inspect(c, { depth: 5 }), String(c.password)]) assert.equal(text.includes(PASSWORD), false, text);
      const k = credentialsFor('ssh', { username: 'alice', privateKey: RSA_LIKE_KEY, passphrase: 'pp' })!;
      assert.deepEqual(credentialSettings(k), { username: 'alice', 'private-key': RSA_LIKE_KEY, passphrase: 'pp' });
      assert.deepEqual(credentialSettings(c), { username: 'alice', password: PASSWORD });
    });

    it('refuses what does not fit the way in, with sentences that never contain the value', () => {
      const cases: [Parameters<typeof credentialsFor>[0], unknown, RegExp][] = [
        ['console', { username: 'a', password: 'b' }, /takes no credentials/],
        ['ssh', undefined, /user name and password/],
        ['ssh', { username: '', password: 'x' }, /Enter the user name/],
        ['ssh', { username: 'a' }, /password or a private key/],
        ['rdp', { username: 'a' }, /Enter the password/],
        ['rdp', { username: 'a', password: 'x', privateKey: RSA_LIKE_KEY }, /Only SSH/],
        ['ssh', { username: 'a', password: 'x', extra: 1 }, /./],
        ['ssh', { username: 'a\nb', password: 'x' }, /control characters/],
        ['ssh', { username: 'a', privateKey: 'not a key' }, /not a PEM or OpenSSH private key/],
        ['ssh', { username: 'u'.repeat(CREDENTIAL_LIMITS.username + 1), password: 'x' }, /longer than 128/],
        ['ssh', { username: 'a', password: 'p'.repeat(CREDENTIAL_LIMITS.password + 1) }, /longer than 256/],
        ['ssh', { username: 'a', privateKey: RSA_LIKE_KEY.replace('AAAA', 'A'.repeat(CREDENTIAL_LIMITS.privateKey)) }, /longer than 4096/],
      ];
      for (const [kind, input, message] of cases) {
        assert.throws(() => credentialsFor(kind, input), (err: unknown) => err instanceof CredentialsError && message.test(err.message) && !err.message.includes('pppp'), `${kind} ${JSON.stringify(input)?.slice(0, 60)}`);
      }
    });
  });

  describe('in the console token', () => {
    it('travels encrypted: the token text does not contain it, opening gives it back, stripping removes it', () => {
      const credentials = credentialsFor('ssh', { username: 'alice', password: PASSWORD })!;
      const { token } = mintConsoleToken(KEY, { entityId: 3, vmId: 9, kind: 'ssh', credentials }, NOW);
      assert.equal(Buffer.from(token, 'base64').toString('latin1').includes('alice'), false);
      const claims = openConsoleToken(KEY, token, NOW + 1000);
      assert.equal(claims.credentials!.username, 'alice');
      assert.equal(claims.credentials!.password!.reveal(), PASSWORD);
      assert.equal(JSON.stringify(claims).includes(PASSWORD), false);
      const settings = { earcandle: { jti: 'x', cred: { u: 'alice', p: PASSWORD } } };
      stripCredentials(settings);
      assert.deepEqual(settings, { earcandle: { jti: 'x' } });
    });

    it('is refused when tampered with, expired, or put into a screen token', () => {
      const credentials = credentialsFor('ssh', { username: 'alice', password: PASSWORD })!;
      const { token } = mintConsoleToken(KEY, { entityId: 3, vmId: 9, kind: 'ssh', credentials, ttlMs: 10_000 }, NOW);
      assert.equal(code(() => openConsoleToken(KEY, tamper(token), NOW)), 'TOKEN_TAMPERED');
      assert.equal(code(() => openConsoleToken(randomBytes(32), token, NOW)), 'TOKEN_TAMPERED');
      assert.equal(code(() => openConsoleToken(KEY, token, NOW + 10_000)), 'TOKEN_EXPIRED');
      assert.equal(code(() => mintConsoleToken(KEY, { entityId: 3, vmId: 9, kind: 'console', credentials }, NOW)), 'CREDENTIALS_INVALID');
    });

    it('with the largest credentials still fits MAX_TOKEN_LENGTH; longer ones are refused at minting', () => {
      const widest = '€'.repeat(CREDENTIAL_LIMITS.password); // six ASCII characters each inside the token
      const big = credentialsFor('ssh', { username: 'ü'.repeat(CREDENTIAL_LIMITS.username), password: widest, privateKey: RSA_LIKE_KEY })!;
      const { token } = mintConsoleToken(KEY, { entityId: 3, vmId: 9, kind: 'ssh', credentials: big }, NOW);
      assert.ok(token.length <= MAX_TOKEN_LENGTH, `${token.length} > ${MAX_TOKEN_LENGTH}`);
      assert.equal(openConsoleToken(KEY, token, NOW).credentials!.password!.reveal(), widest);
      const tooBig = credentialsFor('ssh', { username: 'a', password: widest, privateKey: RSA_LIKE_KEY.replace('AAAA', 'A'.repeat(500)), passphrase: widest })!;
      assert.equal(code(() => mintConsoleToken(KEY, { entityId: 3, vmId: 9, kind: 'ssh', credentials: tooBig }, NOW)), 'CREDENTIALS_INVALID');
      assert.equal(code(() => openConsoleToken(KEY, 'A'.repeat(MAX_TOKEN_LENGTH + 4), NOW)), 'TOKEN_MALFORMED');
    });
  });
});
