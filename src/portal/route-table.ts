import type { Express, NextFunction, Request, RequestHandler, Response } from 'express';
import { ForbiddenError, NotFoundError, UnauthorizedError } from './errors.js';

/**
 * Who may call a route:
 * - public: anyone (health, assets, login form);
 * - user: a logged-in, active account;
 * - vm: a logged-in account that may use the VM named by `:id` (Guacamole READ through the user or a group,
 *   or ADMINISTER) — anyone else gets 404, so a VM's existence is not revealed;
 * - admin: an account with the Guacamole system permission ADMINISTER.
 */
export type Access = 'public' | 'user' | 'vm' | 'admin';
export type Method = 'get' | 'post' | 'put' | 'delete';

export interface RouteSpec {
  method: Method;
  path: string;
  access: Access;
  /** JSON API (errors as JSON, 401 instead of a redirect to /login). */
  api: boolean;
  summary: string;
  /** For the OpenAPI document: the request body's JSON schema and the answer's status. */
  body?: object;
  status?: number;
  /** Marks a route whose answer is a Server-Sent Events stream. */
  stream?: boolean;
}

/** Checks a VM permission for the current request; true when allowed. */
export type VmGuard = (req: Request, vmId: number) => Promise<boolean>;

/**
 * Every route of the portal goes through here: the access check is attached by the table from the route's
 * declared access, so no handler can forget it, and the list of routes (for the authorization matrix test and
 * the OpenAPI document) is the list the app really serves.
 */
export class RouteTable {
  readonly routes: RouteSpec[] = [];

  constructor(
    private readonly app: Express,
    private readonly vmGuard: VmGuard,
  ) {}

  add(spec: RouteSpec, ...handlers: RequestHandler[]): void {
    this.routes.push(spec);
    this.app[spec.method](spec.path, accessCheck(spec, this.vmGuard), ...handlers);
  }
}

function accessCheck(spec: RouteSpec, vmGuard: VmGuard): RequestHandler {
  return async (req: Request, res: Response, next: NextFunction) => {
    if (spec.access === 'public') return next();
    const user = req.user;
    if (!user) {
      if (spec.api) return next(new UnauthorizedError());
      const back = req.method === 'GET' ? `?next=${encodeURIComponent(req.originalUrl)}` : '';
      return res.redirect(303, `/login${back}`);
    }
    if (spec.access === 'admin' && !user.admin) return next(new ForbiddenError('This page is for administrators.'));
    if (spec.access === 'vm') {
      const id = parseId(req.params.id);
      if (id === undefined || !(await vmGuard(req, id))) return next(new NotFoundError('There is no such machine, or it is not yours.'));
    }
    next();
  };
}

/** A positive integer id from a route parameter, or undefined. */
export function parseId(value: unknown): number | undefined {
  if (typeof value !== 'string' || !/^[1-9][0-9]{0,9}$/.test(value)) return undefined;
  const n = Number(value);
  return n <= 2_147_483_647 ? n : undefined;
}
