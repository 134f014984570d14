import { fileURLToPath } from 'node:url';
import express, { type ErrorRequestHandler, type Express, type Request } from 'express';
import session, { type Store } from 'express-session';
import helmet from 'helmet';
import type { Registry } from 'prom-client';
import type { Secret } from '../config/index.js';
import type { ConsoleTokenService } from '../console/index.js';
import type { Logger } from '../log.js';
import { adminRoutes } from './admin/router.js';
import type { AdminService } from './admin/service.js';
import { apiRoutes } from './api/router.js';
import { authRoutes, configurePassport } from './auth/router.js';
import type { AuthService } from './auth/service.js';
import { csrfProtection } from './csrf.js';
import { BadRequestError, HttpError, NotFoundError, PayloadTooLargeError } from './errors.js';
import { html } from './html.js';
import type { LiveFeed } from './live-feed.js';
import { opsRoutes } from './ops/router.js';
import type { HealthService } from './ops/service.js';
import { RouteTable, type RouteSpec } from './route-table.js';
import './types.js';
import { vmRoutes, sendPage, type ConsolePage } from './vms/router.js';
import type { VmService } from './vms/service.js';

export interface PortalServices {
  auth: AuthService;
  vms: VmService;
  admin: AdminService;
  health: HealthService;
}

export interface PortalDeps {
  services: PortalServices;
  feed: LiveFeed;
  sessionStore: Store;
  sessionSecret: Secret;
  /** Cookies only over HTTPS (http.secureCookies). */
  secureCookies?: boolean;
  /** Behind a reverse proxy: take the client address from X-Forwarded-For (http.trustProxy). */
  trustProxy?: boolean;
  /** Largest accepted request body (default 32 KiB). */
  bodyLimit?: string;
  /** Directories served as /assets (default web/dist and web/public). */
  assetsDirs?: string[];
  metricsRegistries?: Registry[];
  /** The console page (src/console replaces the placeholder). */
  consolePage?: ConsolePage;
  /** Mints console tokens for POST /api/v1/vms/:id/console-token (absent: no console on this gateway). */
  consoleTokens?: Pick<ConsoleTokenService, 'mint'>;
  log?: Logger;
  sessionMaxAgeMs?: number;
}

export const SESSION_COOKIE = 'earcandle.sid';
const WEB = fileURLToPath(new URL('../../web/', import.meta.url).href.replace('/dist/web/', '/web/'));

/**
 * Builds the portal's express app; never listens (server.ts does). Every route is registered through a
 * RouteTable, which attaches its access check; `routesOf(app)` lists them.
 */
export function createApp(deps: PortalDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  // Pages and API answers are per user and carry the CSRF token: no ETag (a SHA-1 of every 100 KB page for
  // nothing). Static assets keep theirs (express.static makes its own).
  app.set('etag', false);
  app.set('trust proxy', deps.trustProxy ?? false);
  app.use(
    helmet({
      contentSecurityPolicy: {
        useDefaults: false,
        directives: {
          defaultSrc: ["'self'"],
          scriptSrc: ["'self'"],
          styleSrc: ["'self'"],
          // the console draws on canvases from blob:/data: images and talks to /tunnel over a same-origin WebSocket
          imgSrc: ["'self'", 'data:', 'blob:'],
          connectSrc: ["'self'"],
          fontSrc: ["'self'"],
          workerSrc: ["'self'", 'blob:'],
          objectSrc: ["'none'"],
          baseUri: ["'self'"],
          formAction: ["'self'"],
          frameAncestors: ["'none'"],
          ...(deps.secureCookies ? { upgradeInsecureRequests: [] } : {}),
        },
      },
      strictTransportSecurity: deps.secureCookies ? undefined : false,
    }),
  );
  for (const dir of deps.assetsDirs ?? [`${WEB}dist`, `${WEB}public`]) app.use('/assets', express.static(dir, { index: false, maxAge: '1h', fallthrough: true }));

  const limit = deps.bodyLimit ?? '32kb';
  app.use(express.urlencoded({ extended: false, limit, parameterLimit: 100 }));
  app.use(express.json({ limit, strict: true }));
  app.use(
    session({
      name: SESSION_COOKIE,
      store: deps.sessionStore,
      secret: deps.sessionSecret.reveal(),
      resave: false,
      saveUninitialized: false,
      rolling: false,
      cookie: { httpOnly: true, sameSite: 'lax', secure: deps.secureCookies ?? false, maxAge: deps.sessionMaxAgeMs ?? 12 * 3600_000 },
    }),
  );
  const pp = configurePassport(deps.services.auth);
  app.use(pp.initialize());
  app.use(pp.session());
  app.use(csrfProtection);

  const { vms, admin, auth, health } = deps.services;
  const table = new RouteTable(app, (req: Request, vmId: number) => vms.canUse(req.user!, vmId));
  app.locals.routes = table.routes;
  opsRoutes(table, health, deps.metricsRegistries ?? []);
  authRoutes(table, auth, pp, async (user) => {
    const list = await vms.list(user);
    return list.length === 1 && !user.admin ? `/vms/${list[0]!.id}` : '/';
  });
  vmRoutes(table, vms, deps.consolePage);
  adminRoutes(table, admin);
  apiRoutes(table, vms, admin, deps.feed, deps.consoleTokens);

  app.use((_req, _res, next) => next(new NotFoundError()));
  app.use(errorHandler(deps.log));
  return app;
}

/** Every route the app serves, with its declared access. */
export function routesOf(app: Express): readonly RouteSpec[] {
  return app.locals.routes as RouteSpec[];
}

function errorHandler(log: Logger | undefined): ErrorRequestHandler {
  return (err: unknown, req, res, next) => {
    if (res.headersSent) return next(err);
    const e = toHttpError(err);
    if (!e) log?.error({ err, method: req.method, path: req.path }, 'request failed');
    const status = e?.status ?? 500;
    const message = e?.message ?? 'Something went wrong on our side. Please try again in a moment.';
    const code = e?.code ?? 'INTERNAL';
    if (e && 'retryAfterS' in e) res.set('Retry-After', String((e as { retryAfterS: number }).retryAfterS));
    if (req.path.startsWith('/api/') || !req.accepts('html')) {
      res.status(status).json({ error: { code, message } });
      return;
    }
    if (status === 401) return res.redirect(303, '/login');
    if (!req.session) {
      res.status(status).type('text').send(message);
      return;
    }
    sendPage(req, res, status === 404 ? 'Not found' : 'Sorry', html`<section class="narrow"><h1>${status === 404 ? 'Not found' : 'That did not work'}</h1><p class="flash error" role="alert">${message}</p><p><a href="/">Back to my machines</a></p></section>`, undefined, status);
  };
}

function toHttpError(err: unknown): HttpError | undefined {
  if (err instanceof HttpError) return err;
  const e = err as { type?: string; status?: number; expose?: boolean };
  if (e?.type === 'entity.too.large') return new PayloadTooLargeError();
  if (e?.type === 'entity.parse.failed') return new BadRequestError('The request body is not valid JSON.');
  if (e?.type === 'parameters.too.many') return new PayloadTooLargeError('Too many form fields.');
  if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500 && e.expose) return new BadRequestError('The request could not be read.');
  return undefined;
}
