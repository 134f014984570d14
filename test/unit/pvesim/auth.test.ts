import assert from 'node:assert/strict';
import { TicketSigner, authenticate, generateVncPassword } from '../../../src/pvesim/auth.js';
import { ClusterState } from '../../../src/pvesim/state.js';

describe('auth', () => {
  describe('TicketSigner', () => {
    it('issues tickets valid for 2 h and not after', () => {
      let now = 1_800_000_000;
      const signer = new TicketSigner(() => now);
      const t = signer.ticket('root@pam');
      assert.match(t, /^PVE:root@pam:[0-9A-F]{8}::/);
      assert.equal(signer.verifyTicket(t), 'root@pam');
      now += 2 * 3600 + 1;
      assert.equal(signer.verifyTicket(t), undefined);
    });
    it('rejects a forged ticket and a CSRF token of another user', () => {
      const signer = new TicketSigner();
      assert.equal(signer.verifyTicket(signer.ticket('a@pve').replace('a@pve', 'root@pam')), undefined);
      assert.equal(signer.verifyCsrf(signer.csrf('a@pve'), 'b@pve'), false);
    });
    it('binds VNC tickets to identity, path and port for 40 s', () => {
      let now = 1_800_000_000;
      const signer = new TicketSigner(() => now);
      const t = signer.vncTicket('u@pve!t', '/vms/100', 5900);
      assert.ok(signer.verifyVncTicket(`pw:${t}`, 'u@pve!t', '/vms/100', 5900));
      assert.ok(!signer.verifyVncTicket(t, 'u@pve!t', '/vms/100', 5901));
      assert.ok(!signer.verifyVncTicket(t, 'u@pve', '/vms/100', 5900));
      now += 41;
      assert.ok(!signer.verifyVncTicket(t, 'u@pve!t', '/vms/100', 5900));
    });
  });

  describe('.authenticate', () => {
    const s = new ClusterState();
    s.users.set('u@pve', { userid: 'u@pve', enable: true });
    s.tokens.set('u@pve!t', { tokenid: 'u@pve!t', secret: '11111111-2222-4333-8444-555555555555', privsep: true });
    const signer = new TicketSigner();
    it('accepts a PVEAPIToken header without CSRF', () => {
      const who = authenticate(s, signer, { authorization: 'PVEAPIToken=u@pve!t=11111111-2222-4333-8444-555555555555' }, 'POST');
      assert.deepEqual([who.authid, who.userid, who.privsep], ['u@pve!t', 'u@pve', true]);
    });
    it('needs the CSRF token for writes with a ticket', () => {
      const cookie = `PVEAuthCookie=${encodeURIComponent(signer.ticket('u@pve'))}`;
      assert.equal(authenticate(s, signer, { cookie }, 'GET').authid, 'u@pve');
      assert.throws(() => authenticate(s, signer, { cookie }, 'POST'), { status: 401, message: 'Permission denied - invalid csrf token' });
      assert.equal(authenticate(s, signer, { cookie, csrfpreventiontoken: signer.csrf('u@pve') }, 'POST').authid, 'u@pve');
    });
    it('says No ticket without credentials', () => {
      assert.throws(() => authenticate(s, signer, {}, 'GET'), { status: 401, message: 'No ticket' });
    });
  });

  describe('.generateVncPassword', () => {
    it('gives 8 printable characters', () => {
      for (let i = 0; i < 50; i++) assert.match(generateVncPassword(), /^[!-~]{8}$/);
    });
  });
});
