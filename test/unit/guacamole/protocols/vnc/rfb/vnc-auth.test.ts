import assert from 'node:assert/strict';
import { desEcbEncrypt, vncAuthKey, vncAuthResponse } from '../../../../../../guacamole/protocols/vnc/rfb/index.js';

const hex = (s: string): Buffer => Buffer.from(s, 'hex');

describe('VNC authentication', () => {
  describe('desEcbEncrypt', () => {
    // FIPS 46 / classic single-DES test vectors.
    const vectors: [string, string, string][] = [
      ['0123456789abcdef', '4e6f772069732074', '3fa40e8a984d4815'], // "Now is t"
      ['133457799bbcdff1', '0123456789abcdef', '85e813540f0ab405'],
      ['0000000000000000', '0000000000000000', '8ca64de9c1b123a7'],
      ['ffffffffffffffff', 'ffffffffffffffff', '7359b2163e4edc58'],
    ];
    for (const [key, plain, cipher] of vectors) {
      it(`encrypts ${plain} under ${key}`, () => {
        assert.equal(desEcbEncrypt(hex(key), hex(plain)).toString('hex'), cipher);
      });
    }

    it('encrypts two blocks independently (ECB)', () => {
      const out = desEcbEncrypt(hex('0123456789abcdef'), hex('4e6f7720697320744e6f772069732074'));
      assert.equal(out.toString('hex'), '3fa40e8a984d4815'.repeat(2));
    });
  });

  describe('vncAuthKey', () => {
    it('reverses the bits of each password byte and zero-pads to 8', () => {
      // 'a' = 0x61 = 0110 0001 → 1000 0110 = 0x86; 'b' = 0x62 → 0x46; '1' = 0x31 → 0x8c
      assert.equal(vncAuthKey('ab1').toString('hex'), '86468c0000000000');
    });

    it('uses only the first 8 characters', () => {
      assert.deepEqual(vncAuthKey('abcdefghXYZ'), vncAuthKey('abcdefgh'));
    });
  });

  describe('vncAuthResponse', () => {
    it('is DES-ECB of the challenge under the bit-reversed key', () => {
      const challenge = hex('00112233445566778899aabbccddeeff');
      const resp = vncAuthResponse('password', challenge);
      assert.equal(resp.length, 16);
      assert.deepEqual(resp, desEcbEncrypt(vncAuthKey('password'), challenge));
      // p 0x70→0x0e, a→0x86, s 0x73→0xce, w 0x77→0xee, o 0x6f→0xf6, r 0x72→0x4e, d 0x64→0x26
      assert.equal(vncAuthKey('password').toString('hex'), '0e86ceceeef64e26');
    });
  });
});
