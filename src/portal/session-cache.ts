import session, { type SessionData } from 'express-session';
import type { ClosableStore } from './session-store.js';

export interface SessionCacheOptions {
  /** How long a session read from the database is served from memory (default 2 s). */
  ttlMs?: number;
  /** Most sessions kept (default 10,000); the oldest read goes first. */
  maxEntries?: number;
  now?: () => number;
}

interface Entry {
  json: string;
  readAt: number;
  /** The cookie's expiry (ms since the epoch), or Infinity. */
  expiresAt: number;
}

type Callback<T = void> = (err?: unknown, value?: T) => void;

/**
 * A write-through, short-lived memory of the session store, so a page view reads its session without a
 * database round trip. Every write of this process goes through it: set and destroy (logout, session
 * regeneration at login) drop the entry before the database is written, and a read that overlapped a write
 * is not remembered, so this process never serves a session it has changed or destroyed. A change made by another process (a second gateway on the same
 * database) is seen after at most `ttlMs`. Expired sessions are never served. touch is a no-op: a session
 * lives its maxAge from login (the store below is made with disableTouch).
 */
export class CachedSessionStore extends session.Store implements ClosableStore {
  readonly #inner: ClosableStore;
  readonly #ttlMs: number;
  readonly #max: number;
  readonly #now: () => number;
  readonly #entries = new Map<string, Entry>();
  /** Counts set/destroy calls: a read or write that overlapped another write is not remembered. */
  #writes = 0;

  constructor(inner: ClosableStore, options: SessionCacheOptions = {}) {
    super();
    this.#inner = inner;
    this.#ttlMs = options.ttlMs ?? 2000;
    this.#max = options.maxEntries ?? 10_000;
    this.#now = options.now ?? Date.now;
  }

  override get(sid: string, callback: Callback<SessionData | null>): void {
    const hit = this.#entries.get(sid);
    const now = this.#now();
    if (hit && now - hit.readAt < this.#ttlMs && now < hit.expiresAt) {
      callback(null, JSON.parse(hit.json) as SessionData);
      return;
    }
    if (hit) this.#entries.delete(sid);
    const writes = this.#writes;
    this.#inner.get(sid, (err, data) => {
      if (!err && data && this.#writes === writes) this.#remember(sid, data, now);
      callback(err, data ?? null);
    });
  }

  override set(sid: string, data: SessionData, callback?: Callback): void {
    this.#entries.delete(sid);
    const writes = ++this.#writes;
    this.#inner.set(sid, data, (err) => {
      if (!err && this.#writes === writes) this.#remember(sid, data, this.#now());
      callback?.(err);
    });
  }

  override destroy(sid: string, callback?: Callback): void {
    this.#entries.delete(sid);
    this.#writes += 1;
    this.#inner.destroy(sid, (err) => {
      this.#entries.delete(sid);
      callback?.(err);
    });
  }

  override touch(_sid: string, _data: SessionData, callback?: Callback): void {
    callback?.();
  }

  override length(callback: Callback<number>): void {
    if (this.#inner.length) this.#inner.length(callback);
    else callback(new Error('the session store below cannot count its sessions'));
  }

  override clear(callback?: Callback): void {
    this.#entries.clear();
    this.#writes += 1;
    this.#inner.clear?.(callback);
  }

  async close(): Promise<void> {
    this.#entries.clear();
    await this.#inner.close();
  }

  #remember(sid: string, data: SessionData, readAt: number): void {
    const expires = data.cookie?.expires;
    const expiresAt = expires ? new Date(expires).getTime() : Infinity;
    this.#entries.delete(sid);
    this.#entries.set(sid, { json: JSON.stringify(data), readAt, expiresAt });
    if (this.#entries.size > this.#max) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
  }
}
