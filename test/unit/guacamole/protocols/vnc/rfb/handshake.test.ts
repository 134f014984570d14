import assert from 'node:assert/strict';
import { Handshake, HandshakeState, RfbClientError, RGB888, SecurityType, vncAuthResponse } from '../../../../../../guacamole/protocols/vnc/rfb/index.js';
import { cat, server } from '../../../../../helpers/rfb-fixtures.js';

const challenge = Buffer.from('000102030405060708090a0b0c0d0e0f', 'hex');

/** Feeds the whole server script at once, then split at every offset; every way sends the same bytes. */
function runEveryWay(script: Buffer, password?: string): { sent: Buffer; init: unknown } {
  const one = new Handshake({ password }).push(script);
  const whole = { sent: Buffer.concat(one.send), init: one.init };
  for (let i = 1; i < script.length; i++) {
    const h = new Handshake({ password });
    const a = h.push(script.subarray(0, i));
    const b = h.push(script.subarray(i));
    assert.deepEqual({ sent: Buffer.concat([...a.send, ...b.send]), init: a.init ?? b.init }, whole, `split at ${i}`);
  }
  return whole;
}

function rejects(script: Buffer, code: string, message: RegExp, password?: string): void {
  assert.throws(() => new Handshake({ password }).push(script), (e: unknown) =>
    e instanceof RfbClientError && e.code === code && message.test(e.message));
}

describe('Handshake', () => {
  const init = server.serverInit(720, 400, 'QEMU');
  const expectedInit = (version: string, securityType: SecurityType) => ({
    width: 720, height: 400, pixelFormat: RGB888, name: 'QEMU', version, securityType,
  });

  it('runs RFB 3.8 with security None (SecurityResult is sent)', () => {
    const r = runEveryWay(cat(server.version('3.8'), server.securityTypes([1]), server.result(true), init));
    assert.deepEqual(r.sent, cat(Buffer.from('RFB 003.008\n'), Buffer.from([1]), Buffer.from([1])));
    assert.deepEqual(r.init, expectedInit('3.8', SecurityType.None));
  });

  it('runs RFB 3.7 with security None (no SecurityResult)', () => {
    const r = runEveryWay(cat(server.version('3.7'), server.securityTypes([1]), init));
    assert.deepEqual(r.sent, cat(Buffer.from('RFB 003.007\n'), Buffer.from([1, 1])));
    assert.deepEqual(r.init, expectedInit('3.7', SecurityType.None));
  });

  it('runs RFB 3.3 with VNC authentication chosen by the server', () => {
    const r = runEveryWay(cat(server.version('3.3'), server.security33(2), challenge, server.result(true), init), 'secret1');
    assert.deepEqual(r.sent, cat(Buffer.from('RFB 003.003\n'), vncAuthResponse('secret1', challenge), Buffer.from([1])));
    assert.deepEqual(r.init, expectedInit('3.3', SecurityType.VncAuthentication));
  });

  it('picks the first offered type it supports', () => {
    const r = runEveryWay(cat(server.version('3.8'), server.securityTypes([19, 2, 1]), challenge, server.result(true), init), 'pw');
    assert.equal(r.sent[12], 2);
  });

  it('answers 3.8 to newer servers and 3.3 to 3.5-ish ones', () => {
    assert.equal(Handshake.chooseVersion('RFB 003.889\n'), '3.8');
    assert.equal(Handshake.chooseVersion('RFB 004.001\n'), '3.8');
    assert.equal(Handshake.chooseVersion('RFB 003.005\n'), '3.3');
  });

  it('reports the 3.8 failure reason', () => {
    rejects(cat(server.version('3.8'), server.securityTypes([2]), challenge, server.result(false), server.reason('Authentication failed')),
      'RFB_AUTH_FAILED', /Authentication failed/, 'wrong');
  });

  it('reports a failed 3.7 authentication without a reason', () => {
    rejects(cat(server.version('3.7'), server.securityTypes([2]), challenge, server.result(false)), 'RFB_AUTH_FAILED', /failed/, 'x');
  });

  it('reports a refusal with its reason (3.3 type 0, 3.8 empty list)', () => {
    rejects(cat(server.version('3.3'), server.security33(0), server.reason('Too many security failures')),
      'RFB_CONNECT_FAILED', /Too many security failures/);
    rejects(cat(server.version('3.8'), server.securityTypes([]), server.reason('go away')), 'RFB_CONNECT_FAILED', /go away/);
  });

  it('asks for a password it does not have', () => {
    rejects(cat(server.version('3.8'), server.securityTypes([2])), 'RFB_PASSWORD_REQUIRED', /password/);
  });

  it('refuses unsupported security types and non-RFB servers', () => {
    rejects(cat(server.version('3.8'), server.securityTypes([16, 19])), 'RFB_NO_SECURITY_TYPE', /16, 19/);
    rejects(Buffer.from('HTTP/1.1 400 Bad'), 'RFB_BAD_VERSION', /not an RFB server/);
    rejects(server.version('RFB 002.000\n'), 'RFB_BAD_VERSION', /2\.0/);
  });

  it('names its states and keeps bytes after ServerInit', () => {
    const h = new Handshake();
    assert.equal(h.state, HandshakeState.VERSION);
    h.push(server.version('3.8'));
    assert.equal(h.state, HandshakeState.SECURITY);
    h.push(server.securityTypes([1]));
    assert.equal(h.state, HandshakeState.SECURITY_RESULT);
    const out = h.push(cat(server.result(true), init, Buffer.from([2])));
    assert.equal(h.state, HandshakeState.DONE);
    assert.deepEqual(out.rest, Buffer.from([2]));
  });
});
