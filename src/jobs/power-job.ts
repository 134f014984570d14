import type { JobFinish, JobRecord } from '../db/jobs.js';
import { PveError, PveHttpError, PveTaskTimeoutError } from '../pve/index.js';
import { plainPveError } from './plain-errors.js';
import { EVENT_KIND, QEMU_TASK_TYPE, STATE_AFTER, isPowerAction, type PowerAction } from './power-actions.js';
import type { Clock, PowerPve, VmLookup } from './types.js';

/** How long before the job's first start a matching task in PVE's list may have begun (clock skew between gateway and node). */
const TASK_MATCH_SLACK_S = 30;

export interface PowerJobContext {
  vms: VmLookup;
  pve: (clusterId: number) => Promise<PowerPve>;
  clock: Clock;
  /** Stores the UPID; false when the job is no longer ours. */
  storeUpid(upid: string): Promise<boolean>;
  /** Waits for the task in slices, renewing the lease between them; throws StopRequested when the runner stops. */
  waitSlice(pve: PowerPve, upid: string): Promise<'done' | 'pending'>;
  shutdownTimeoutS: number;
}

/** The runner is stopping: the job keeps its lease-free running state and UPID, and another runner resumes it. */
export class StopRequested extends Error {
  override readonly name = 'StopRequested';
}

/** A failure that may pass (the cluster unreachable): the job is tried again later, checking the task list first. */
export class RetryableError extends Error {
  override readonly name = 'RetryableError';
}

/**
 * Carries out (or resumes) one power job: a stored UPID is polled; a job tried before without a UPID looks for
 * its task in the node's task list before sending anything (the action may have gone out); only a job never
 * sent sends. Returns how it finished; throws StopRequested or RetryableError.
 */
export async function runPowerJob(ctx: PowerJobContext, job: JobRecord): Promise<Omit<JobFinish, 'at'>> {
  const action = job.args.action;
  if (!isPowerAction(action)) return { state: 'failed', error: 'Unknown action.' };
  const vm = job.vmId === null ? undefined : await ctx.vms.get(job.vmId);
  if (!vm || vm.goneAt) return { state: 'failed', error: 'This machine no longer exists.' };
  if (vm.type !== 'qemu') return { state: 'failed', error: 'Only virtual machines (not containers) can be controlled here.' };

  const pve = await ctx.pve(vm.clusterId);
  let upid = job.upid;
  try {
    if (!upid && job.attempts > 1) upid = (await findSentTask(pve, vm.node, vm.vmid, action, job, ctx.clock)) ?? null;
    if (!upid) upid = await pve.power(vm.node, vm.vmid, action, powerParams(action, job, ctx.shutdownTimeoutS));
    if (upid !== job.upid && !(await ctx.storeUpid(upid))) throw new StopRequested('lease lost');
    while ((await ctx.waitSlice(pve, upid)) === 'pending') {
      // slice over, lease renewed: keep waiting
    }
  } catch (err) {
    if (err instanceof StopRequested || err instanceof RetryableError) throw err;
    if (err instanceof PveError && err.code === 'PVE_UNREACHABLE') throw new RetryableError(plainPveError(err));
    if (err instanceof PveHttpError && [502, 503, 504].includes(err.status)) throw new RetryableError(plainPveError(err));
    if (err instanceof PveTaskTimeoutError) throw new RetryableError(plainPveError(err));
    const message = plainPveError(err);
    return {
      state: 'failed',
      error: message,
      event: upid ? { vmId: vm.id, at: ctx.clock.now(), kind: `${action}-failed`, actor: job.actor, detail: message, upid } : null,
    };
  }
  return {
    state: 'succeeded',
    result: { upid },
    event: { vmId: vm.id, at: ctx.clock.now(), kind: EVENT_KIND[action], actor: job.actor, detail: `${action} from the portal`, upid },
    vmState: { vmId: vm.id, ...STATE_AFTER[action] },
  };
}

function powerParams(action: PowerAction, job: JobRecord, defaultTimeoutS: number): Record<string, string | number | boolean> {
  if (action !== 'shutdown') return {};
  const timeout = typeof job.args.timeoutS === 'number' ? job.args.timeoutS : defaultTimeoutS;
  return job.args.forceStop === true ? { timeout, forceStop: true } : { timeout };
}

/** The task this job may already have started: same type and guest, begun since the job first ran. */
async function findSentTask(pve: PowerPve, node: string, vmid: number, action: PowerAction, job: JobRecord, clock: Clock): Promise<string | undefined> {
  const since = Math.floor(((job.startedAt ?? job.createdAt ?? clock.now()).getTime()) / 1000) - TASK_MATCH_SLACK_S;
  const tasks = await pve.nodeTasks(node, since);
  const mine = tasks
    .filter((t) => t.type === QEMU_TASK_TYPE[action] && t.id === String(vmid) && t.starttime >= since)
    .sort((a, b) => a.starttime - b.starttime);
  return mine[0]?.upid;
}
