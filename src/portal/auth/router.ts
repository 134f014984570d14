import type { NextFunction, Request, Response } from 'express';
import passport from 'passport';
import { Strategy as LocalStrategy } from 'passport-local';
import { z } from 'zod';
import { csrfToken } from '../csrf.js';
import { HttpError } from '../errors.js';
import type { RouteTable } from '../route-table.js';
import type { Principal } from '../types.js';
import { parse } from '../validate.js';
import { sendPage } from '../vms/router.js';
import { registrationSchema, type AuthService } from './service.js';
import { forgotForm, loginForm, logoutForm, messagePage, registerForm, resetForm } from './views.js';

const loginSchema = z.object({ name: z.string().max(1024), password: z.string().max(1024), next: z.string().max(2048).optional() });
const tokenQuery = z.object({ token: z.string().min(1, 'The link is incomplete.').max(128, 'The link is not valid.') });
const forgotSchema = z.object({ email: z.string().trim().max(254) });
const resetSchema = z.object({ token: z.string().min(1).max(128), password: z.string().max(1024), password2: z.string().max(1024) });

/** Where to go after logging in: the page asked for (same site only), or straight to the only machine. */
export type Landing = (user: Principal) => Promise<string>;

/** Sets up passport's local strategy and its session (de)serialisation, which re-reads the account on every request. */
export function configurePassport(auth: AuthService): passport.PassportStatic {
  const pp = new passport.Passport();
  pp.use(
    new LocalStrategy({ usernameField: 'name', passwordField: 'password', passReqToCallback: true }, (req, name, password, done) => {
      auth.login(name, password, req.ip ?? '').then(
        (user) => done(null, user),
        (err: unknown) => done(err),
      );
    }),
  );
  pp.serializeUser((user, done) => done(null, user.entityId));
  pp.deserializeUser((id: unknown, done) => {
    if (typeof id !== 'number') return done(null, false);
    auth.principal(id).then((p) => done(null, p ?? false), done);
  });
  return pp as unknown as passport.PassportStatic;
}

function safeNext(next: string | undefined): string | undefined {
  return next && /^\/(?![/\\])[^\s]*$/.test(next) && !next.startsWith('/login') ? next : undefined;
}

export function authRoutes(table: RouteTable, auth: AuthService, pp: passport.PassportStatic, landing: Landing): void {
  table.add({ method: 'get', path: '/login', access: 'public', api: false, summary: 'Login form' }, (req, res) => {
    if (req.user) return res.redirect(303, '/');
    const next = typeof req.query.next === 'string' ? safeNext(req.query.next) : undefined;
    sendPage(req, res, 'Log in', loginForm({ csrf: csrfToken(req), registration: auth.registrationEnabled, ...(next ? { next } : {}) }));
  });

  table.add({ method: 'post', path: '/login', access: 'public', api: false, summary: 'Log in' }, (req: Request, res: Response, next: NextFunction) => {
    const form = parse(loginSchema, req.body);
    const again = (err: unknown): void => {
      if (!(err instanceof HttpError)) return next(err);
      if (err.status === 429) res.set('Retry-After', String((err as { retryAfterS?: number }).retryAfterS ?? 60));
      const target = safeNext(form.next);
      sendPage(req, res, 'Log in', loginForm({ csrf: csrfToken(req), name: form.name, error: err.message, registration: auth.registrationEnabled, ...(target ? { next: target } : {}) }), undefined, err.status);
    };
    pp.authenticate('local', { session: false }, (err: unknown, user: Principal | false) => {
      if (err || !user) return again(err);
      // req.login regenerates the session (no fixation); the CSRF token is made anew with it.
      req.login(user, (loginErr) => {
        if (loginErr) return next(loginErr);
        const target = safeNext(form.next);
        (target ? Promise.resolve(target) : landing(user)).then((to) => res.redirect(303, to), next);
      });
    })(req, res, next);
  });

  table.add({ method: 'get', path: '/logout', access: 'public', api: false, summary: 'Log out (asks first)' }, (req, res) => {
    if (!req.user) return res.redirect(303, '/login');
    sendPage(req, res, 'Log out', logoutForm(csrfToken(req)));
  });

  table.add({ method: 'post', path: '/logout', access: 'public', api: false, summary: 'Log out' }, (req, res, next) => {
    const user = req.user;
    req.logout((err) => {
      if (err) return next(err);
      req.session.destroy(() => {
        res.clearCookie('earcandle.sid');
        if (user) void auth.logout(user, req.ip ?? '').catch(() => undefined);
        res.redirect(303, '/login');
      });
    });
  });

  table.add({ method: 'get', path: '/register', access: 'public', api: false, summary: 'Registration form' }, (req, res) => {
    if (!auth.registrationEnabled) return sendPage(req, res, 'Registration closed', messagePage('Registration is closed', 'Ask an administrator for an account.', { href: '/login', text: 'Log in' }), undefined, 404);
    sendPage(req, res, 'Create an account', registerForm({ csrf: csrfToken(req) }));
  });

  table.add({ method: 'post', path: '/register', access: 'public', api: false, summary: 'Register' }, async (req, res, next) => {
    const body = req.body as Record<string, unknown>;
    const keep = { name: typeof body.name === 'string' ? body.name.slice(0, 64) : '', email: typeof body.email === 'string' ? body.email.slice(0, 254) : '' };
    try {
      const form = parse(registrationSchema, req.body);
      await auth.register(form, req.ip ?? '');
      sendPage(req, res, 'Check your mail', messagePage('Check your mail', `We sent a link to ${form.email}. Open it to confirm your address.`, { href: '/login', text: 'Log in' }));
    } catch (err) {
      if (!(err instanceof HttpError) || err.status >= 500) return next(err);
      sendPage(req, res, 'Create an account', registerForm({ csrf: csrfToken(req), ...keep, error: err.message }), undefined, err.status);
    }
  });

  table.add({ method: 'get', path: '/verify-email', access: 'public', api: false, summary: 'Confirm an e-mail address (link from the mail)' }, async (req, res) => {
    const { token } = parse(tokenQuery, req.query);
    const state = await auth.verifyEmail(token, req.ip ?? '');
    const text = state === 'active' ? 'Your address is confirmed. You can log in now.' : 'Your address is confirmed. An administrator will approve your account; you can log in after that.';
    sendPage(req, res, 'Address confirmed', messagePage('Address confirmed', text, { href: '/login', text: 'Log in' }));
  });

  table.add({ method: 'get', path: '/forgot-password', access: 'public', api: false, summary: 'Password reset request form' }, (req, res) => {
    sendPage(req, res, 'Forgot your password?', forgotForm({ csrf: csrfToken(req) }));
  });

  table.add({ method: 'post', path: '/forgot-password', access: 'public', api: false, summary: 'Request a password reset mail' }, async (req, res) => {
    const { email } = parse(forgotSchema, req.body);
    await auth.forgotPassword(email, req.ip ?? '');
    sendPage(req, res, 'Check your mail', messagePage('Check your mail', 'If an account has this address, we sent it a link to choose a new password.', { href: '/login', text: 'Log in' }));
  });

  table.add({ method: 'get', path: '/reset-password', access: 'public', api: false, summary: 'New password form (link from the mail)' }, async (req, res) => {
    const { token } = parse(tokenQuery, req.query);
    if (!(await auth.resetTokenValid(token))) {
      return sendPage(req, res, 'Link expired', messagePage('This link is not valid any more', 'It may have been used already or expired.', { href: '/forgot-password', text: 'Ask for a new one' }), undefined, 400);
    }
    sendPage(req, res, 'Choose a new password', resetForm({ csrf: csrfToken(req), token }));
  });

  table.add({ method: 'post', path: '/reset-password', access: 'public', api: false, summary: 'Set a new password' }, async (req, res, next) => {
    const form = parse(resetSchema, req.body);
    try {
      await auth.resetPassword(form.token, form.password, form.password2, req.ip ?? '');
    } catch (err) {
      if (!(err instanceof HttpError) || err.status >= 500) return next(err);
      return sendPage(req, res, 'Choose a new password', resetForm({ csrf: csrfToken(req), token: form.token, error: err.message }), undefined, err.status);
    }
    sendPage(req, res, 'Password changed', messagePage('Password changed', 'You can log in with your new password now.', { href: '/login', text: 'Log in' }));
  });
}
