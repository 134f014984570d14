import type { Response } from 'express';
import type { Principal } from './types.js';
import type { JobView, VmLiveView } from './vms/service.js';

export interface FeedSource {
  visibleIds(user: Principal): Promise<number[]>;
  views(vmIds: readonly number[]): Promise<VmLiveView[]>;
  jobsChangedSince(since: Date): Promise<JobView[]>;
}

interface Subscriber {
  user: Principal;
  res: Response;
  ids: Set<number>;
  idsAt: number;
  sent: Map<number, string>;
}

export interface LiveFeedOptions {
  pollMs?: number;
  /** How often a subscriber's visible VMs are read again (grants changed). */
  refreshIdsMs?: number;
  heartbeatMs?: number;
}

/**
 * Server-Sent Events for "my machines": one poll of the database for everyone connected (not one per
 * browser), each subscriber gets only the VMs it may use. Events: `vm` (a VmLiveView whose state, actions or
 * job changed) and `job` (a job of one of its VMs changed, with its plain-words error).
 */
export class LiveFeed {
  readonly #subs = new Set<Subscriber>();
  readonly #o: Required<LiveFeedOptions>;
  #timer: NodeJS.Timeout | undefined;
  #heartbeat: NodeJS.Timeout | undefined;
  #polling = false;
  #again = false;
  #lastPoll = new Date();
  #running = false;

  constructor(
    private readonly source: FeedSource,
    options: LiveFeedOptions = {},
  ) {
    this.#o = { pollMs: 1000, refreshIdsMs: 15_000, heartbeatMs: 15_000, ...options };
  }

  get size(): number {
    return this.#subs.size;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#lastPoll = new Date(Date.now() - this.#o.pollMs);
    this.#heartbeat = setInterval(() => {
      for (const s of this.#subs) s.res.write(': keep-alive\n\n');
    }, this.#o.heartbeatMs);
    this.#heartbeat.unref();
    this.#schedule(this.#o.pollMs);
  }

  /** Ends every stream (the server is stopping). */
  stop(): void {
    this.#running = false;
    if (this.#timer) clearTimeout(this.#timer);
    if (this.#heartbeat) clearInterval(this.#heartbeat);
    for (const s of this.#subs) s.res.end();
    this.#subs.clear();
  }

  /** Something changed (a job moved): poll now rather than at the next tick. */
  poke(): void {
    if (this.#running) this.#schedule(0);
  }

  async subscribe(user: Principal, res: Response): Promise<void> {
    res.status(200).set({ 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-store', 'X-Accel-Buffering': 'no', Connection: 'keep-alive' });
    res.flushHeaders();
    res.write('retry: 2000\n\n');
    const sub: Subscriber = { user, res, ids: new Set(), idsAt: 0, sent: new Map() };
    // Listened for before the reads below, so a browser gone meanwhile is never added.
    let closed = false;
    res.on('close', () => {
      closed = true;
      this.#subs.delete(sub);
    });
    sub.ids = new Set(await this.source.visibleIds(user));
    sub.idsAt = Date.now();
    // The first snapshot, so a page that loaded a moment ago catches up.
    for (const view of await this.source.views([...sub.ids])) {
      const text = JSON.stringify(view);
      sub.sent.set(view.id, text);
      res.write(`event: vm\ndata: ${text}\n\n`);
    }
    if (!closed) this.#subs.add(sub);
  }

  #schedule(ms: number): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => void this.#poll(), ms);
    this.#timer.unref();
  }

  async #poll(): Promise<void> {
    if (this.#polling) {
      this.#again = true;
      return;
    }
    this.#polling = true;
    try {
      do {
        this.#again = false;
        if (this.#subs.size > 0) await this.#pollOnce();
        else this.#lastPoll = new Date();
      } while (this.#again && this.#running);
    } catch {
      // The database hiccuped: try again at the next tick.
    } finally {
      this.#polling = false;
      if (this.#running) this.#schedule(this.#o.pollMs);
    }
  }

  async #pollOnce(): Promise<void> {
    const since = new Date(this.#lastPoll.getTime() - 1000);
    this.#lastPoll = new Date();
    const now = Date.now();
    for (const s of this.#subs) {
      if (now - s.idsAt > this.#o.refreshIdsMs) {
        s.ids = new Set(await this.source.visibleIds(s.user));
        s.idsAt = now;
      }
    }
    const union = new Set<number>();
    for (const s of this.#subs) for (const id of s.ids) union.add(id);
    const [views, jobs] = await Promise.all([this.source.views([...union]), this.source.jobsChangedSince(since)]);
    // Each view and job is serialised once, not once per subscriber.
    const viewTexts = views.map((v) => [v.id, JSON.stringify(v)] as const);
    const jobTexts = jobs.flatMap((j) => (j.vmId === null ? [] : [[j.vmId, JSON.stringify(j)] as const]));
    for (const s of this.#subs) {
      for (const [id, text] of viewTexts) {
        if (!s.ids.has(id) || s.sent.get(id) === text) continue;
        s.sent.set(id, text);
        s.res.write(`event: vm\ndata: ${text}\n\n`);
      }
      for (const [vmId, text] of jobTexts) if (s.ids.has(vmId)) s.res.write(`event: job\ndata: ${text}\n\n`);
    }
  }
}
