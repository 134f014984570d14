/**
 * Sync at scale: 10,000 simulated VMs on 5 nodes (no QEMU), real MariaDB. Prints the first full sync and a
 * no-change resync (time, rows written) beside the floor: fetching the same PVE listing (resources, node
 * lists, every config) plus one bulk insert of the same rows sync wrote. Asserts nothing.
 *   npx tsx bench/sync.ts
 */
import { performance } from 'node:perf_hooks';
import type { DataSource } from '../src/db/index.js';
import { syncCluster } from '../src/sync/index.js';
import { createSyncFixture } from '../test/helpers/sync-fixture.js';

const N = Number(process.env.BENCH_VMS ?? 10_000);
const vms = Array.from({ length: N }, (_, i) => ({ vmid: 100 + i, node: `pve${(i % 5) + 1}`, name: `vm${100 + i}`, pool: i % 10 === 0 ? 'alice' : undefined }));
const f = await createSyncFixture({ nodes: 5, pools: [{ poolid: 'alice' }], vms }, { cluster: { dhcpSubnet: '10.64.0.0/16', keaSubnetId: 1 } });
await f.identities.createUser({ name: 'alice' });

const TABLES = ['vm', 'vm_event', 'guacamole_connection', 'guacamole_connection_attribute', 'guacamole_connection_permission', 'dhcp_reservation'];

async function bulkCopy(db: DataSource): Promise<{ ms: number; rows: number }> {
  const data: [string, Record<string, unknown>[]][] = [];
  for (const t of TABLES) {
    await db.query(`CREATE TABLE floor_${t} LIKE ${t}`);
    data.push([t, (await db.query(`SELECT * FROM ${t}`)) as Record<string, unknown>[]]);
  }
  const qr = db.createQueryRunner();
  await qr.connect();
  const t0 = performance.now();
  let rows = 0;
  await qr.startTransaction();
  for (const [t, list] of data) {
    if (list.length === 0) continue;
    const cols = Object.keys(list[0]!).filter((c) => !c.startsWith('live_'));
    for (let i = 0; i < list.length; i += 1000) {
      const part = list.slice(i, i + 1000);
      await qr.query(
        `INSERT INTO floor_${t} (${cols.map((c) => `\`${c}\``).join(',')}) VALUES ${part.map(() => `(${cols.map(() => '?').join(',')})`).join(',')}`,
        part.flatMap((r) => cols.map((c) => r[c])),
      );
    }
    rows += list.length;
  }
  await qr.commitTransaction();
  const ms = performance.now() - t0;
  await qr.release();
  for (const t of TABLES) await db.query(`DROP TABLE floor_${t}`);
  return { ms, rows };
}

try {
  const full = await syncCluster(f.deps, 'lab');
  console.log(`first full sync:   ${full.outcome}, ${full.vms} VMs, ${full.writes} rows written, ${full.durationMs.toFixed(0)} ms`);
  const again = await syncCluster(f.deps, 'lab');
  console.log(`no-change resync:  ${again.outcome}, ${again.writes} rows written (handler writes ${again.handlerWrites}), ${again.durationMs.toFixed(0)} ms`);

  // The floor: the same PVE calls the first sync made, then one bulk insert of the rows it wrote.
  const t0 = performance.now();
  const resources = await f.ops.clusterResources();
  await f.ops.clusterNodes();
  const nodes = [...new Set(resources.map((r) => r.node))];
  const lists = (await Promise.all(nodes.map((n) => f.ops.nodeVms(n)))).flat();
  await Promise.all(lists.map((v) => f.ops.vmConfig(v.node, v.vmid)));
  await Promise.all(nodes.map((n) => f.ops.nodeTasks(n, Date.now() / 1000 - 600)));
  const fetchMs = performance.now() - t0;
  const copy = await bulkCopy(f.db);
  const floor = fetchMs + copy.ms;
  console.log(`floor:             fetch ${fetchMs.toFixed(0)} ms + bulk insert of ${copy.rows} rows ${copy.ms.toFixed(0)} ms = ${floor.toFixed(0)} ms`);
  console.log(`full sync / floor: ${(full.durationMs / floor).toFixed(2)} (target <= 1.5); no-change resync ${again.durationMs.toFixed(0)} ms (target <= 1000 ms, 0 writes)`);
} finally {
  await f.close();
}
