import assert from 'node:assert/strict';
import session, { type SessionData } from 'express-session';
import { CachedSessionStore } from '../../../src/portal/session-cache.js';
import type { ClosableStore } from '../../../src/portal/session-store.js';

type Cb<T = void> = (err?: unknown, value?: T) => void;

/** An in-memory store that counts reads and lets a test hold a read until it says so. */
class CountingStore extends session.Store implements ClosableStore {
  readonly rows = new Map<string, string>();
  reads = 0;
  hold: Promise<void> | undefined;
  override get(sid: string, cb: Cb<SessionData | null>): void {
    this.reads += 1;
    const row = this.rows.get(sid);
    const answer = () => cb(null, row ? (JSON.parse(row) as SessionData) : null);
    if (this.hold) void this.hold.then(answer);
    else answer();
  }
  override set(sid: string, data: SessionData, cb?: Cb): void {
    this.rows.set(sid, JSON.stringify(data));
    cb?.();
  }
  override destroy(sid: string, cb?: Cb): void {
    this.rows.delete(sid);
    cb?.();
  }
  async close(): Promise<void> {}
}

const get = (s: session.Store, sid: string) => new Promise<SessionData | null | undefined>((resolve, reject) => s.get(sid, (err, v) => (err ? reject(err as Error) : resolve(v))));
const set = (s: session.Store, sid: string, data: SessionData) => new Promise<void>((resolve, reject) => s.set(sid, data, (err) => (err ? reject(err as Error) : resolve())));
const destroy = (s: session.Store, sid: string) => new Promise<void>((resolve, reject) => s.destroy(sid, (err) => (err ? reject(err as Error) : resolve())));

function data(csrfToken: string, expires = new Date(10_000_000)): SessionData {
  return { cookie: { originalMaxAge: 1000, expires, httpOnly: true, path: '/' }, csrfToken } as SessionData;
}

describe('CachedSessionStore', () => {
  it('#get reads the database once within the ttl, and hands out a fresh object each time', async () => {
    let now = 1_000;
    const inner = new CountingStore();
    inner.rows.set('s1', JSON.stringify(data('a')));
    const store = new CachedSessionStore(inner, { ttlMs: 2000, now: () => now });
    const one = await get(store, 's1');
    one!.csrfToken = 'changed by a request';
    assert.equal((await get(store, 's1'))?.csrfToken, 'a');
    assert.equal(inner.reads, 1);
    now += 2000;
    await get(store, 's1');
    assert.equal(inner.reads, 2);
  });

  it('#set and #destroy go through at once: this process never serves what it changed or destroyed', async () => {
    const inner = new CountingStore();
    const store = new CachedSessionStore(inner, { now: () => 0 });
    await set(store, 's1', data('a'));
    assert.equal((await get(store, 's1'))?.csrfToken, 'a');
    await set(store, 's1', data('b'));
    assert.equal((await get(store, 's1'))?.csrfToken, 'b');
    assert.equal(JSON.parse(inner.rows.get('s1')!).csrfToken, 'b');
    await destroy(store, 's1');
    assert.equal(await get(store, 's1'), null);
    assert.equal(inner.rows.has('s1'), false);
  });

  it('#get does not remember a read that overlapped a write', async () => {
    const inner = new CountingStore();
    inner.rows.set('s1', JSON.stringify(data('old')));
    const store = new CachedSessionStore(inner, { now: () => 0 });
    let release!: () => void;
    inner.hold = new Promise<void>((r) => (release = r));
    const reading = get(store, 's1');
    inner.hold = undefined;
    await destroy(store, 's1');
    release();
    assert.equal((await reading)?.csrfToken, 'old', 'the overlapping read answers what it read');
    assert.equal(await get(store, 's1'), null, 'but is not remembered');
  });

  it('#get never serves an expired session from memory', async () => {
    let now = 1_000;
    const inner = new CountingStore();
    const store = new CachedSessionStore(inner, { ttlMs: 60_000, now: () => now });
    await set(store, 's1', data('a', new Date(1_500)));
    now = 1_500;
    await get(store, 's1');
    assert.equal(inner.reads, 1, 'expired: asked the database (which decides)');
  });
});
