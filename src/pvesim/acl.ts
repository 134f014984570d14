import type { ClusterState } from './state.js';

const VM_CONFIG = ['VM.Config.CDROM', 'VM.Config.CPU', 'VM.Config.Cloudinit', 'VM.Config.Disk', 'VM.Config.HWType', 'VM.Config.Memory', 'VM.Config.Network', 'VM.Config.Options'];
const VM_USER = [
  'VM.Audit',
  'VM.Console',
  'VM.PowerMgmt',
  'VM.Config.CDROM',
  'VM.Config.Cloudinit',
  'VM.Backup',
  'VM.GuestAgent.Audit',
  'VM.GuestAgent.FileRead',
  'VM.GuestAgent.FileWrite',
  'VM.GuestAgent.FileSystemMgmt',
];
const VM_ADMIN = [...new Set([...VM_USER, ...VM_CONFIG, 'VM.Allocate', 'VM.Clone', 'VM.Migrate', 'VM.Snapshot', 'VM.Snapshot.Rollback', 'VM.GuestAgent.Unrestricted'])];
const OTHER = ['Datastore.Allocate', 'Datastore.AllocateSpace', 'Datastore.AllocateTemplate', 'Datastore.Audit', 'Pool.Allocate', 'Pool.Audit', 'Sys.Audit', 'Sys.Console', 'Sys.Modify', 'Sys.PowerMgmt', 'Sys.Syslog', 'SDN.Use', 'SDN.Audit', 'SDN.Allocate', 'Permissions.Modify', 'User.Modify', 'Realm.Allocate', 'Mapping.Audit', 'Mapping.Use'];

/** Built-in roles (pve-access-control `$privgroups`, pveum.adoc). */
export const ROLES: Readonly<Record<string, readonly string[]>> = {
  Administrator: [...VM_ADMIN, ...OTHER],
  PVEVMUser: VM_USER,
  PVEVMAdmin: VM_ADMIN,
  PVEAuditor: ['Datastore.Audit', 'Mapping.Audit', 'Pool.Audit', 'SDN.Audit', 'Sys.Audit', 'VM.Audit', 'VM.GuestAgent.Audit'],
  PVETemplateUser: ['VM.Clone', 'VM.Audit'],
  PVEDatastoreUser: ['Datastore.AllocateSpace', 'Datastore.Audit'],
  PVEPoolUser: ['Pool.Audit'],
  PVESDNUser: ['SDN.Use', 'SDN.Audit'],
  NoAccess: [],
};

/** Who is calling: a user, or a token of that user. */
export interface Identity {
  /** `user@realm` or `user@realm!tokenid` (PVE's authuser). */
  readonly authid: string;
  readonly userid: string;
  readonly tokenid?: string;
  readonly privsep: boolean;
  readonly viaTicket: boolean;
}

/** Paths checked from the root down; a VM's pool path sits between /vms and /vms/<id>. */
function chain(state: ClusterState, path: string): string[] {
  const parts = path.split('/').filter(Boolean);
  const out = ['/'];
  for (let i = 1; i <= parts.length; i++) out.push('/' + parts.slice(0, i).join('/'));
  const vm = /^\/vms\/(\d+)$/.exec(path);
  if (vm) {
    const pool = state.vms.get(Number(vm[1]))?.pool;
    if (pool) out.splice(out.length - 1, 0, `/pool/${pool}`);
  }
  return out;
}

/** Privileges one ugid has on a path: the most specific level with entries wins (propagate respected). */
function privsFor(state: ClusterState, ugid: string, path: string): Set<string> {
  const levels = chain(state, path);
  let roles: string[] | undefined;
  levels.forEach((level, idx) => {
    const last = idx === levels.length - 1;
    const entries = state.acls.filter((a) => a.ugid === ugid && a.path === level && (last || a.propagate));
    if (entries.length) roles = entries.map((e) => e.roleid);
  });
  const privs = new Set<string>();
  for (const r of roles ?? []) for (const p of ROLES[r] ?? []) privs.add(p);
  return privs;
}

/** Effective privileges of an identity on a path; a privilege-separated token gets token ∩ user. */
export function permissions(state: ClusterState, who: Identity, path: string): Set<string> {
  const user = who.userid === 'root@pam' ? new Set(ROLES.Administrator) : privsFor(state, who.userid, path);
  if (!who.tokenid || !who.privsep) return user;
  const token = privsFor(state, who.authid, path);
  return new Set([...token].filter((p) => user.has(p)));
}

/** Whether any of `privs` is held on `path`. */
export function hasAny(state: ClusterState, who: Identity, path: string, privs: readonly string[]): boolean {
  const held = permissions(state, who, path);
  return privs.some((p) => held.has(p));
}
