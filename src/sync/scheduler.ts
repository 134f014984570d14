import { syncAll, syncCluster, type ClusterSyncResult, type SyncDeps } from './runner.js';

const ACTIVE = 'active';
const STOPPED = 'stopped';
type State = typeof ACTIVE | typeof STOPPED;

/**
 * Periodic sync inside `serve`: every intervalSeconds all enabled clusters are synced; a tick that finds the
 * last run still going is skipped. `requestSync(cluster)` runs one cluster soon (after a job finished).
 * Timers are unref'd; stop() waits for the running pass and is idempotent.
 */
export class SyncScheduler {
  #state: State = ACTIVE;
  #timer: NodeJS.Timeout | undefined;
  #current: Promise<unknown> = Promise.resolve();
  #busy = false;
  readonly #requested = new Set<string>();

  constructor(
    private readonly deps: SyncDeps,
    private readonly onResult: (r: ClusterSyncResult) => void = () => {},
  ) {}

  /** Starts the periodic passes; sync.intervalSeconds = 0 turns them off (requestSync still works). */
  start(): void {
    if (this.#state === STOPPED || this.#timer) return;
    const seconds = this.deps.config.sync.intervalSeconds;
    if (seconds === 0) return;
    this.#timer = setInterval(() => this.#tick(), seconds * 1000);
    this.#timer.unref();
    setImmediate(() => this.#tick()).unref();
  }

  /** Syncs one cluster as soon as the current pass (if any) is over. */
  requestSync(cluster: string): void {
    if (this.#state === STOPPED) return;
    this.#requested.add(cluster);
    setImmediate(() => this.#tick()).unref();
  }

  get running(): boolean {
    return this.#busy;
  }

  async stop(): Promise<void> {
    this.#state = STOPPED;
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#current;
  }

  #tick(): void {
    if (this.#state === STOPPED || this.#busy) return;
    this.#busy = true;
    const requested = [...this.#requested];
    this.#requested.clear();
    const work = async (): Promise<void> => {
      const results = requested.length > 0 ? await Promise.all(requested.map((c) => syncCluster(this.deps, c))) : await syncAll(this.deps);
      for (const r of results) this.onResult(r);
    };
    this.#current = work()
      .catch((err: unknown) => this.deps.log?.(`sync pass failed: ${err instanceof Error ? err.message : String(err)}`))
      .finally(() => {
        this.#busy = false;
        if (this.#requested.size > 0 && this.#state !== STOPPED) setImmediate(() => this.#tick()).unref();
      });
  }
}
