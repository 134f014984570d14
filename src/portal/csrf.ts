import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { CsrfError } from './errors.js';

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The session's synchronizer token, made on first use. */
export function csrfToken(req: Request): string {
  req.session.csrfToken ??= randomBytes(32).toString('base64url');
  return req.session.csrfToken;
}

/**
 * Refuses every state-changing request whose token (form field `_csrf` or header `X-CSRF-Token`) does not
 * equal the session's. A request without a session has no token and is refused too.
 */
export function csrfProtection(req: Request, _res: Response, next: NextFunction): void {
  if (SAFE.has(req.method)) return next();
  const expected = req.session?.csrfToken;
  const body = req.body as Record<string, unknown> | undefined;
  const sent = req.get('x-csrf-token') ?? (body && typeof body._csrf === 'string' ? body._csrf : undefined);
  if (!expected || typeof sent !== 'string' || !same(expected, sent)) return next(new CsrfError());
  next();
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
