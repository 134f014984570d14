/**
 * Scale benchmark: 10,000 simulated VMs on 5 nodes; times GET /cluster/resources through proxmox-api
 * as root and as a privilege-separated pool token. Prints numbers; asserts nothing.
 *   npx tsx bench/pvesim-resources.ts
 */
import { performance } from 'node:perf_hooks';
import { startPveSim } from '../src/pvesim/index.js';
import { tokenClient } from '../test/helpers/pvesim/client.js';

const ROOT = 'root@pam!bench';
const SECRET = '3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f';
const POOL = 'gw@pve!pool';
const POOL_SECRET = '4d5e6f7a-8b9c-4d0e-9f1a-2b3c4d5e6f7a';

const vms = Array.from({ length: 10_000 }, (_, i) => ({ vmid: 100 + i, node: `pve${(i % 5) + 1}`, pool: i % 10 === 0 ? 'p1' : undefined }));
const t0 = performance.now();
const sim = await startPveSim({
  port: 0,
  qemu: false,
  authFailDelayMs: 0,
  tokens: [`${ROOT}=${SECRET}`],
  scenario: { nodes: 5, pools: [{ poolid: 'p1' }], users: [{ userid: 'gw@pve' }], tokens: [{ tokenid: POOL, secret: POOL_SECRET }], acls: [{ path: '/pool/p1', ugid: 'gw@pve', role: 'PVEVMUser' }, { path: '/pool/p1', ugid: POOL, role: 'PVEVMUser' }], vms },
});
console.log(`startup with 10000 VMs: ${(performance.now() - t0).toFixed(0)} ms`);
try {
  for (const [label, px] of [
    ['root token', tokenClient(sim, ROOT, SECRET)],
    ['pool token (privsep, ACL-filtered)', tokenClient(sim, POOL, POOL_SECRET)],
  ] as const) {
    const times: number[] = [];
    let count = 0;
    for (let i = 0; i < 10; i++) {
      const t = performance.now();
      count = ((await px.cluster.resources.$get({ type: 'vm' })) as unknown[]).length;
      times.push(performance.now() - t);
    }
    times.sort((a, b) => a - b);
    console.log(`/cluster/resources?type=vm, ${label}: ${count} VMs, median ${times[5]!.toFixed(1)} ms, max ${times[9]!.toFixed(1)} ms`);
  }
} finally {
  await sim.stop();
}
