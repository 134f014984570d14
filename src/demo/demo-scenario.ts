import type { Scenario } from '../pvesim/index.js';

export const DEMO_CLUSTER = 'demo';
export const DEMO_TOKEN_ID = 'earcandle@pve!gateway';
export const DEMO_ADMIN = 'admin';
export const DEMO_USER = 'demo';

/**
 * Two nodes, a handful of VMs. The cluster's owner rule is "pool": the VMs in pool `demo` belong to the demo user.
 * The gateway's token holds a PVEVMUser-style role plus what sync reads, as a least-privilege token would.
 */
export function demoScenario(tokenSecret: string, withQemu: boolean): Scenario {
  const backend = withQemu ? 'qemu' : 'sim';
  return {
    clusterName: 'demo',
    nodes: [{ name: 'pve1' }, { name: 'pve2' }],
    storages: [{ id: 'local', content: ['iso', 'images'], isos: ['debian-12.8-amd64-netinst.iso', 'ubuntu-24.04-desktop-amd64.iso'] }],
    pools: [{ poolid: DEMO_USER, comment: "the demo user's machines" }, { poolid: 'lab', comment: 'shared lab machines' }],
    vms: [
      { vmid: 100, node: 'pve1', name: 'ubuntu-desktop', pool: DEMO_USER, status: 'running', memory: 4096, cores: 2, tags: ['desktop'], backend },
      { vmid: 101, node: 'pve2', name: 'build-server', pool: DEMO_USER, status: 'stopped', memory: 8192, cores: 4, tags: ['ssh'], backend },
      { vmid: 102, node: 'pve1', name: 'win11-lab', pool: 'lab', status: 'stopped', memory: 8192, cores: 4, acpi: 'ignore', backend },
      { vmid: 103, node: 'pve2', name: 'debian-template', status: 'stopped', template: true, memory: 2048, cores: 2, backend: 'sim' },
    ],
    users: [{ userid: 'earcandle@pve' }],
    tokens: [{ tokenid: DEMO_TOKEN_ID, secret: tokenSecret, privsep: false }],
    acls: [
      { path: '/', ugid: 'earcandle@pve', role: 'PVEVMAdmin', propagate: true },
      { path: '/', ugid: 'earcandle@pve', role: 'PVEAuditor', propagate: true },
    ],
  };
}
