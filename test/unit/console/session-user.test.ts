import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { createRequire } from 'node:module';
import { sessionUserIdentifier, unsignSessionCookie } from '../../../src/console/session-user.js';

const require = createRequire(import.meta.url);
// express-session signs with cookie-signature; use the real one to make the fixtures.
const signature = require('cookie-signature') as { sign(value: string, secret: string): string };
const SECRET = 'a-session-secret-of-at-least-32-characters';
const cookie = (sid: string, secret = SECRET): string => encodeURIComponent(`s:${signature.sign(sid, secret)}`);

describe('session-user', () => {
  describe('unsignSessionCookie', () => {
    it('accepts what express-session signs and refuses another secret or a changed id', () => {
      assert.equal(unsignSessionCookie(cookie('abc-123'), SECRET), 'abc-123');
      assert.equal(unsignSessionCookie(cookie('abc-123', 'other-secret'), SECRET), undefined);
      assert.equal(unsignSessionCookie(cookie('abc-123').replace('abc', 'abd'), SECRET), undefined);
      assert.equal(unsignSessionCookie('abc-123', SECRET), undefined);
      assert.equal(unsignSessionCookie('%E0%A4%A', SECRET), undefined);
    });
  });

  describe('sessionUserIdentifier', () => {
    const sessions = new Map<string, unknown>([
      ['s1', { passport: { user: 42 } }],
      ['s2', { csrfToken: 'x' }],
    ]);
    const identify = sessionUserIdentifier({ store: { get: (sid, cb) => cb(null, sessions.get(sid)) }, secret: SECRET, cookieName: 'earcandle.sid' });
    const req = (header?: string): IncomingMessage => ({ headers: header === undefined ? {} : { cookie: header } }) as IncomingMessage;

    it('finds the logged-in entity id', async () => {
      assert.equal(await identify(req(`theme=dark; earcandle.sid=${cookie('s1')}`)), 42);
    });
    it('gives null without a cookie, with a forged one, for an anonymous session or an unknown id', async () => {
      assert.equal(await identify(req()), null);
      assert.equal(await identify(req(`earcandle.sid=${cookie('s1', 'guess')}`)), null);
      assert.equal(await identify(req(`earcandle.sid=${cookie('s2')}`)), null);
      assert.equal(await identify(req(`earcandle.sid=${cookie('nope')}`)), null);
    });
  });
});
