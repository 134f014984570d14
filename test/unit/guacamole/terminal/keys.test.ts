import assert from 'node:assert/strict';
import { keysymToChar, keysymToSequence, NO_MODIFIERS } from '../../../../guacamole/terminal/keys.js';

const ESC = '\x1b';
const ctrl = { ...NO_MODIFIERS, ctrl: true };
const alt = { ...NO_MODIFIERS, alt: true };
const shift = { ...NO_MODIFIERS, shift: true };
const app = { applicationCursor: true, backspace: 127 };

describe('keys', () => {
  describe('keysymToSequence', () => {
    // [keysym, modifiers, expected] — the bytes xterm sends (written from xterm's ctlseqs, not from the code).
    const table: [string, number, typeof NO_MODIFIERS, string | undefined][] = [
      ['a', 0x61, NO_MODIFIERS, 'a'],
      ['A (shifted keysym)', 0x41, shift, 'A'],
      ['é (Latin-1 keysym)', 0xe9, NO_MODIFIERS, 'é'],
      ['€ (Unicode keysym)', 0x010020ac, NO_MODIFIERS, '€'],
      ['😀 (astral Unicode keysym)', 0x0101f600, NO_MODIFIERS, '😀'],
      ['Return', 0xff0d, NO_MODIFIERS, '\r'],
      ['KP_Enter', 0xff8d, NO_MODIFIERS, '\r'],
      ['Tab', 0xff09, NO_MODIFIERS, '\t'],
      ['Shift+Tab', 0xff09, shift, `${ESC}[Z`],
      ['ISO_Left_Tab', 0xfe20, shift, `${ESC}[Z`],
      ['Escape', 0xff1b, NO_MODIFIERS, ESC],
      ['BackSpace', 0xff08, NO_MODIFIERS, '\x7f'],
      ['Ctrl+BackSpace', 0xff08, ctrl, '\x08'],
      ['Up', 0xff52, NO_MODIFIERS, `${ESC}[A`],
      ['Down', 0xff54, NO_MODIFIERS, `${ESC}[B`],
      ['Right', 0xff53, NO_MODIFIERS, `${ESC}[C`],
      ['Left', 0xff51, NO_MODIFIERS, `${ESC}[D`],
      ['Ctrl+Left', 0xff51, ctrl, `${ESC}[1;5D`],
      ['Shift+Up', 0xff52, shift, `${ESC}[1;2A`],
      ['Alt+Right', 0xff53, alt, `${ESC}[1;3C`],
      ['Home', 0xff50, NO_MODIFIERS, `${ESC}[H`],
      ['End', 0xff57, NO_MODIFIERS, `${ESC}[F`],
      ['Insert', 0xff63, NO_MODIFIERS, `${ESC}[2~`],
      ['Delete', 0xffff, NO_MODIFIERS, `${ESC}[3~`],
      ['Ctrl+Delete', 0xffff, ctrl, `${ESC}[3;5~`],
      ['Page_Up', 0xff55, NO_MODIFIERS, `${ESC}[5~`],
      ['Page_Down', 0xff56, NO_MODIFIERS, `${ESC}[6~`],
      ['F1', 0xffbe, NO_MODIFIERS, `${ESC}OP`],
      ['F4', 0xffc1, NO_MODIFIERS, `${ESC}OS`],
      ['Shift+F1', 0xffbe, shift, `${ESC}[1;2P`],
      ['F5', 0xffc2, NO_MODIFIERS, `${ESC}[15~`],
      ['F6', 0xffc3, NO_MODIFIERS, `${ESC}[17~`],
      ['F10', 0xffc7, NO_MODIFIERS, `${ESC}[21~`],
      ['F11', 0xffc8, NO_MODIFIERS, `${ESC}[23~`],
      ['F12', 0xffc9, NO_MODIFIERS, `${ESC}[24~`],
      ['Ctrl+F5', 0xffc2, ctrl, `${ESC}[15;5~`],
      ['Ctrl+c', 0x63, ctrl, '\x03'],
      ['Ctrl+C (with shift)', 0x43, { ...ctrl, shift: true }, '\x03'],
      ['Ctrl+space', 0x20, ctrl, '\x00'],
      ['Ctrl+@', 0x40, ctrl, '\x00'],
      ['Ctrl+[', 0x5b, ctrl, ESC],
      ['Ctrl+\\', 0x5c, ctrl, '\x1c'],
      ['Ctrl+]', 0x5d, ctrl, '\x1d'],
      ['Ctrl+_', 0x5f, ctrl, '\x1f'],
      ['Ctrl+/', 0x2f, ctrl, '\x1f'],
      ['Ctrl+1 (unchanged)', 0x31, ctrl, '1'],
      ['Alt+x', 0x78, alt, `${ESC}x`],
      ['Alt+Ctrl+x', 0x78, { ...ctrl, alt: true }, `${ESC}\x18`],
      ['Alt+Return', 0xff0d, alt, `${ESC}\r`],
      ['KP_5', 0xffb5, NO_MODIFIERS, '5'],
      ['KP_Add', 0xffab, NO_MODIFIERS, '+'],
      ['Shift_L alone', 0xffe1, NO_MODIFIERS, undefined],
      ['unknown keysym', 0xfe50, NO_MODIFIERS, undefined],
    ];
    for (const [name, keysym, mods, expected] of table) {
      it(`${name} → ${JSON.stringify(expected)}`, () => assert.equal(keysymToSequence(keysym, mods), expected));
    }

    it('sends SS3 cursor keys in application cursor mode', () => {
      assert.equal(keysymToSequence(0xff52, NO_MODIFIERS, app), `${ESC}OA`);
      assert.equal(keysymToSequence(0xff51, NO_MODIFIERS, app), `${ESC}OD`);
      assert.equal(keysymToSequence(0xff50, NO_MODIFIERS, app), `${ESC}OH`);
      // Modified keys keep the CSI form.
      assert.equal(keysymToSequence(0xff52, ctrl, app), `${ESC}[1;5A`);
    });

    it('honours the backspace setting', () => {
      assert.equal(keysymToSequence(0xff08, NO_MODIFIERS, { applicationCursor: false, backspace: 8 }), '\x08');
      assert.equal(keysymToSequence(0xff08, ctrl, { applicationCursor: false, backspace: 8 }), '\x7f');
    });
  });

  describe('keysymToChar', () => {
    it('maps Latin-1 and Unicode keysyms, refuses surrogates and function keys', () => {
      assert.equal(keysymToChar(0x7e), '~');
      assert.equal(keysymToChar(0xff), 'ÿ');
      assert.equal(keysymToChar(0x01004e2d), '中');
      assert.equal(keysymToChar(0x0100d800), undefined);
      assert.equal(keysymToChar(0xff0d), undefined);
    });
  });
});
