import type { AuditRepository } from '../../db/index.js';
import type { JobRecord, JobRepository } from '../../db/jobs.js';
import type { GuestWayKind, PortalVm, PortalVmRepository, VmConnection, VmEventRecord } from '../../db/portal-vms.js';
import { ACTION_LABEL, DESTRUCTIVE, actionsFor, plainState, refusalFor, type JobQueue, type PlainState, type PowerAction } from '../../jobs/index.js';
import { ConflictError, NotFoundError } from '../errors.js';
import type { Principal } from '../types.js';

export interface ActionView {
  action: PowerAction;
  label: string;
  destructive: boolean;
}

export interface JobView {
  id: number;
  vmId: number | null;
  action: string;
  state: string;
  error: string | null;
  actor: string | null;
  createdAt: Date;
  finishedAt: Date | null;
}

export interface VmView {
  id: number;
  name: string;
  cluster: string;
  node: string;
  vmid: number;
  state: PlainState;
  actions: readonly ActionView[];
  /** The queued or running job, if any (progress). */
  job: JobView | null;
  /** Ways into the guest at its own address the user may use, besides the screen: ssh, rdp, vnc. */
  guestWays: readonly GuestWay[];
}

export type GuestWay = GuestWayKind;

/**
 * What the live feed sends of a VM: the same for every user who may use it. Guest ways depend on the user's
 * permissions, so the shared feed leaves them out instead of claiming there are none.
 */
export type VmLiveView = Omit<VmView, 'guestWays'>;

export interface VmDetail extends VmView {
  ipv4: string | null;
  connections: VmConnection[];
  events: VmEventRecord[];
  jobs: JobView[];
}

export interface VmServiceDeps {
  vms: Pick<PortalVmRepository, 'visibleTo' | 'listFor' | 'canUse' | 'get' | 'events' | 'connections' | 'states' | 'guestWays'>;
  jobs: Pick<JobRepository, 'activeForVms' | 'recentForVm' | 'get'>;
  queue: Pick<JobQueue, 'enqueuePower'>;
  audit: Pick<AuditRepository, 'record'>;
}

/** "My machines": what a person may see and do with their VMs. */
export class VmService {
  constructor(private readonly deps: VmServiceDeps) {}

  /** "My machines": one query for the VMs, their guest ways in and their active jobs (docs/BENCHMARKS.md). */
  async list(user: Principal): Promise<VmView[]> {
    const listing = (await this.deps.vms.listFor(user.entityId, user.admin)).filter((l) => !l.template);
    // jobs are read only for the few VMs that have one running or queued
    const busy = listing.filter((l) => l.hasActiveJob).map((l) => l.id);
    const active = busy.length ? await this.deps.jobs.activeForVms(busy) : [];
    const byVm = new Map(active.map((j) => [j.vmId, j]));
    return listing.map((l) => toView(l, byVm.get(l.id), l.guestWays));
  }

  /** The ids of the VMs a user may use (the live feed's filter). */
  async visibleIds(user: Principal): Promise<number[]> {
    return (await this.deps.vms.visibleTo(user.entityId, user.admin)).map((v) => v.id);
  }

  async canUse(user: Principal, vmId: number): Promise<boolean> {
    return this.deps.vms.canUse(user.entityId, user.admin, vmId);
  }

  /** One VM with its history; NotFound when the user may not use it. */
  async detail(user: Principal, vmId: number): Promise<VmDetail> {
    const vm = await this.#require(user, vmId);
    const [events, connections, jobs, ways] = await Promise.all([
      this.deps.vms.events(vmId, 100),
      this.deps.vms.connections(vmId),
      this.deps.jobs.recentForVm(vmId, 10),
      this.deps.vms.guestWays(user.entityId, user.admin, [vmId]),
    ]);
    const active = jobs.find((j) => j.state === 'queued' || j.state === 'running');
    return { ...toView(vm, active, guestWaysOf(ways.get(vmId))), ipv4: vm.ipv4, connections, events, jobs: jobs.map(jobView) };
  }

  async vm(user: Principal, vmId: number): Promise<PortalVm> {
    return this.#require(user, vmId);
  }

  /** Queues a power action; a second click while one runs gets the same job back. */
  async power(user: Principal, vmId: number, action: PowerAction, address: string): Promise<{ job: JobView; created: boolean }> {
    const vm = await this.#require(user, vmId);
    const state = plainState(vm);
    const refusal = refusalFor(action, state);
    if (refusal) {
      await this.deps.audit.record({ actor: user.name, actorEntityId: user.entityId, action: `power.${action}`, target: `vm:${vm.id} ${vm.name}`, sourceAddress: address, result: 'denied', detail: refusal });
      throw new ConflictError(refusal);
    }
    const { job, created } = await this.deps.queue.enqueuePower({ vmId, action, actorEntityId: user.entityId, actor: user.name });
    if (created) {
      await this.deps.audit.record({ actor: user.name, actorEntityId: user.entityId, action: `power.${action}`, target: `vm:${vm.id} ${vm.name}`, sourceAddress: address, result: 'success', detail: `job ${job.id}` });
    }
    return { job: jobView(job), created };
  }

  async job(user: Principal, jobId: number): Promise<JobView> {
    const job = await this.deps.jobs.get(jobId);
    if (!job || job.vmId === null || !(await this.canUse(user, job.vmId))) throw new NotFoundError('There is no such job.');
    return jobView(job);
  }

  /** Current views of some VMs (the live feed). */
  async views(vmIds: readonly number[]): Promise<VmLiveView[]> {
    const vms = await this.deps.vms.states(vmIds);
    const active = await this.deps.jobs.activeForVms(vms.map((v) => v.id));
    const byVm = new Map(active.map((j) => [j.vmId, j]));
    return vms.map((v) => liveView(v, byVm.get(v.id)));
  }

  async #require(user: Principal, vmId: number): Promise<PortalVm> {
    const vm = (await this.canUse(user, vmId)) ? await this.deps.vms.get(vmId) : undefined;
    if (!vm) throw new NotFoundError('There is no such machine, or it is not yours.');
    return vm;
  }
}

export function jobView(j: JobRecord): JobView {
  return {
    id: j.id,
    vmId: j.vmId,
    action: typeof j.args.action === 'string' ? j.args.action : j.kind,
    state: j.state,
    error: j.error,
    actor: j.actor,
    createdAt: j.createdAt,
    finishedAt: j.finishedAt,
  };
}

const ACTION_VIEWS = new Map<PlainState, readonly ActionView[]>();

/** The actions of a state, one frozen list per state shared by every view (200 cards, 200 copies saved). */
function actionViews(state: PlainState): readonly ActionView[] {
  let views = ACTION_VIEWS.get(state);
  if (!views) {
    views = Object.freeze(actionsFor(state).map((action) => Object.freeze({ action, label: ACTION_LABEL[action], destructive: DESTRUCTIVE.has(action) })));
    ACTION_VIEWS.set(state, views);
  }
  return views;
}

const NO_WAYS: readonly GuestWay[] = Object.freeze([]);

function guestWaysOf(kinds: readonly string[] | undefined): readonly GuestWay[] {
  return kinds ? kinds.filter((w): w is GuestWay => w === 'ssh' || w === 'rdp' || w === 'vnc') : NO_WAYS;
}

/** What a view is made of: the VM's columns that the list and the machine page both read. */
type ViewSource = Pick<PortalVm, 'id' | 'name' | 'clusterName' | 'node' | 'vmid' | 'status' | 'qmpstatus' | 'lockState' | 'goneAt'>;

function toView(vm: ViewSource, job: JobRecord | undefined, guestWays: readonly GuestWay[] = NO_WAYS): VmView {
  return { ...liveView(vm, job), guestWays };
}

function liveView(vm: ViewSource, job: JobRecord | undefined): VmLiveView {
  const state = plainState(vm);
  return {
    id: vm.id,
    name: vm.name,
    cluster: vm.clusterName,
    node: vm.node,
    vmid: vm.vmid,
    state,
    actions: actionViews(state),
    job: job ? jobView(job) : null,
  };
}
