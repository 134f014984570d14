import type { Request } from 'express';
import { z } from 'zod';
import { csrfToken } from '../csrf.js';
import { NotFoundError } from '../errors.js';
import { html } from '../html.js';
import type { RouteTable } from '../route-table.js';
import { parseId } from '../route-table.js';
import { parse } from '../validate.js';
import { sendPage } from '../vms/router.js';
import { grantSchema, groupMemberSchema, newClusterSchema, newUserSchema, type AdminService } from './service.js';
import { adminNav, auditPage, clustersPage, groupsPage, usersPage, vmAdminPage, vmsPage } from './views.js';

const yesNo = z.enum(['yes', 'no'], 'Expected yes or no.');
const stateSchema = z.object({ state: z.enum(['active', 'disabled'], 'Expected active or disabled.') });
const passwordSchema = z.object({ password: z.string().max(1024) });
const groupSchema = z.object({ name: z.string().trim().min(1).max(128) });
const auditQuery = z.object({ before: z.coerce.number().int().positive().optional() });

export function actorOf(req: Request): { user: NonNullable<Request['user']>; address: string } {
  return { user: req.user!, address: req.ip ?? '' };
}

export function adminRoutes(table: RouteTable, admin: AdminService): void {
  const page = { access: 'admin' as const, api: false };

  table.add({ method: 'get', path: '/admin', ...page, summary: 'Administration' }, (req, res) => {
    sendPage(req, res, 'Administration', html`${adminNav()}<h1>Administration</h1><p>Choose what to manage above.</p>`);
  });

  table.add({ method: 'get', path: '/admin/users', ...page, summary: 'Users' }, async (req, res) => {
    const { users, pending } = await admin.users();
    sendPage(req, res, 'Users', usersPage(users, pending, csrfToken(req)));
  });
  table.add({ method: 'post', path: '/admin/users', ...page, summary: 'Create a user' }, async (req, res) => {
    const user = await admin.createUser(actorOf(req), parse(newUserSchema, req.body));
    req.session.flash = { kind: 'info', text: `User ${user.name} added.` };
    res.redirect(303, '/admin/users');
  });
  table.add({ method: 'post', path: '/admin/users/:id/state', ...page, summary: 'Approve, enable or disable a user' }, async (req, res) => {
    await admin.setUserState(actorOf(req), requireId(req), parse(stateSchema, req.body).state);
    res.redirect(303, '/admin/users');
  });
  table.add({ method: 'post', path: '/admin/users/:id/admin', ...page, summary: 'Make or unmake an administrator' }, async (req, res) => {
    await admin.setAdmin(actorOf(req), requireId(req), parse(z.object({ admin: yesNo }), req.body).admin === 'yes');
    res.redirect(303, '/admin/users');
  });
  table.add({ method: 'post', path: '/admin/users/:id/password', ...page, summary: "Reset a user's password" }, async (req, res) => {
    await admin.setPassword(actorOf(req), requireId(req), parse(passwordSchema, req.body).password);
    req.session.flash = { kind: 'info', text: 'Password changed.' };
    res.redirect(303, '/admin/users');
  });

  table.add({ method: 'get', path: '/admin/groups', ...page, summary: 'Groups' }, async (req, res) => {
    sendPage(req, res, 'Groups', groupsPage(await admin.groups(), csrfToken(req)));
  });
  table.add({ method: 'post', path: '/admin/groups', ...page, summary: 'Create a group' }, async (req, res) => {
    await admin.createGroup(actorOf(req), parse(groupSchema, req.body).name);
    res.redirect(303, '/admin/groups');
  });
  table.add({ method: 'post', path: '/admin/groups/members', ...page, summary: 'Add or remove a group member' }, async (req, res) => {
    await admin.changeMember(actorOf(req), parse(groupMemberSchema, req.body));
    res.redirect(303, '/admin/groups');
  });
  table.add({ method: 'post', path: '/admin/groups/state', ...page, summary: 'Enable or disable a group' }, async (req, res) => {
    const form = parse(z.object({ group: z.string().trim().min(1).max(128), disabled: yesNo }), req.body);
    await admin.setGroupDisabled(actorOf(req), form.group, form.disabled === 'yes');
    res.redirect(303, '/admin/groups');
  });

  table.add({ method: 'get', path: '/admin/vms', ...page, summary: 'All machines' }, async (req, res) => {
    sendPage(req, res, 'All machines', vmsPage(await admin.vms()));
  });
  table.add({ method: 'get', path: '/admin/vms/:id', ...page, summary: "A machine's grants and history" }, async (req, res) => {
    const d = await admin.vm(requireId(req));
    sendPage(req, res, d.vm.name, vmAdminPage(d, csrfToken(req)));
  });
  table.add({ method: 'post', path: '/admin/vms/:id/grants', ...page, summary: 'Grant or revoke a machine to a user or group' }, async (req, res) => {
    const vmId = requireId(req);
    await admin.changeGrant(actorOf(req), vmId, parse(grantSchema, req.body));
    res.redirect(303, `/admin/vms/${vmId}`);
  });

  table.add({ method: 'post', path: '/admin/vms/:id/ssh-host-keys/forget', ...page, summary: "Forget a machine's recorded SSH host keys (after a reinstall)" }, async (req, res) => {
    const vmId = requireId(req);
    const n = await admin.forgetHostKeys(actorOf(req), vmId);
    req.session.flash = { kind: 'info', text: n > 0 ? 'The SSH key is forgotten; the next connection records the new one.' : 'No SSH key was recorded.' };
    res.redirect(303, `/admin/vms/${vmId}`);
  });

  table.add({ method: 'get', path: '/admin/clusters', ...page, summary: 'Clusters' }, async (req, res) => {
    sendPage(req, res, 'Clusters', clustersPage(await admin.clusters(), csrfToken(req)));
  });
  table.add({ method: 'post', path: '/admin/clusters', ...page, summary: 'Add a cluster' }, async (req, res) => {
    const c = await admin.addCluster(actorOf(req), parse(newClusterSchema, req.body));
    req.session.flash = { kind: 'info', text: `Cluster ${c.name} added.` };
    res.redirect(303, '/admin/clusters');
  });
  table.add({ method: 'post', path: '/admin/clusters/:id/test', ...page, summary: 'Test a cluster connection' }, async (req, res) => {
    const result = await admin.testCluster(actorOf(req), requireId(req));
    sendPage(req, res, 'Clusters', clustersPage(await admin.clusters(), csrfToken(req), result));
  });
  table.add({ method: 'post', path: '/admin/clusters/:id/state', ...page, summary: 'Enable or disable a cluster' }, async (req, res) => {
    await admin.setClusterEnabled(actorOf(req), requireId(req), parse(z.object({ enabled: yesNo }), req.body).enabled === 'yes');
    res.redirect(303, '/admin/clusters');
  });

  table.add({ method: 'get', path: '/admin/audit', ...page, summary: 'Audit log' }, async (req, res) => {
    const q = parse(auditQuery, req.query);
    sendPage(req, res, 'Audit log', auditPage(await admin.auditLog(100, q.before)));
  });
}

/** The numeric :id of an admin route, or a 404. */
export function requireId(req: Request): number {
  const n = parseId(req.params.id);
  if (n === undefined) throw new NotFoundError('There is nothing here.');
  return n;
}
