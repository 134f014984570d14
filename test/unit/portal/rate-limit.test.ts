import assert from 'node:assert/strict';
import { RateLimiter } from '../../../src/portal/rate-limit.js';

describe('RateLimiter', () => {
  it('#hit counts per key within a window and tells how long to wait', () => {
    let now = 1_000_000;
    const l = new RateLimiter(3, 60_000, () => now);
    assert.deepEqual([l.hit('a'), l.hit('a'), l.hit('a')], [0, 0, 0]);
    assert.equal(l.hit('a'), 60);
    assert.equal(l.hit('b'), 0, 'another key has its own count');
    now += 30_000;
    assert.equal(l.hit('a'), 30);
    assert.equal(l.blocked('a'), 30);
    now += 30_001;
    assert.equal(l.hit('a'), 0, 'a new window');
    assert.equal(l.blocked('a'), 0);
  });
});
