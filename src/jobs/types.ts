import type { JobFinish, JobRecord, NewJob } from '../db/jobs.js';
import type { PveTask, TaskStatus } from '../pve/index.js';
import type { PowerAction } from './power-actions.js';

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** The part of the job table the queue and runner use (src/db/jobs.ts JobRepository). */
export interface JobStore {
  enqueue(job: NewJob): Promise<{ job: JobRecord; created: boolean }>;
  claim(runner: string, now: Date, leaseUntil: Date, kinds: readonly string[]): Promise<JobRecord | undefined>;
  renew(id: number, runner: string, leaseUntil: Date): Promise<boolean>;
  setUpid(id: number, runner: string, upid: string): Promise<boolean>;
  release(id: number, runner: string, now: Date): Promise<void>;
  retryLater(id: number, runner: string, runAfter: Date, error: string): Promise<void>;
  finish(id: number, runner: string, finish: JobFinish): Promise<boolean>;
  get(id: number): Promise<JobRecord | undefined>;
}

/** Where a VM lives (src/db/portal-vms.ts PortalVmRepository.get). */
export interface VmLookup {
  get(vmId: number): Promise<{ id: number; clusterId: number; node: string; vmid: number; name: string; type: string; goneAt: Date | null } | undefined>;
}

/** The PVE calls a power job makes (src/pve PveClient). */
export interface PowerPve {
  power(node: string, vmid: number, action: PowerAction, params?: Record<string, string | number | boolean>): Promise<string>;
  waitForTask(upid: string, options?: { timeoutMs?: number; pollMs?: number }): Promise<TaskStatus>;
  nodeTasks(node: string, since: number, limit?: number): Promise<PveTask[]>;
}

/** The PVE client for a cluster id. */
export type PveForCluster = (clusterId: number) => Promise<PowerPve>;

export const POWER_JOB = 'power';

export interface PowerJobArgs {
  action: PowerAction;
  /** ACPI shutdown: seconds PVE waits for the guest (default: the runner's option). */
  timeoutS?: number;
  /** ACPI shutdown: stop the guest if it did not power off in time. */
  forceStop?: boolean;
}

export interface JobLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}
