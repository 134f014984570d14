import assert from 'node:assert/strict';
import { fromCutText, toCutText } from '../../../../../guacamole/protocols/vnc/clipboard.js';

/** A byte string (one char per byte, as the RFB client carries cut text) from hex. */
const bytes = (hex: string): string => String.fromCharCode(...(hex.match(/../g) ?? []).map((h) => Number.parseInt(h, 16)));
const hex = (byteString: string): string => Array.from(byteString, (c) => c.charCodeAt(0).toString(16).padStart(2, '0')).join('');

describe('clipboard', () => {
  describe('toCutText', () => {
    const text = 'Gü—€Šő😀';

    it('ISO8859-1 writes Latin-1 bytes and "?" for anything else', () => {
      assert.equal(hex(toCutText(text, 'ISO8859-1')), '47fc3f3f3f3f3f');
    });

    it('UTF-8 writes UTF-8 bytes', () => {
      assert.equal(hex(toCutText(text, 'UTF-8')), '47c3bce28094e282acc5a0c591f09f9880');
    });

    it('UTF-16 writes UTF-16LE code units without a byte order mark', () => {
      assert.equal(hex(toCutText(text, 'UTF-16')), '4700fc001420ac20600151013dd800de');
    });

    it('CP1252 writes Windows-1252 bytes (0x80–0x9F for € — Š …) and "?" for what it lacks', () => {
      assert.equal(hex(toCutText(text, 'CP1252')), '47fc97808a3f3f');
    });

    it('stops before the first character that does not fit in the limit', () => {
      assert.equal(hex(toCutText('abc', 'ISO8859-1', 2)), '6162');
      assert.equal(hex(toCutText('aüb', 'UTF-8', 2)), '61');
      assert.equal(hex(toCutText('aüb', 'UTF-8', 3)), '61c3bc');
      assert.equal(hex(toCutText('a😀', 'UTF-16', 5)), '6100');
      assert.equal(hex(toCutText('a😀b', 'UTF-16', 6)), '61003dd800de');
    });

    it('keeps at most 262144 bytes by default, as guacd does', () => {
      assert.equal(toCutText('x'.repeat(200000), 'UTF-16').length, 262144);
      assert.equal(toCutText('x'.repeat(300000), 'ISO8859-1').length, 262144);
    });
  });

  describe('fromCutText', () => {
    it('ISO8859-1 reads every byte as its Latin-1 character', () => {
      assert.equal(fromCutText(bytes('47fc809f'), 'ISO8859-1'), 'Gü\u0080\u009f');
    });

    it('UTF-8 reads UTF-8, U+FFFD for bytes that are not', () => {
      assert.equal(fromCutText(bytes('47c3bce282acff'), 'UTF-8'), 'Gü€\ufffd');
    });

    it('UTF-16 reads UTF-16LE and drops an odd last byte', () => {
      assert.equal(fromCutText(bytes('4700ac203dd800de41'), 'UTF-16'), 'G€😀');
    });

    it('CP1252 reads 0x80–0x9F as Windows-1252 characters, unassigned ones as themselves', () => {
      assert.equal(fromCutText(bytes('47fc80978a81'), 'CP1252'), 'Gü€—Š\u0081');
    });

    it('keeps at most the limit of UTF-8, whole characters only', () => {
      assert.equal(fromCutText(bytes('61fcfc'), 'ISO8859-1', 4), 'aü');
      assert.equal(fromCutText(bytes('61fcfc'), 'ISO8859-1', 5), 'aüü');
      assert.equal(Buffer.byteLength(fromCutText('\u00fc'.repeat(200000), 'ISO8859-1'), 'utf8'), 262144);
    });
  });
});
