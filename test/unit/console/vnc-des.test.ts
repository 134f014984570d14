import assert from 'node:assert/strict';
import { vncAuthResponse, vncDesKey } from '../../../src/console/vnc-des.js';

describe('vnc-des', () => {
  describe('vncDesKey', () => {
    it('reverses the bits of each byte, zero-pads and keeps 8 bytes', () => {
      assert.deepEqual([...vncDesKey('\x01\x80')], [0x80, 0x01, 0, 0, 0, 0, 0, 0]);
      assert.deepEqual(vncDesKey('abcdefghXYZ'), vncDesKey('abcdefgh'));
      // 'a' = 0x61 = 01100001 → 10000110 = 0x86
      assert.equal(vncDesKey('a')[0], 0x86);
    });
  });
  describe('vncAuthResponse', () => {
    it('is DES-ECB under the bit-reversed key: the textbook vector 133457799BBCDFF1 / 0123456789ABCDEF', () => {
      // The password whose bytes, bit-reversed, are the classic DES test key 13 34 57 79 9B BC DF F1.
      const password = Buffer.from('c82cea9ed93dfb8f', 'hex').toString('latin1');
      const challenge = Buffer.from('0123456789abcdef0123456789abcdef', 'hex');
      assert.equal(vncAuthResponse(challenge, password).toString('hex'), '85e813540f0ab405'.repeat(2));
    });
    it('refuses a challenge that is not 16 bytes', () => {
      assert.throws(() => vncAuthResponse(Buffer.alloc(8), 'x'), RangeError);
    });
  });
});
