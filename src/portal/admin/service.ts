import type { SshHostKeyRecord, SshHostKeyRepository } from '../../db/ssh-host-keys.js';
import { z } from 'zod';
import type { AuditRecord, AuditRepository, ClusterRecord, ClusterRepository, ConnectionHistory, IdentityRepository, MachineSession, UserSummary } from '../../db/index.js';
import { ConflictError as DbConflictError, InvalidNameError, NotFoundError as DbNotFoundError, passwordProblem } from '../../db/index.js';
import { GrantRepository, NoConnectionError, type VmGrant } from '../../db/grants.js';
import type { PortalAccountRepository } from '../../db/portal-accounts.js';
import type { PortalVm, PortalVmRepository, VmEventRecord } from '../../db/portal-vms.js';
import { plainState, type PlainState } from '../../jobs/index.js';
import { BadRequestError, ConflictError, NotFoundError, ServiceUnavailableError } from '../errors.js';
import type { Principal } from '../types.js';

const name = z.string().trim().min(1, 'A name is needed.').max(128, 'Names have at most 128 characters.');

export const newUserSchema = z.object({
  name,
  email: z.union([z.literal(''), z.string().trim().max(254).pipe(z.email('Please give a valid e-mail address.'))]).optional(),
  password: z.string().max(1024),
  admin: z.union([z.boolean(), z.enum(['yes', 'no', 'on'])]).optional(),
});
export const groupMemberSchema = z.object({ group: name, member: name, memberType: z.enum(['user', 'group']).default('user'), op: z.enum(['add', 'remove']) });
export const grantSchema = z.object({ type: z.enum(['user', 'group']), name, op: z.enum(['grant', 'revoke']).default('grant') });
export const newClusterSchema = z.object({
  name: z.string().trim().min(1).max(64),
  apiUrl: z.url('The API address must be a URL like https://pve.example.org:8006').max(512),
  tokenId: z.string().trim().min(3).max(255),
  tokenSecret: z.string().trim().min(1).max(255),
  caPem: z.string().max(65536).optional(),
  guestProtocols: z.string().max(64).optional(),
});

export interface AdminVm {
  id: number;
  name: string;
  cluster: string;
  vmid: number;
  node: string;
  state: PlainState;
}

export interface AdminDeps {
  identities: Pick<IdentityRepository, 'listUsers' | 'createUser' | 'requireUser' | 'setAdmin' | 'createGroup' | 'listGroups' | 'addGroupMember' | 'removeGroupMember'>;
  accounts: Pick<PortalAccountRepository, 'setState' | 'setPassword' | 'pending'>;
  grants: GrantRepository;
  vms: Pick<PortalVmRepository, 'visibleTo' | 'get' | 'events'>;
  audit: Pick<AuditRepository, 'record' | 'recent'>;
  /** Absent when no encryption key is configured: clusters can be listed but not added. */
  clusters: Pick<ClusterRepository, 'list' | 'add' | 'require' | 'setEnabled' | 'credentials'> | undefined;
  clusterList: () => Promise<ClusterRecord[]>;
  /** Connects to a cluster with its stored token: a sentence on success, throws with a plain reason otherwise. */
  testCluster?: (clusterName: string) => Promise<string>;
  requestSync?: (clusterId: number) => void;
  forgetCluster?: (clusterId: number) => void;
  /** Called after every change (accounts, groups, grants, clusters): the portal clears its account cache. */
  changed?: () => void;
  /** Guests' SSH host keys recorded on first use (absent: none are shown). */
  hostKeys?: Pick<SshHostKeyRepository, 'forVm' | 'forget'>;
  /** Console sessions as guacamole_connection_history has them (absent: none are shown). */
  sessions?: Pick<ConnectionHistory, 'forVm'>;
}

type Actor = { user: Principal; address: string };

/** Users, groups, grants, clusters and the audit log; every change leaves an audit row. */
export class AdminService {
  constructor(private readonly deps: AdminDeps) {}

  async users(): Promise<{ users: UserSummary[]; pending: Awaited<ReturnType<PortalAccountRepository['pending']>> }> {
    const [users, pending] = await Promise.all([this.deps.identities.listUsers(), this.deps.accounts.pending()]);
    return { users, pending };
  }

  async user(entityId: number): Promise<UserSummary> {
    return this.#mapDb(() => this.deps.identities.requireUser(entityId));
  }

  async createUser(a: Actor, input: z.output<typeof newUserSchema>): Promise<UserSummary> {
    const problem = passwordProblem(input.password, input.name);
    if (problem) throw new BadRequestError(cap(problem) + '.');
    const admin = input.admin === true || input.admin === 'yes' || input.admin === 'on';
    const user = await this.#mapDb(() =>
      this.deps.identities.createUser({ name: input.name, password: input.password, email: input.email || undefined, admin, state: 'active' }),
    );
    await this.#audit(a, 'user.create', `user:${user.name}`, admin ? 'administrator' : null);
    return user;
  }

  async setUserState(a: Actor, entityId: number, state: 'active' | 'disabled'): Promise<void> {
    const user = await this.user(entityId);
    if (state === 'disabled' && entityId === a.user.entityId) throw new ConflictError('You cannot disable your own account.');
    await this.deps.accounts.setState(entityId, state);
    await this.#audit(a, state === 'active' ? (user.state === 'pending' ? 'user.approve' : 'user.enable') : 'user.disable', `user:${user.name}`);
  }

  async setAdmin(a: Actor, entityId: number, admin: boolean): Promise<void> {
    const user = await this.user(entityId);
    if (!admin && entityId === a.user.entityId) throw new ConflictError('You cannot take away your own administrator right.');
    await this.#mapDb(() => this.deps.identities.setAdmin(user.name, admin));
    await this.#audit(a, admin ? 'user.make-admin' : 'user.remove-admin', `user:${user.name}`);
  }

  async setPassword(a: Actor, entityId: number, password: string): Promise<void> {
    const user = await this.user(entityId);
    const problem = passwordProblem(password, user.name);
    if (problem) throw new BadRequestError(cap(problem) + '.');
    await this.deps.accounts.setPassword(entityId, password);
    await this.#audit(a, 'user.reset-password', `user:${user.name}`);
  }

  async groups(): Promise<{ name: string; entityId: number; members: string[]; disabled: boolean }[]> {
    const [groups, disabled] = await Promise.all([this.deps.identities.listGroups(), this.deps.grants.disabledGroups()]);
    const off = new Set(disabled);
    return groups.map((g) => ({ ...g, disabled: off.has(g.name) }));
  }

  async createGroup(a: Actor, groupName: string): Promise<void> {
    await this.#mapDb(() => this.deps.identities.createGroup(groupName));
    await this.#audit(a, 'group.create', `group:${groupName}`);
  }

  async changeMember(a: Actor, input: z.output<typeof groupMemberSchema>): Promise<void> {
    const type = input.memberType === 'group' ? 'USER_GROUP' : 'USER';
    if (input.op === 'add') {
      if (type === 'USER_GROUP' && input.member === input.group) throw new BadRequestError('A group cannot be a member of itself.');
      await this.#mapDb(() => this.deps.identities.addGroupMember(input.group, input.member, type));
    } else {
      await this.#mapDb(() => this.deps.identities.removeGroupMember(input.group, input.member));
    }
    await this.#audit(a, input.op === 'add' ? 'group.add-member' : 'group.remove-member', `group:${input.group}`, `${input.memberType} ${input.member}`);
  }

  async setGroupDisabled(a: Actor, groupName: string, disabled: boolean): Promise<void> {
    await this.#mapDb(() => this.deps.grants.setGroupDisabled(groupName, disabled));
    await this.#audit(a, disabled ? 'group.disable' : 'group.enable', `group:${groupName}`);
  }

  async vms(): Promise<AdminVm[]> {
    const all = await this.deps.vms.visibleTo(0, true);
    return all.map(adminVm);
  }

  async vm(vmId: number): Promise<{ vm: AdminVm; grants: VmGrant[]; events: VmEventRecord[]; hostKeys: SshHostKeyRecord[]; sessions: MachineSession[] }> {
    const vm = await this.deps.vms.get(vmId);
    if (!vm) throw new NotFoundError('There is no such machine.');
    const [grants, events, hostKeys, sessions] = await Promise.all([
      this.deps.grants.forVm(vmId),
      this.deps.vms.events(vmId, 200),
      this.deps.hostKeys?.forVm(vmId) ?? [],
      this.deps.sessions?.forVm(vmId, 100) ?? [],
    ]);
    return { vm: adminVm(vm), grants, events, hostKeys, sessions };
  }

  /**
   * Forgets the SSH host keys recorded for a machine (after a legitimate reinstall): the next session records
   * the key it is shown. Returns how many were forgotten; an audit row names each fingerprint.
   */
  async forgetHostKeys(a: Actor, vmId: number): Promise<number> {
    const vm = await this.deps.vms.get(vmId);
    if (!vm) throw new NotFoundError('There is no such machine.');
    const gone = (await this.deps.hostKeys?.forget(vmId)) ?? [];
    if (gone.length > 0) await this.#audit(a, 'ssh.host-key.forget', `vm:${vm.id} ${vm.name}`, gone.map((k) => `${k.algorithm} ${k.fingerprint} (port ${k.port})`).join(', '));
    return gone.length;
  }

  async changeGrant(a: Actor, vmId: number, input: z.output<typeof grantSchema>): Promise<void> {
    const vm = await this.deps.vms.get(vmId);
    if (!vm) throw new NotFoundError('There is no such machine.');
    const type = input.type === 'group' ? 'USER_GROUP' : 'USER';
    const entityId = await this.#mapDb(() => this.deps.grants.entity(type, input.name));
    if (input.op === 'grant') await this.#mapDb(() => this.deps.grants.grant(vmId, entityId));
    else await this.deps.grants.revoke(vmId, entityId);
    await this.#audit(a, input.op === 'grant' ? 'vm.grant' : 'vm.revoke', `vm:${vm.id} ${vm.name}`, `${input.type} ${input.name}`);
  }

  async clusters(): Promise<ClusterRecord[]> {
    return this.deps.clusterList();
  }

  async addCluster(a: Actor, input: z.output<typeof newClusterSchema>): Promise<ClusterRecord> {
    const repo = this.#clusters();
    const cluster = await this.#mapDb(() =>
      repo.add({
        name: input.name,
        apiUrl: input.apiUrl,
        tokenId: input.tokenId,
        tokenSecret: input.tokenSecret,
        caPem: input.caPem?.trim() ? input.caPem.trim() : null,
        guestProtocols: (input.guestProtocols ?? '').split(/[\s,]+/).filter((p) => ['ssh', 'rdp', 'vnc'].includes(p)),
      }),
    );
    await this.#audit(a, 'cluster.add', `cluster:${cluster.name}`, cluster.apiUrl);
    this.deps.requestSync?.(cluster.id);
    return cluster;
  }

  async testCluster(a: Actor, clusterId: number): Promise<{ ok: boolean; message: string }> {
    const cluster = await this.#mapDb(() => this.#clusters().require(clusterId));
    if (!this.deps.testCluster) throw new ServiceUnavailableError('Testing clusters is not available here.');
    let result: { ok: boolean; message: string };
    try {
      result = { ok: true, message: await this.deps.testCluster(cluster.name) };
    } catch (err) {
      result = { ok: false, message: err instanceof Error ? err.message : 'the test failed' };
    }
    await this.deps.audit.record({ actor: a.user.name, actorEntityId: a.user.entityId, action: 'cluster.test', target: `cluster:${cluster.name}`, sourceAddress: a.address, result: result.ok ? 'success' : 'failure', detail: result.message });
    return result;
  }

  async setClusterEnabled(a: Actor, clusterId: number, enabled: boolean): Promise<void> {
    const repo = this.#clusters();
    const cluster = await this.#mapDb(() => repo.require(clusterId));
    await repo.setEnabled(cluster.name, enabled);
    this.deps.forgetCluster?.(cluster.id);
    await this.#audit(a, enabled ? 'cluster.enable' : 'cluster.disable', `cluster:${cluster.name}`);
  }

  async auditLog(limit: number, beforeId?: number): Promise<AuditRecord[]> {
    return this.deps.audit.recent(limit, beforeId);
  }

  #clusters(): NonNullable<AdminDeps['clusters']> {
    if (!this.deps.clusters) throw new ServiceUnavailableError('No encryption key is configured (secrets.encryptionKey), so cluster tokens cannot be stored.');
    return this.deps.clusters;
  }

  /** Every change ends here, right after its write. */
  async #audit(a: Actor, action: string, target: string, detail: string | null = null): Promise<void> {
    this.deps.changed?.();
    await this.deps.audit.record({ actor: a.user.name, actorEntityId: a.user.entityId, action, target, sourceAddress: a.address, result: 'success', detail });
  }

  /** Turns the repositories' errors into HTTP errors with the same plain message. */
  async #mapDb<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (err) {
      if (err instanceof DbConflictError) throw new ConflictError(cap(err.message) + '.');
      if (err instanceof DbNotFoundError) throw new NotFoundError(cap(err.message) + '.');
      if (err instanceof InvalidNameError) throw new BadRequestError(cap(err.message) + '.');
      if (err instanceof NoConnectionError) throw new ConflictError(cap(err.message) + '.');
      throw err;
    }
  }
}

function adminVm(vm: PortalVm): AdminVm {
  return { id: vm.id, name: vm.name, cluster: vm.clusterName, vmid: vm.vmid, node: vm.node, state: plainState(vm) };
}

function cap(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
