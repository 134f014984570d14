import assert from 'node:assert/strict';
import { createDecipheriv, randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { ConsoleError } from '../../../src/console/errors.js';
import { MAX_TOKEN_TTL_MS, asciiJson, mintConsoleToken, openConsoleToken, tokenIdOf } from '../../../src/console/token.js';

const require = createRequire(import.meta.url);
// guacamole-lite's own decryptor, exactly as ClientConnection uses it.
const Crypt = require('guacamole-lite/lib/Crypt.js') as new (cypher: string, key: Buffer) => { decrypt(t: string): Record<string, unknown> };

const KEY = randomBytes(32);
const NOW = 1_800_000_000_000;

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ConsoleError, String(err));
    return err.code;
  }
  return 'no error';
}

describe('console token', () => {
  describe('mintConsoleToken', () => {
    it('is decrypted by guacamole-lite 1.2.0 into a vnc connection with our claims and no secret', () => {
      const { token, claims } = mintConsoleToken(KEY, { entityId: 7, vmId: 42, kind: 'console', ttlMs: 20_000 }, NOW);
      const plain = new Crypt('AES-256-CBC', KEY).decrypt(token);
      assert.deepEqual(plain.connection, { type: 'vnc', settings: {} });
      const ec = plain.earcandle as Record<string, unknown>;
      assert.equal(ec.sub, 7);
      assert.equal(ec.vm, 42);
      assert.equal(ec.kind, 'console');
      assert.equal(ec.exp, NOW + 20_000);
      assert.equal(tokenIdOf(plain), claims.tokenId.toString('base64url'));
      assert.deepEqual(Object.keys(ec).sort(), ['exp', 'iat', 'jti', 'kind', 'sub', 'v', 'vm']);
    });

    it('writes only ASCII, and the inner JSON survives guacamole-lite\'s ascii decoding', () => {
      const { token } = mintConsoleToken(KEY, { entityId: 1, vmId: 1, kind: 'ssh' }, NOW);
      assert.match(token, /^[A-Za-z0-9+/]+=*$/);
      const outer = JSON.parse(Buffer.from(token, 'base64').toString('latin1')) as { iv: string; value: string };
      const d = createDecipheriv('aes-256-cbc', KEY, Buffer.from(outer.iv, 'base64'));
      const inner = Buffer.concat([d.update(Buffer.from(outer.value, 'base64')), d.final()]);
      assert.ok([...inner].every((b) => b < 0x80));
      assert.equal(asciiJson({ p: 'Pässwörd€' }), '{"p":"P\\u00e4ssw\\u00f6rd\\u20ac"}');
      assert.deepEqual(JSON.parse(asciiJson({ p: 'Pässwörd€' })), { p: 'Pässwörd€' });
    });

    it('maps each way in to the guacd protocol', () => {
      for (const [kind, type] of [['console', 'vnc'], ['ssh', 'ssh'], ['rdp', 'rdp'], ['vnc', 'vnc']] as const) {
        const { token } = mintConsoleToken(KEY, { entityId: 1, vmId: 1, kind }, NOW);
        assert.equal((new Crypt('AES-256-CBC', KEY).decrypt(token).connection as { type: string }).type, type);
      }
    });

    it('refuses lifetimes above 60 s, bad ids and short keys', () => {
      assert.throws(() => mintConsoleToken(KEY, { entityId: 1, vmId: 1, kind: 'console', ttlMs: MAX_TOKEN_TTL_MS + 1 }), RangeError);
      assert.throws(() => mintConsoleToken(KEY, { entityId: 0, vmId: 1, kind: 'console' }), RangeError);
      assert.throws(() => mintConsoleToken(KEY, { entityId: 1, vmId: 1.5, kind: 'console' }), RangeError);
      assert.throws(() => mintConsoleToken(randomBytes(16), { entityId: 1, vmId: 1, kind: 'console' }), RangeError);
    });

    it('gives every token its own single-use id', () => {
      const ids = new Set(Array.from({ length: 50 }, () => mintConsoleToken(KEY, { entityId: 1, vmId: 1, kind: 'console' }, NOW).claims.tokenId.toString('hex')));
      assert.equal(ids.size, 50);
    });
  });

  describe('openConsoleToken', () => {
    it('returns the claims of a fresh token', () => {
      const { token, claims } = mintConsoleToken(KEY, { entityId: 3, vmId: 9, kind: 'rdp' }, NOW);
      assert.deepEqual(openConsoleToken(KEY, token, NOW + 1000), claims);
    });

    it('refuses an expired token with TOKEN_EXPIRED and status 0x0308', () => {
      const { token } = mintConsoleToken(KEY, { entityId: 3, vmId: 9, kind: 'console', ttlMs: 10_000 }, NOW);
      assert.equal(code(() => openConsoleToken(KEY, token, NOW + 10_000)), 'TOKEN_EXPIRED');
      try {
        openConsoleToken(KEY, token, NOW + 60_000);
      } catch (err) {
        assert.equal((err as ConsoleError).status, 0x0308);
      }
    });

    it('refuses every single-bit flip of the token bytes (CBC malleability caught by the MAC)', () => {
      const { token } = mintConsoleToken(KEY, { entityId: 3, vmId: 9, kind: 'console' }, NOW);
      const outer = JSON.parse(Buffer.from(token, 'base64').toString('latin1')) as { iv: string; value: string; mac: string };
      for (const field of ['iv', 'value'] as const) {
        const bytes = Buffer.from(outer[field], 'base64');
        for (let i = 0; i < bytes.length; i++) {
          const flipped = Buffer.from(bytes);
          flipped[i]! ^= 0x01;
          const forged = Buffer.from(JSON.stringify({ ...outer, [field]: flipped.toString('base64') })).toString('base64');
          const c = code(() => openConsoleToken(KEY, forged, NOW));
          assert.equal(c, 'TOKEN_TAMPERED', `${field}[${i}]`);
        }
      }
      const noMac = Buffer.from(JSON.stringify({ iv: outer.iv, value: outer.value })).toString('base64');
      assert.equal(code(() => openConsoleToken(KEY, noMac, NOW)), 'TOKEN_MALFORMED');
    });

    it('refuses a token made with another key', () => {
      const { token } = mintConsoleToken(randomBytes(32), { entityId: 3, vmId: 9, kind: 'console' }, NOW);
      assert.equal(code(() => openConsoleToken(KEY, token, NOW)), 'TOKEN_TAMPERED');
    });

    it('refuses garbage of every shape without throwing anything but ConsoleError', () => {
      const samples: unknown[] = [undefined, null, '', 'x', '%%%', 'a'.repeat(5000), 42, 'eyJ9', Buffer.from('{}').toString('base64'), Buffer.from('[1,2]').toString('base64'), Buffer.from('{"iv":1,"value":2,"mac":3}').toString('base64')];
      for (let i = 0; i < 300; i++) samples.push(randomBytes(1 + (i % 200)).toString('base64'));
      for (const s of samples) assert.equal(code(() => openConsoleToken(KEY, s, NOW)), code(() => openConsoleToken(KEY, s, NOW)));
      for (const s of samples) assert.match(code(() => openConsoleToken(KEY, s, NOW)), /^TOKEN_(MALFORMED|TAMPERED)$/);
    });
  });
});
