import assert from 'node:assert/strict';
import { DownstreamHandshake, HandshakeState, RfbHandshakeError, UpstreamHandshake, type Step } from '../../../src/console/rfb-handshake.js';
import { vncAuthResponse } from '../../../guacamole/index.js';

// Wire fixtures written by hand (RFC 6143 §7.1–7.2), not by the code under test.
const V38 = Buffer.from('RFB 003.008\n', 'latin1');
const V37 = Buffer.from('RFB 003.007\n', 'latin1');
const V33 = Buffer.from('RFB 003.003\n', 'latin1');
const CHALLENGE = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
const u32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
};

/** Feeds `bytes` split at `cut` (and whole when cut is 0); collects outputs. */
function feed(hs: { push(c: Buffer): Step }, bytes: Buffer, cut: number): { out: Buffer; rest?: Buffer } {
  const parts = cut > 0 && cut < bytes.length ? [bytes.subarray(0, cut), bytes.subarray(cut)] : [bytes];
  const out: Buffer[] = [];
  let rest: Buffer | undefined;
  for (const p of parts) {
    const step = hs.push(p);
    out.push(...step.out);
    if (step.rest) rest = rest ? Buffer.concat([rest, step.rest]) : step.rest;
  }
  return { out: Buffer.concat(out), ...(rest ? { rest } : {}) };
}

describe('rfb-handshake', () => {
  describe('UpstreamHandshake', () => {
    const server38 = Buffer.concat([V38, Buffer.from([2, 1, 2]), CHALLENGE, u32(0), Buffer.from('SI')]);
    it('answers 3.8 VNC auth with the password and hands over what follows SecurityResult, at every split', () => {
      const expected = Buffer.concat([V38, Buffer.from([2]), vncAuthResponse('pw123456', CHALLENGE)]);
      for (let cut = 0; cut < server38.length; cut++) {
        const hs = new UpstreamHandshake('pw123456');
        const r = feed(hs, server38, cut);
        assert.deepEqual(r.out, expected, `cut ${cut}`);
        assert.equal(hs.state, HandshakeState.Done);
        assert.equal(r.rest?.toString(), 'SI', `cut ${cut}`);
      }
    });

    it('picks None when that is all the server offers (3.8: still reads SecurityResult)', () => {
      const hs = new UpstreamHandshake('');
      const r = feed(hs, Buffer.concat([V38, Buffer.from([1, 1]), u32(0)]), 0);
      assert.deepEqual(r.out, Buffer.concat([V38, Buffer.from([1])]));
      assert.equal(hs.state, HandshakeState.Done);
    });

    it('speaks 3.3 (server-chosen type) and 3.7 (no SecurityResult after None)', () => {
      const h33 = new UpstreamHandshake('secret');
      const r33 = feed(h33, Buffer.concat([V33, u32(2), CHALLENGE, u32(0)]), 0);
      assert.deepEqual(r33.out, Buffer.concat([V33, vncAuthResponse('secret', CHALLENGE)]));
      assert.equal(h33.state, HandshakeState.Done);
      const h37 = new UpstreamHandshake('');
      feed(h37, Buffer.concat([V37, Buffer.from([1, 1])]), 0);
      assert.equal(h37.state, HandshakeState.Done);
    });

    it('reports a failed authentication with the server reason', () => {
      const hs = new UpstreamHandshake('wrong');
      const bytes = Buffer.concat([V38, Buffer.from([1, 2]), CHALLENGE, u32(1), u32(21), Buffer.from('Authentication failed')]);
      assert.throws(() => feed(hs, bytes, 0), (e: RfbHandshakeError) => e.code === 'RFB_AUTH_FAILED' && /Authentication failed/.test(e.message));
    });

    it('reports a refusal (zero security types) and nonsense versions', () => {
      assert.throws(() => feed(new UpstreamHandshake(''), Buffer.concat([V38, Buffer.from([0]), u32(4), Buffer.from('busy')]), 0), (e: RfbHandshakeError) => e.code === 'RFB_REFUSED');
      assert.throws(() => feed(new UpstreamHandshake(''), Buffer.from('HTTP/1.1 200\n'), 0), (e: RfbHandshakeError) => e.code === 'RFB_BAD_VERSION');
      assert.throws(() => feed(new UpstreamHandshake(''), Buffer.concat([V38, Buffer.from([1, 16])]), 0), (e: RfbHandshakeError) => e.code === 'RFB_NO_SECURITY');
    });
  });

  describe('DownstreamHandshake', () => {
    it('offers 3.8 with VNC auth, accepts the right response at every split and passes ClientInit on', () => {
      const client = Buffer.concat([V38, Buffer.from([2]), vncAuthResponse('fresh123', CHALLENGE), Buffer.from([1])]);
      for (let cut = 0; cut < client.length; cut++) {
        const hs = new DownstreamHandshake({ password: 'fresh123', challenge: CHALLENGE });
        assert.deepEqual(hs.start(), V38);
        const r = feed(hs, client, cut);
        assert.deepEqual(r.out, Buffer.concat([Buffer.from([1, 2]), CHALLENGE, u32(0)]), `cut ${cut}`);
        assert.deepEqual(r.rest, Buffer.from([1]), `cut ${cut}`);
      }
    });

    it('refuses a wrong response and queues SecurityResult 1 with a reason', () => {
      const hs = new DownstreamHandshake({ password: 'fresh123', challenge: CHALLENGE });
      const client = Buffer.concat([V38, Buffer.from([2]), vncAuthResponse('guess!!!', CHALLENGE)]);
      assert.throws(() => feed(hs, client, 0), (e: RfbHandshakeError) => e.code === 'RFB_AUTH_FAILED');
      const tail = Buffer.concat(hs.failureBytes());
      assert.deepEqual(tail.subarray(tail.length - 4 - 4 - 21), Buffer.concat([u32(1), u32(21), Buffer.from('Authentication failed')]));
    });

    it('offers None when built without a password; serves 3.3 clients', () => {
      const none = new DownstreamHandshake();
      const r = feed(none, Buffer.concat([V38, Buffer.from([1])]), 0);
      assert.deepEqual(r.out, Buffer.concat([Buffer.from([1, 1]), u32(0)]));
      assert.equal(none.state, HandshakeState.Done);
      const old = new DownstreamHandshake({ password: 'abc', challenge: CHALLENGE });
      const r33 = feed(old, Buffer.concat([V33, vncAuthResponse('abc', CHALLENGE)]), 0);
      assert.deepEqual(r33.out, Buffer.concat([u32(2), CHALLENGE, u32(0)]));
    });

    it('refuses a security type it did not offer', () => {
      const hs = new DownstreamHandshake({ password: 'abc' });
      assert.throws(() => feed(hs, Buffer.concat([V38, Buffer.from([1])]), 0), (e: RfbHandshakeError) => e.code === 'RFB_NO_SECURITY');
    });
  });
});
