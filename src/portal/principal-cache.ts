import type { Principal } from './types.js';

export interface PrincipalCacheOptions {
  /** How long an account read from the database answers for it (default 2 s). */
  ttlMs?: number;
  /** Most accounts kept (default 10,000); the oldest read goes first. */
  maxEntries?: number;
  now?: () => number;
}

interface Entry {
  principal: Principal | undefined;
  readAt: number;
}

/**
 * Who is behind a session (name, state, administrator right), remembered for at most `ttlMs`, so a page
 * view does not read the account on every request. It never holds grants: which VMs a user may see and use
 * is read from the Guacamole permission tables on every request.
 *
 * The bound: every change made through the portal (admin pages and API, e-mail verification) clears it at
 * once (`clear()`), and an account read that overlapped a clear is not remembered. A change made outside
 * the portal (the `earcandle` CLI, the stock Guacamole admin, SQL) counts after at most `ttlMs`: a disabled
 * account or a removed administrator right keeps working for at most 2 s.
 */
export class PrincipalCache {
  readonly #ttlMs: number;
  readonly #max: number;
  readonly #now: () => number;
  readonly #entries = new Map<number, Entry>();
  #generation = 0;

  constructor(options: PrincipalCacheOptions = {}) {
    this.#ttlMs = options.ttlMs ?? 2000;
    this.#max = options.maxEntries ?? 10_000;
    this.#now = options.now ?? Date.now;
  }

  get ttlMs(): number {
    return this.#ttlMs;
  }

  /** The cached account, else `load()`'s answer (remembered unless a clear came in between). */
  async get(entityId: number, load: () => Promise<Principal | undefined>): Promise<Principal | undefined> {
    const now = this.#now();
    const hit = this.#entries.get(entityId);
    if (hit && now - hit.readAt < this.#ttlMs) return hit.principal && { ...hit.principal };
    const generation = this.#generation;
    const principal = await load();
    if (generation === this.#generation) {
      this.#entries.delete(entityId);
      this.#entries.set(entityId, { principal: principal && { ...principal }, readAt: now });
      if (this.#entries.size > this.#max) {
        const oldest = this.#entries.keys().next().value;
        if (oldest !== undefined) this.#entries.delete(oldest);
      }
    }
    return principal;
  }

  /** Forgets one account (a login has just read it afresh). */
  forget(entityId: number): void {
    this.#generation += 1;
    this.#entries.delete(entityId);
  }

  /** Forgets every account: called after any change of accounts, groups or grants through the portal. */
  clear(): void {
    this.#generation += 1;
    this.#entries.clear();
  }
}
