import assert from 'node:assert/strict';
import type { ClusterRecord } from '../../../src/db/index.js';
import { SyncScheduler, type SyncDeps } from '../../../src/sync/index.js';

/** Deps whose cluster list records every pass; no cluster is enabled, so a pass touches nothing else. */
function depsCountingPasses(intervalSeconds: number): { deps: SyncDeps; passes: () => number } {
  let passes = 0;
  const clusters = { list: async (): Promise<ClusterRecord[]> => (passes++, []) };
  const deps = { clusters, config: { sync: { intervalSeconds }, dhcp: {} } } as unknown as SyncDeps;
  return { deps, passes: () => passes };
}

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(probe: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    assert.ok(Date.now() < deadline, 'timed out');
    await tick(10);
  }
}

describe('SyncScheduler', () => {
  it('#start runs a first pass at once and then every interval', async () => {
    const { deps, passes } = depsCountingPasses(1);
    const scheduler = new SyncScheduler(deps);
    scheduler.start();
    await until(() => passes() === 1, 1000);
    const started = Date.now();
    await until(() => passes() === 2, 5000);
    assert.ok(Date.now() - started >= 900, 'the second pass waits for the interval');
    await scheduler.stop();
  });

  it('#start with intervalSeconds 0 runs no periodic pass', async () => {
    const { deps, passes } = depsCountingPasses(0);
    const scheduler = new SyncScheduler(deps);
    scheduler.start();
    await tick(1200);
    assert.equal(passes(), 0);
    await scheduler.stop();
  });

  it('#stop is idempotent and ends the passes', async () => {
    const { deps, passes } = depsCountingPasses(1);
    const scheduler = new SyncScheduler(deps);
    scheduler.start();
    await until(() => passes() === 1, 1000);
    await scheduler.stop();
    await scheduler.stop();
    const after = passes();
    await tick(1100);
    assert.equal(passes(), after);
  });
});
