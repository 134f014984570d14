import type { SshHostKeyRecord } from '../../db/ssh-host-keys.js';
import type { AuditRecord, ClusterRecord, MachineSession, UserSummary } from '../../db/index.js';
import type { VmGrant } from '../../db/grants.js';
import type { VmEventRecord } from '../../db/portal-vms.js';
import { html, type Html } from '../html.js';
import { csrfField } from '../layout.js';
import { WAY_LABEL } from '../vms/views.js';
import type { AdminVm } from './service.js';

const when = (d: Date | null): string => (d ? d.toISOString().replace('T', ' ').slice(0, 19) : '');

/** "45 s", "12 min 3 s", "2 h 5 min". */
function sessionLength(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

const wayLabel = (way: string | null): string => (way && Object.hasOwn(WAY_LABEL, way) ? WAY_LABEL[way as keyof typeof WAY_LABEL] : (way ?? ''));

function sessionsTable(sessions: readonly MachineSession[]): Html {
  if (sessions.length === 0) return html`<p class="empty" id="sessions">No one has opened it yet.</p>`;
  return html`<table class="sessions" id="sessions"><thead><tr><th>Started</th><th>Length</th><th>User</th><th>Way in</th><th>From</th></tr></thead><tbody>
${sessions.map((x) => html`<tr><td>${when(x.start)}</td><td>${x.end ? sessionLength(x.end.getTime() - x.start.getTime()) : 'not ended'}</td><td>${x.username}</td><td>${wayLabel(x.way)}</td><td>${x.remoteHost ?? ''}</td></tr>`)}
</tbody></table>`;
}

export function adminNav(): Html {
  return html`<nav class="subnav"><a href="/admin/users">Users</a> <a href="/admin/groups">Groups</a> <a href="/admin/vms">Machines</a> <a href="/admin/clusters">Clusters</a> <a href="/admin/audit">Audit log</a></nav>`;
}

export function usersPage(users: readonly UserSummary[], pending: readonly { entityId: number; name: string; email: string | null; emailVerified: boolean }[], csrf: string): Html {
  return html`${adminNav()}<h1>Users</h1>
${pending.length
  ? html`<section class="pending"><h2>Waiting for approval</h2><table><thead><tr><th>Name</th><th>E-mail</th><th>Confirmed</th><th></th></tr></thead><tbody>
  ${pending.map((p) => html`<tr><td>${p.name}</td><td>${p.email ?? ''}</td><td>${p.emailVerified ? 'yes' : 'not yet'}</td><td><form method="post" action="/admin/users/${p.entityId}/state" class="inline">${csrfField(csrf)}<button name="state" value="active" class="primary">Approve</button></form></td></tr>`)}
  </tbody></table></section>`
  : ''}
<table class="users"><thead><tr><th>Name</th><th>E-mail</th><th>State</th><th>Admin</th><th>Last login</th><th>Actions</th></tr></thead><tbody>
${users.map(
  (u) => html`<tr data-user="${u.name}"><td>${u.name}</td><td>${u.email ?? ''}</td><td>${u.state}</td><td>${u.admin ? 'yes' : ''}</td><td>${when(u.lastLoginAt)}</td><td>
  <form method="post" action="/admin/users/${u.entityId}/state" class="inline">${csrfField(csrf)}<button name="state" value="${u.state === 'disabled' ? 'active' : 'disabled'}">${u.state === 'disabled' ? 'Enable' : 'Disable'}</button></form>
  <form method="post" action="/admin/users/${u.entityId}/admin" class="inline">${csrfField(csrf)}<button name="admin" value="${u.admin ? 'no' : 'yes'}">${u.admin ? 'Remove admin' : 'Make admin'}</button></form>
  <form method="post" action="/admin/users/${u.entityId}/password" class="inline">${csrfField(csrf)}<input name="password" type="password" placeholder="new password" minlength="10" maxlength="1024" required><button>Set password</button></form>
  </td></tr>`,
)}
</tbody></table>
<h2>Add a user</h2>
<form method="post" action="/admin/users" class="stack narrow">${csrfField(csrf)}
<label>User name <input name="name" required maxlength="128"></label>
<label>E-mail (optional) <input name="email" type="email" maxlength="254"></label>
<label>Password <input name="password" type="password" required minlength="10" maxlength="1024"></label>
<label class="check"><input name="admin" type="checkbox" value="yes"> Administrator</label>
<button class="primary">Add user</button></form>`;
}

export function groupsPage(groups: readonly { name: string; members: string[]; disabled: boolean }[], csrf: string): Html {
  return html`${adminNav()}<h1>Groups</h1>
<table class="groups"><thead><tr><th>Group</th><th>Members</th><th>State</th><th></th></tr></thead><tbody>
${groups.map(
  (g) => html`<tr data-group="${g.name}"><td>${g.name}</td><td>${g.members.map((m) => html`<form method="post" action="/admin/groups/members" class="inline member">${csrfField(csrf)}<input type="hidden" name="group" value="${g.name}"><input type="hidden" name="member" value="${m}"><input type="hidden" name="op" value="remove">${m} <button class="link" title="remove ${m}">×</button></form> `)}</td>
  <td>${g.disabled ? 'disabled' : 'active'}</td>
  <td><form method="post" action="/admin/groups/state" class="inline">${csrfField(csrf)}<input type="hidden" name="group" value="${g.name}"><button name="disabled" value="${g.disabled ? 'no' : 'yes'}">${g.disabled ? 'Enable' : 'Disable'}</button></form></td></tr>`,
)}
</tbody></table>
<h2>Add a member</h2>
<form method="post" action="/admin/groups/members" class="stack narrow">${csrfField(csrf)}<input type="hidden" name="op" value="add">
<label>Group <input name="group" required maxlength="128"></label>
<label>Member name <input name="member" required maxlength="128"></label>
<label>Member is a <select name="memberType"><option value="user">user</option><option value="group">group</option></select></label>
<button class="primary">Add member</button></form>
<h2>New group</h2>
<form method="post" action="/admin/groups" class="stack narrow">${csrfField(csrf)}<label>Name <input name="name" required maxlength="128"></label><button class="primary">Create group</button></form>`;
}

export function vmsPage(vms: readonly AdminVm[]): Html {
  return html`${adminNav()}<h1>All machines</h1>
<table class="vms-admin"><thead><tr><th>Name</th><th>Cluster</th><th>Node / id</th><th>State</th></tr></thead><tbody>
${vms.map((v) => html`<tr><td><a href="/admin/vms/${v.id}">${v.name}</a></td><td>${v.cluster}</td><td>${v.node} / ${v.vmid}</td><td>${v.state}</td></tr>`)}
</tbody></table>`;
}

export function vmAdminPage(
  d: { vm: AdminVm; grants: readonly VmGrant[]; events: readonly VmEventRecord[]; hostKeys?: readonly SshHostKeyRecord[]; sessions?: readonly MachineSession[] },
  csrf: string,
): Html {
  return html`${adminNav()}<h1>${d.vm.name}</h1>
<p>${d.vm.cluster}, node ${d.vm.node}, id ${d.vm.vmid}: <strong>${d.vm.state}</strong> · <a href="/vms/${d.vm.id}">open</a></p>
<h2>Who may use it</h2>
<ul class="grants">${d.grants.map(
    (g) => html`<li>${g.type === 'USER' ? 'user' : 'group'} <strong>${g.name}</strong>
  <form method="post" action="/admin/vms/${d.vm.id}/grants" class="inline">${csrfField(csrf)}<input type="hidden" name="type" value="${g.type === 'USER' ? 'user' : 'group'}"><input type="hidden" name="name" value="${g.name}"><button name="op" value="revoke" class="link">revoke</button></form></li>`,
  )}</ul>
<form method="post" action="/admin/vms/${d.vm.id}/grants" class="stack narrow" id="grant-form">${csrfField(csrf)}<input type="hidden" name="op" value="grant">
<label>Give it to a <select name="type"><option value="user">user</option><option value="group">group</option></select></label>
<label>Name <input name="name" required maxlength="128"></label>
<button class="primary">Grant</button></form>
${d.hostKeys && d.hostKeys.length > 0
  ? html`<h2>SSH host key</h2>
<table class="host-keys" id="host-keys"><thead><tr><th>Port</th><th>Key</th><th>First seen</th><th>Accepted by</th></tr></thead><tbody>
${d.hostKeys.map((k) => html`<tr><td>${k.port}</td><td><code>${k.algorithm} ${k.fingerprint}</code></td><td>${when(k.firstSeen)}</td><td>${k.acceptedBy ?? ''}</td></tr>`)}
</tbody></table>
<form method="post" action="/admin/vms/${d.vm.id}/ssh-host-keys/forget" class="inline" id="forget-host-keys">${csrfField(csrf)}<button class="danger">Forget the SSH key (after a reinstall)</button></form>`
  : ''}
<h2>Sessions</h2>
${sessionsTable(d.sessions ?? [])}
<h2>History</h2>
<table class="history"><thead><tr><th>When</th><th>What</th><th>Who</th><th>Details</th></tr></thead><tbody>
${d.events.map((e) => html`<tr><td>${when(e.at)}</td><td>${e.kind}</td><td>${e.actor ?? ''}</td><td>${e.detail ?? ''}</td></tr>`)}
</tbody></table>`;
}

export function clustersPage(clusters: readonly ClusterRecord[], csrf: string, result?: { ok: boolean; message: string }): Html {
  return html`${adminNav()}<h1>Clusters</h1>
${result ? html`<p class="flash ${result.ok ? 'info' : 'error'}">${result.message}</p>` : ''}
<table class="clusters"><thead><tr><th>Name</th><th>API</th><th>Token</th><th>State</th><th>Last sync</th><th></th></tr></thead><tbody>
${clusters.map(
  (c) => html`<tr><td>${c.name}</td><td>${c.apiUrl}</td><td>${c.tokenId}</td><td>${c.enabled ? 'enabled' : 'disabled'}</td><td>${when(c.lastSyncOkAt)}${c.lastSyncError ? html` <span class="error">${c.lastSyncError}</span>` : ''}</td><td>
  <form method="post" action="/admin/clusters/${c.id}/test" class="inline">${csrfField(csrf)}<button>Test</button></form>
  <form method="post" action="/admin/clusters/${c.id}/state" class="inline">${csrfField(csrf)}<button name="enabled" value="${c.enabled ? 'no' : 'yes'}">${c.enabled ? 'Disable' : 'Enable'}</button></form></td></tr>`,
)}
</tbody></table>
<h2>Add a cluster</h2>
<form method="post" action="/admin/clusters" class="stack narrow">${csrfField(csrf)}
<label>Name <input name="name" required maxlength="64"></label>
<label>API address <input name="apiUrl" required placeholder="https://pve1.example.org:8006" maxlength="512"></label>
<label>Token id <input name="tokenId" required placeholder="earcandle@pve!gateway" maxlength="255"></label>
<label>Token secret <input name="tokenSecret" type="password" required maxlength="255"></label>
<label>CA certificate (PEM, optional) <textarea name="caPem" rows="4"></textarea></label>
<label>Ways into guests (ssh, rdp, vnc) <input name="guestProtocols" maxlength="64"></label>
<button class="primary">Add cluster</button></form>`;
}

export function auditPage(rows: readonly AuditRecord[]): Html {
  const last = rows[rows.length - 1];
  return html`${adminNav()}<h1>Audit log</h1>
<table class="audit"><thead><tr><th>When</th><th>Who</th><th>What</th><th>Target</th><th>From</th><th>Result</th><th>Details</th></tr></thead><tbody>
${rows.map((r) => html`<tr class="${r.result}"><td>${when(r.at)}</td><td>${r.actor ?? ''}</td><td>${r.action}</td><td>${r.target ?? ''}</td><td>${r.sourceAddress ?? ''}</td><td>${r.result}</td><td>${r.detail ?? ''}</td></tr>`)}
</tbody></table>
${last && rows.length >= 100 ? html`<p><a href="/admin/audit?before=${last.id}">Older</a></p>` : ''}`;
}
