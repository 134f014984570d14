import assert from 'node:assert/strict';
import { PrincipalCache } from '../../../src/portal/principal-cache.js';
import type { Principal } from '../../../src/portal/types.js';

const alice: Principal = { entityId: 7, name: 'alice', admin: true, state: 'active' };

describe('PrincipalCache', () => {
  it('#get reads once within the ttl and again after it', async () => {
    let now = 1_000;
    let reads = 0;
    const cache = new PrincipalCache({ ttlMs: 2000, now: () => now });
    const load = async () => {
      reads += 1;
      return { ...alice };
    };
    assert.deepEqual(await cache.get(7, load), alice);
    now += 1999;
    assert.deepEqual(await cache.get(7, load), alice);
    assert.equal(reads, 1);
    now += 1;
    await cache.get(7, load);
    assert.equal(reads, 2, 'read again once the ttl is over');
  });

  it('#clear makes the next request read the account (a change through the portal counts at once)', async () => {
    const cache = new PrincipalCache({ now: () => 0 });
    let current: Principal = { ...alice };
    const load = async () => ({ ...current });
    assert.equal((await cache.get(7, load))?.admin, true);
    current = { ...alice, admin: false };
    assert.equal((await cache.get(7, load))?.admin, true, 'cached');
    cache.clear();
    assert.equal((await cache.get(7, load))?.admin, false);
  });

  it('#forget drops one account only', async () => {
    const cache = new PrincipalCache({ now: () => 0 });
    let reads = 0;
    const load = (id: number) => async () => {
      reads += 1;
      return { ...alice, entityId: id };
    };
    await cache.get(1, load(1));
    await cache.get(2, load(2));
    cache.forget(1);
    await cache.get(1, load(1));
    await cache.get(2, load(2));
    assert.equal(reads, 3);
  });

  it('#get does not remember a read that overlapped a clear', async () => {
    const cache = new PrincipalCache({ now: () => 0 });
    let release!: () => void;
    const slow = new Promise<void>((r) => (release = r));
    const stale = cache.get(7, async () => {
      await slow;
      return { ...alice };
    });
    cache.clear();
    release();
    assert.equal((await stale)?.admin, true);
    let reads = 0;
    assert.equal(
      (await cache.get(7, async () => {
        reads += 1;
        return { ...alice, admin: false };
      }))?.admin,
      false,
    );
    assert.equal(reads, 1);
  });

  it('#get hands out copies and forgets the oldest account beyond maxEntries', async () => {
    const cache = new PrincipalCache({ maxEntries: 2, now: () => 0 });
    let reads = 0;
    const load = (id: number) => async () => {
      reads += 1;
      return { ...alice, entityId: id };
    };
    const first = await cache.get(1, load(1));
    first!.admin = false;
    assert.equal((await cache.get(1, load(1)))?.admin, true, 'a caller cannot change the cached account');
    await cache.get(2, load(2));
    await cache.get(3, load(3));
    assert.equal(reads, 3);
    await cache.get(1, load(1));
    assert.equal(reads, 4, 'the oldest went first');
  });
});
