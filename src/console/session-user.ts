/**
 * Who is logged in on a WebSocket upgrade request: the portal's express-session cookie (signed as
 * cookie-signature signs it: "s:" + id + "." + base64(HMAC-SHA256(secret, id)) without padding), looked up in
 * the session store; passport keeps the user's entity id under `passport.user`. Lets the tunnel refuse a token
 * presented from another user's browser.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export interface SessionLookup {
  get(sid: string, callback: (err: unknown, session?: unknown) => void): void;
}

/** The session id from a signed cookie value, or undefined when the signature does not match. */
export function unsignSessionCookie(raw: string, secret: string): string | undefined {
  let value: string;
  try {
    value = decodeURIComponent(raw);
  } catch {
    return undefined;
  }
  if (!value.startsWith('s:')) return undefined;
  const body = value.slice(2);
  const dot = body.lastIndexOf('.');
  if (dot <= 0) return undefined;
  const sid = body.slice(0, dot);
  const given = Buffer.from(body.slice(dot + 1));
  const expected = Buffer.from(createHmac('sha256', secret).update(sid).digest('base64').replace(/=+$/, ''));
  return given.length === expected.length && timingSafeEqual(given, expected) ? sid : undefined;
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** identify(req) → the logged-in entity id, or null (no cookie, bad signature, no session, not logged in). */
export function sessionUserIdentifier(options: { store: SessionLookup; secret: string; cookieName: string }): (req: IncomingMessage) => Promise<number | null> {
  return async (req) => {
    const raw = cookieValue(req.headers.cookie, options.cookieName);
    const sid = raw === undefined ? undefined : unsignSessionCookie(raw, options.secret);
    if (sid === undefined) return null;
    const session = await new Promise<unknown>((resolve) => options.store.get(sid, (err, s) => resolve(err ? undefined : s)));
    const user = (session as { passport?: { user?: unknown } } | undefined)?.passport?.user;
    return typeof user === 'number' && Number.isSafeInteger(user) ? user : null;
  };
}
