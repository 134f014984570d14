import assert from 'node:assert/strict';
import { ColorSchemeError, defaultPalette, parseColorScheme } from '../../../../guacamole/terminal/colors.js';

describe('colors', () => {
  it('has the xterm 256-colour palette', () => {
    const p = defaultPalette();
    assert.equal(p.length, 256);
    assert.deepEqual(p[16], [0, 0, 0]);
    assert.deepEqual(p[196], [255, 0, 0]); // 16 + 36·5
    assert.deepEqual(p[208], [255, 135, 0]); // 16 + 36·5 + 6·2
    assert.deepEqual(p[231], [255, 255, 255]);
    assert.deepEqual(p[232], [8, 8, 8]);
    assert.deepEqual(p[255], [238, 238, 238]);
  });

  it('reads the presets, gray-black by default', () => {
    assert.deepEqual(parseColorScheme('').foreground, [0x99, 0x99, 0x99]);
    assert.deepEqual(parseColorScheme('').background, [0, 0, 0]);
    assert.deepEqual(parseColorScheme('black-white').background, [255, 255, 255]);
    assert.deepEqual(parseColorScheme('green-black').foreground, [0, 0x99, 0]);
  });

  it('reads a custom scheme with rgb: values and palette references', () => {
    const s = parseColorScheme('foreground: rgb:ff/ff/ff; background: color4; color4: rgb:10/20/30; color9: rgb:f/0/0');
    assert.deepEqual(s.foreground, [255, 255, 255]);
    assert.deepEqual(s.background, [0x10, 0x20, 0x30]);
    assert.deepEqual(s.palette[9], [255, 0, 0]);
  });

  it('refuses what it cannot read, with a code', () => {
    for (const bad of ['nonsense', 'foreground: blue', 'color300: rgb:0/0/0', 'shadow: rgb:0/0/0']) {
      assert.throws(() => parseColorScheme(bad), (e: unknown) => e instanceof ColorSchemeError && e.code === 'TERMINAL_BAD_COLOR_SCHEME');
    }
  });
});
