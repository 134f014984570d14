import assert from 'node:assert/strict';
import { codePointLength, encode, GuacStatus, instruction } from '../../../../guacamole/index.js';

// Every expected string is written by hand, never produced by the encoder.
describe('encode', () => {
  it('.args puts the version first, then the names in order', () => {
    assert.equal(encode.args('VERSION_1_5_0', ['hostname', 'port']), '4.args,13.VERSION_1_5_0,8.hostname,4.port;');
  });
  it('.ready', () => {
    assert.equal(encode.ready('$abc'), '5.ready,4.$abc;');
  });
  it('.size', () => {
    assert.equal(encode.size(0, 1024, 768), '4.size,1.0,4.1024,3.768;');
    assert.equal(encode.size(-1, 32, 32), '4.size,2.-1,2.32,2.32;');
  });
  it('.img in guacd argument order: stream, mask, layer, mimetype, x, y', () => {
    assert.equal(encode.img(1, 0xe, 0, 'image/png', 10, 20), '3.img,1.1,2.14,1.0,9.image/png,2.10,2.20;');
  });
  it('.blob and .end', () => {
    assert.equal(encode.blob(1, 'AAEC'), '4.blob,1.1,4.AAEC;');
    assert.equal(encode.end(1), '3.end,1.1;');
  });
  it('.rect and .cfill', () => {
    assert.equal(encode.rect(0, 1, 2, 3, 4), '4.rect,1.0,1.1,1.2,1.3,1.4;');
    assert.equal(encode.cfill(0xc, 0, 255, 128, 0, 255), '5.cfill,2.12,1.0,3.255,3.128,1.0,3.255;');
  });
  it('.copy: srcLayer, sx, sy, w, h, mask, dstLayer, dx, dy', () => {
    assert.equal(encode.copy(0, 0, 10, 100, 50, 0xe, 0, 0, 0), '4.copy,1.0,1.0,2.10,3.100,2.50,2.14,1.0,1.0,1.0;');
  });
  it('.cursor', () => {
    assert.equal(encode.cursor(1, 2, -1, 0, 0, 16, 16), '6.cursor,1.1,1.2,2.-1,1.0,1.0,2.16,2.16;');
  });
  it('.sync with one timestamp (1.5.x)', () => {
    assert.equal(encode.sync(1700000000123), '4.sync,13.1700000000123;');
  });
  it('.error sends the status in decimal', () => {
    assert.equal(encode.error('No such connection.', GuacStatus.RESOURCE_NOT_FOUND), '5.error,19.No such connection.,3.516;');
    assert.equal(encode.error('x', GuacStatus.CLIENT_TIMEOUT), '5.error,1.x,3.776;');
  });
  it('.nop, .disconnect, .name, .clipboard, .ack', () => {
    assert.equal(encode.nop(), '3.nop;');
    assert.equal(encode.disconnect(), '10.disconnect;');
    assert.equal(encode.name('QEMU'), '4.name,4.QEMU;');
    assert.equal(encode.clipboard(3, 'text/plain'), '9.clipboard,1.3,10.text/plain;');
    assert.equal(encode.ack(2, 'OK', GuacStatus.SUCCESS), '3.ack,1.2,2.OK,1.0;');
  });
  it('counts lengths in code points, not bytes or UTF-16 units', () => {
    assert.equal(encode.name('héllo'), '4.name,5.héllo;');
    assert.equal(encode.name('😀x😀'), '4.name,3.😀x😀;');
    assert.equal(instruction('log', '€'), '3.log,1.€;');
    assert.equal(codePointLength('a😀'), 2);
  });
});
