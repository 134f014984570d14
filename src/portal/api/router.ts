import { z } from 'zod';
import { CONSOLE_KINDS, ConsoleError, guestCredentialsSchema, TUNNEL_PATH, type ConsoleTokenService } from '../../console/index.js';
import { POWER_ACTIONS } from '../../jobs/index.js';
import { grantSchema, newUserSchema, type AdminService } from '../admin/service.js';
import { actorOf, requireId } from '../admin/router.js';
import { csrfToken } from '../csrf.js';
import { BadRequestError, ConflictError, NotFoundError } from '../errors.js';
import type { LiveFeed } from '../live-feed.js';
import type { RouteTable } from '../route-table.js';
import { parseId } from '../route-table.js';
import { parse } from '../validate.js';
import type { VmService } from '../vms/service.js';
import { openApiDocument } from './openapi.js';
import { vmListJson } from './vm-list-json.js';

export const powerSchema = z.object({ action: z.enum(POWER_ACTIONS, 'Unknown action.') }).strict();
/** `credentials` (ssh/rdp/vnc at the guest) go into the token only: never stored, logged or echoed. */
export const consoleTokenSchema = z.object({ kind: z.enum(CONSOLE_KINDS, 'Unknown way in.').default('console'), credentials: guestCredentialsSchema.optional() }).strict();
const auditQuery = z.object({ limit: z.coerce.number().int().min(1).max(500).default(100), before: z.coerce.number().int().positive().optional() });

/** The JSON API: the same services and the same access rules as the pages; errors as JSON. */
export function apiRoutes(table: RouteTable, vms: VmService, admin: AdminService, feed: LiveFeed, consoleTokens?: Pick<ConsoleTokenService, 'mint'>): void {
  const api = { api: true };

  table.add({ method: 'get', path: '/api/v1/openapi.json', access: 'public', ...api, summary: 'This API, as an OpenAPI 3 document' }, (_req, res) => {
    res.json(openApiDocument(table.routes));
  });

  table.add({ method: 'get', path: '/api/v1/session', access: 'user', ...api, summary: 'Who is logged in, and the CSRF token for changes' }, (req, res) => {
    res.json({ user: { name: req.user!.name, admin: req.user!.admin }, csrfToken: csrfToken(req) });
  });

  table.add({ method: 'get', path: '/api/v1/vms', access: 'user', ...api, summary: 'My machines with their state, possible actions and running job' }, async (req, res) => {
    res.type('application/json').send(vmListJson(await vms.list(req.user!)));
  });

  table.add({ method: 'get', path: '/api/v1/vms/:id', access: 'vm', ...api, summary: 'One machine with its connections, history and recent jobs' }, async (req, res) => {
    res.json({ vm: await vms.detail(req.user!, parseId(req.params.id)!) });
  });

  table.add(
    { method: 'post', path: '/api/v1/vms/:id/power', access: 'vm', ...api, summary: 'Start a power action (a job); a repeat while it runs returns the same job', body: z.toJSONSchema(powerSchema), status: 202 },
    async (req, res) => {
      const { action } = parse(powerSchema, req.body);
      const { job, created } = await vms.power(req.user!, parseId(req.params.id)!, action, req.ip ?? '');
      res.status(created ? 202 : 200).json({ job, created });
    },
  );

  if (consoleTokens) {
    table.add(
      {
        method: 'post',
        path: '/api/v1/vms/:id/console-token',
        access: 'vm',
        ...api,
        summary: 'A single-use console token (valid 30 s) for the /tunnel WebSocket; for ssh/rdp/vnc it carries the guest credentials given here',
        body: z.toJSONSchema(consoleTokenSchema, { io: 'input' }),
      },
      async (req, res) => {
        const { kind, credentials } = parse(consoleTokenSchema, req.body ?? {});
        try {
          const { token, expiresAt, hostKey } = await consoleTokens.mint(req.user!.entityId, parseId(req.params.id)!, kind, credentials);
          res.set('Cache-Control', 'no-store').json({
            token,
            tunnelUrl: TUNNEL_PATH,
            expiresAt: new Date(expiresAt).toISOString(),
            ...(hostKey ? { hostKey: { fingerprint: hostKey.fingerprint, algorithm: hostKey.algorithm, firstSeen: hostKey.firstSeen.toISOString() } } : {}),
          });
        } catch (err) {
          if (!(err instanceof ConsoleError)) throw err;
          if (err.code === 'CREDENTIALS_INVALID') throw new BadRequestError(err.detail ?? err.userMessage);
          if (err.code === 'NO_CONNECTION' || err.code === 'NO_ADDRESS') throw new ConflictError(err.userMessage);
          throw new NotFoundError('There is no such machine, or it is not yours.');
        }
      },
    );
  }

  table.add({ method: 'get', path: '/api/v1/jobs/:id', access: 'user', ...api, summary: 'A job of one of my machines' }, async (req, res) => {
    res.json({ job: await vms.job(req.user!, requireId(req)) });
  });

  table.add({ method: 'get', path: '/api/v1/events', access: 'user', ...api, stream: true, summary: 'Live changes of my machines and their jobs (Server-Sent Events: vm, job)' }, async (req, res) => {
    await feed.subscribe(req.user!, res);
  });

  const adm = { access: 'admin' as const, ...api };
  table.add({ method: 'get', path: '/api/v1/admin/users', ...adm, summary: 'All users and the accounts waiting for approval' }, async (_req, res) => {
    res.json(await admin.users());
  });
  table.add({ method: 'post', path: '/api/v1/admin/users', ...adm, summary: 'Create a user', body: z.toJSONSchema(newUserSchema, { io: 'input' }), status: 201 }, async (req, res) => {
    res.status(201).json({ user: await admin.createUser(actorOf(req), parse(newUserSchema, req.body)) });
  });
  table.add({ method: 'get', path: '/api/v1/admin/groups', ...adm, summary: 'All groups with their members' }, async (_req, res) => {
    res.json({ groups: await admin.groups() });
  });
  table.add({ method: 'get', path: '/api/v1/admin/vms', ...adm, summary: 'All machines' }, async (_req, res) => {
    res.json({ vms: await admin.vms() });
  });
  table.add({ method: 'get', path: '/api/v1/admin/vms/:id', ...adm, summary: "A machine's grants and history" }, async (req, res) => {
    res.json(await admin.vm(requireId(req)));
  });
  table.add({ method: 'delete', path: '/api/v1/admin/vms/:id/ssh-host-keys', ...adm, summary: "Forget a machine's recorded SSH host keys (after a reinstall)" }, async (req, res) => {
    res.json({ forgotten: await admin.forgetHostKeys(actorOf(req), requireId(req)) });
  });
  table.add({ method: 'post', path: '/api/v1/admin/vms/:id/grants', ...adm, summary: 'Grant or revoke a machine to a user or group', body: z.toJSONSchema(grantSchema, { io: 'input' }) }, async (req, res) => {
    const vmId = requireId(req);
    await admin.changeGrant(actorOf(req), vmId, parse(grantSchema, req.body));
    res.json({ grants: (await admin.vm(vmId)).grants });
  });
  table.add({ method: 'get', path: '/api/v1/admin/audit', ...adm, summary: 'The audit log, newest first' }, async (req, res) => {
    const q = parse(auditQuery, req.query);
    res.json({ entries: await admin.auditLog(q.limit, q.before) });
  });
}
