import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { JobRecord } from '../db/jobs.js';
import { PveTaskTimeoutError } from '../pve/index.js';
import { RetryableError, StopRequested, runPowerJob } from './power-job.js';
import { POWER_JOB, type Clock, type JobLogger, type JobStore, type PowerPve, type PveForCluster, type VmLookup } from './types.js';

export interface JobRunnerDeps {
  jobs: JobStore;
  vms: VmLookup;
  pve: PveForCluster;
  clock: Clock;
  /** Told about every change of a job (the portal's live feed). */
  onJobChange?: (job: JobRecord) => void;
  /** Asked to re-read a cluster after a job changed one of its VMs (src/sync's scheduler). */
  requestSync?: (clusterId: number) => void;
  log?: JobLogger;
}

export interface JobRunnerOptions {
  /** Name written in job.locked_by (default host:pid:random). */
  id?: string;
  concurrency?: number;
  /** How often to look for due jobs when nothing woke the runner. */
  pollMs?: number;
  /** How long a claimed job stays ours without renewal; a dead runner's jobs are resumed after it. */
  leaseMs?: number;
  /** How often PVE task status is polled. */
  taskPollMs?: number;
  /** Give up waiting for one task after this long (the job is retried, polling the same UPID). */
  taskTimeoutMs?: number;
  /** PVE's ACPI shutdown timeout when the job does not say. */
  shutdownTimeoutS?: number;
  /** Delay before a retry after a passing failure. */
  retryDelayMs?: number;
}

const STATES = { IDLE: 'idle', RUNNING: 'running', STOPPING: 'stopping' } as const;
type RunnerState = (typeof STATES)[keyof typeof STATES];

/**
 * Claims jobs from the table and carries them out. stop() lets every job in hand reach a safe point (its UPID
 * stored, or nothing sent), gives up their leases without finishing them and returns; a later runner resumes them.
 */
export class JobRunner {
  readonly id: string;
  readonly #deps: JobRunnerDeps;
  readonly #o: Required<Omit<JobRunnerOptions, 'id'>>;
  #state: RunnerState = STATES.IDLE;
  #timer: NodeJS.Timeout | undefined;
  #inFlight = new Map<number, Promise<void>>();
  #ticking = false;
  #again = false;

  constructor(deps: JobRunnerDeps, options: JobRunnerOptions = {}) {
    this.#deps = deps;
    this.id = options.id ?? `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`.slice(0, 64);
    this.#o = {
      concurrency: options.concurrency ?? 4,
      pollMs: options.pollMs ?? 1000,
      leaseMs: options.leaseMs ?? 30_000,
      taskPollMs: options.taskPollMs ?? 500,
      taskTimeoutMs: options.taskTimeoutMs ?? 15 * 60_000,
      shutdownTimeoutS: options.shutdownTimeoutS ?? 120,
      retryDelayMs: options.retryDelayMs ?? 5000,
    };
  }

  get state(): RunnerState {
    return this.#state;
  }

  start(): void {
    if (this.#state !== STATES.IDLE) return;
    this.#state = STATES.RUNNING;
    this.#schedule(0);
  }

  /** Looks for work now (after an enqueue). */
  wake(): void {
    if (this.#state === STATES.RUNNING) this.#schedule(0);
  }

  async stop(): Promise<void> {
    if (this.#state === STATES.IDLE) return;
    this.#state = STATES.STOPPING;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    while (this.#ticking || this.#inFlight.size > 0) {
      await Promise.allSettled([...this.#inFlight.values()]);
      if (this.#ticking) await new Promise((r) => setTimeout(r, 10));
    }
    this.#state = STATES.IDLE;
  }

  #schedule(ms: number): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => void this.#tick(), ms);
    this.#timer.unref();
  }

  async #tick(): Promise<void> {
    if (this.#ticking) {
      this.#again = true;
      return;
    }
    this.#ticking = true;
    try {
      do {
        this.#again = false;
        while (this.#state === STATES.RUNNING && this.#inFlight.size < this.#o.concurrency) {
          const now = this.#deps.clock.now();
          const job = await this.#deps.jobs.claim(this.id, now, new Date(now.getTime() + this.#o.leaseMs), [POWER_JOB]);
          if (!job) break;
          this.#deps.onJobChange?.(job);
          const run = this.#run(job).finally(() => {
            this.#inFlight.delete(job.id);
            this.wake();
          });
          this.#inFlight.set(job.id, run);
        }
      } while (this.#again && this.#state === STATES.RUNNING);
    } catch (err) {
      this.#deps.log?.error({ err }, 'job runner: claiming failed');
    } finally {
      this.#ticking = false;
      if (this.#state === STATES.RUNNING) this.#schedule(this.#o.pollMs);
    }
  }

  async #run(job: JobRecord): Promise<void> {
    const { jobs, clock } = this.#deps;
    const started = Date.now();
    try {
      const outcome = await runPowerJob(
        {
          vms: this.#deps.vms,
          pve: this.#deps.pve,
          clock,
          shutdownTimeoutS: this.#o.shutdownTimeoutS,
          storeUpid: async (upid) => {
            const ok = await jobs.setUpid(job.id, this.id, upid);
            if (ok) this.#changed(job.id);
            return ok;
          },
          waitSlice: async (pve: PowerPve, upid: string) => {
            if (this.#state !== STATES.RUNNING) throw new StopRequested('runner stopping');
            const slice = Math.max(this.#o.taskPollMs, Math.floor(this.#o.leaseMs / 3));
            try {
              await pve.waitForTask(upid, { timeoutMs: slice, pollMs: this.#o.taskPollMs });
              return 'done';
            } catch (err) {
              if (!(err instanceof PveTaskTimeoutError)) throw err;
              if (Date.now() - started > this.#o.taskTimeoutMs) throw err;
              const now = clock.now();
              if (!(await jobs.renew(job.id, this.id, new Date(now.getTime() + this.#o.leaseMs)))) throw new StopRequested('lease lost');
              if (this.#state !== STATES.RUNNING) throw new StopRequested('runner stopping');
              return 'pending';
            }
          },
        },
        job,
      );
      const done = await jobs.finish(job.id, this.id, { ...outcome, at: clock.now() });
      if (done) {
        this.#deps.log?.info({ job: job.id, state: outcome.state }, 'job finished');
        const vm = job.vmId === null ? undefined : await this.#deps.vms.get(job.vmId);
        if (vm) this.#deps.requestSync?.(vm.clusterId);
      }
    } catch (err) {
      if (err instanceof StopRequested) {
        await jobs.release(job.id, this.id, clock.now()).catch(() => undefined);
      } else if (err instanceof RetryableError && job.attempts < job.maxAttempts) {
        await jobs.retryLater(job.id, this.id, new Date(clock.now().getTime() + this.#o.retryDelayMs * job.attempts), err.message);
      } else {
        const message = err instanceof RetryableError ? err.message : 'The action failed (internal error).';
        if (!(err instanceof RetryableError)) this.#deps.log?.error({ err, job: job.id }, 'job failed unexpectedly');
        await jobs.finish(job.id, this.id, { state: 'failed', error: message, at: clock.now() }).catch(() => undefined);
      }
    }
    this.#changed(job.id);
  }

  #changed(id: number): void {
    const listener = this.#deps.onJobChange;
    if (!listener) return;
    void this.#deps.jobs.get(id).then((j) => j && listener(j), () => undefined);
  }
}
