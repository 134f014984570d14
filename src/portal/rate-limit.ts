/**
 * A fixed-window counter per key (client address), in memory: enough for one gateway process. Returns how long
 * to wait when a key has used up its window.
 */
export class RateLimiter {
  readonly #hits = new Map<string, { count: number; resetAt: number }>();

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Counts one attempt; the seconds to wait when over the limit, else 0. */
  hit(key: string): number {
    const t = this.now();
    let entry = this.#hits.get(key);
    if (!entry || entry.resetAt <= t) {
      entry = { count: 0, resetAt: t + this.windowMs };
      this.#hits.set(key, entry);
      if (this.#hits.size > 10_000) this.#sweep(t);
    }
    entry.count += 1;
    return entry.count > this.limit ? Math.ceil((entry.resetAt - t) / 1000) : 0;
  }

  /** Seconds to wait for a key already over the limit, without counting. */
  blocked(key: string): number {
    const entry = this.#hits.get(key);
    const t = this.now();
    return entry && entry.resetAt > t && entry.count >= this.limit ? Math.ceil((entry.resetAt - t) / 1000) : 0;
  }

  #sweep(t: number): void {
    for (const [k, v] of this.#hits) if (v.resetAt <= t) this.#hits.delete(k);
  }
}
