import assert from 'node:assert/strict';
import { syncCluster } from '../../../src/sync/index.js';
import { createSyncFixture, type SyncFixture } from '../../helpers/sync-fixture.js';

const VMS = 24;

describe('sync under faults (30% errors, latency, a node offline)', function () {
  this.timeout(120_000);
  let f: SyncFixture;

  before(async () => {
    f = await createSyncFixture({
      nodes: 3,
      vms: Array.from({ length: VMS }, (_, i) => ({ vmid: 100 + i, node: `pve${(i % 3) + 1}`, name: `vm${100 + i}`, status: i % 2 ? 'running' : 'stopped' })),
    });
  });
  after(async () => {
    await f?.close();
  });

  const rows = async (): Promise<{ vmid: number; node: string; name: string; status: string; gone: number }[]> =>
    (await f.db.query('SELECT vmid, node, name, status, gone_at IS NOT NULL AS gone FROM vm ORDER BY vmid')) as never;

  it('never loses a row nor marks a live VM gone, and converges once faults clear', async () => {
    assert.equal((await syncCluster(f.deps, 'lab')).outcome, 'ok');
    const deleted = new Set<number>();
    let failed = 0;
    let ok = 0;
    for (let i = 0; i < 100; i++) {
      f.sim.faults.set({
        rules: [{ errorRate: 0.3, latencyMs: 1, resetRate: 0.03 }],
        offlineNodes: i % 40 < 20 ? ['pve3'] : [],
      });
      if (i === 30) {
        f.sim.state.vms.get(101)!.config.name = 'renamed';
      }
      if (i === 60) {
        // destroyed behind sync's back: the only VM that may be marked gone
        f.sim.state.vms.delete(102);
        deleted.add(102);
      }
      const r = await syncCluster(f.deps, 'lab');
      if (r.outcome === 'ok') ok++;
      else failed++;
      for (const row of await rows()) {
        const truth = f.sim.state.vms.get(row.vmid);
        if (Number(row.gone) === 1) assert.ok(!truth && deleted.has(row.vmid), `VM ${row.vmid} wrongly marked gone in round ${i}`);
        else assert.ok(truth || deleted.has(row.vmid), `row ${row.vmid} has no VM`);
      }
      assert.equal((await rows()).length, VMS, `a row was lost or duplicated in round ${i}`);
    }
    assert.ok(ok > 0 && failed > 0, `both outcomes expected (ok ${ok}, failed ${failed})`);

    f.sim.faults.clear();
    assert.equal((await syncCluster(f.deps, 'lab')).outcome, 'ok');
    const truth = [...f.sim.state.vms.values()].sort((a, b) => a.vmid - b.vmid);
    const live = (await rows()).filter((r) => Number(r.gone) === 0);
    assert.deepEqual(
      live.map((r) => [r.vmid, r.node, r.name, r.status]),
      truth.map((v) => [v.vmid, v.node, v.config.name, v.status]),
    );
    assert.deepEqual((await rows()).filter((r) => Number(r.gone) === 1).map((r) => r.vmid), [102]);
    const last = (await f.db.query("SELECT last_sync_error AS e FROM pve_cluster WHERE name = 'lab'")) as { e: string | null }[];
    assert.equal(last[0]!.e, null);
  });
});
