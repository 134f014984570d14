import assert from 'node:assert/strict';
import { BGR233, Encoding, RGB565, RGB888, encode, encodingList, parsePixelFormat, serializePixelFormat } from '../../../../../../guacamole/protocols/vnc/rfb/index.js';

describe('encode', () => {
  it('writes SetPixelFormat for 32-bit true colour', () => {
    assert.equal(encode.setPixelFormat(RGB888).toString('hex'),
      '00000000' + '20180001' + '00ff00ff00ff' + '100800' + '000000');
  });

  it('round-trips pixel formats', () => {
    for (const pf of [RGB888, RGB565, BGR233]) assert.deepEqual(parsePixelFormat(serializePixelFormat(pf)), pf);
  });

  it('writes SetEncodings with signed numbers', () => {
    assert.equal(encode.setEncodings([Encoding.ZRLE, Encoding.Raw, Encoding.Cursor]).toString('hex'),
      '02000003' + '00000010' + '00000000' + 'ffffff11');
  });

  it('writes FramebufferUpdateRequest', () => {
    assert.equal(encode.framebufferUpdateRequest(true, 1, 2, 720, 400).toString('hex'), '0301000100020' + '2d00190');
  });

  it('writes KeyEvent and PointerEvent, clamping coordinates', () => {
    assert.equal(encode.keyEvent(0xff0d, true).toString('hex'), '040100000000ff0d');
    assert.equal(encode.keyEvent(0x61, false).toString('hex'), '0400000000000061');
    assert.equal(encode.pointerEvent(10, 20, 5).toString('hex'), '0505000a0014');
    assert.equal(encode.pointerEvent(-3, 70000, 0).toString('hex'), '05000000ffff');
  });

  it('writes ClientCutText as ISO 8859-1, replacing other characters with ?', () => {
    assert.equal(encode.clientCutText('é€x😀').toString('hex'), '06000000' + '00000004' + 'e93f783f');
  });

  it('lists preferred encodings first, then CopyRect, Raw and the pseudo-encodings', () => {
    assert.deepEqual(encodingList({ encodings: ['zrle'] }), [
      Encoding.ZRLE, Encoding.CopyRect, Encoding.Raw, Encoding.ExtendedDesktopSize, Encoding.DesktopSize, Encoding.LastRect, Encoding.Cursor,
    ]);
    assert.ok(!encodingList({ encodings: ['raw'], remoteCursor: false }).includes(Encoding.Cursor));
  });
});
