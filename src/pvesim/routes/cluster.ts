import type { Route } from '../context.js';
import { str } from '../context.js';
import { PveError } from '../errors.js';
import { may } from '../guards.js';
import { canAudit, vmStats } from './resources.js';

/** GET /cluster/resources and GET /cluster/nextid. */
export const clusterRoutes: Route[] = [
  {
    method: 'GET',
    template: '/cluster/resources',
    handler(req) {
      const { state, faults } = req.sim;
      const type = str(req.params, 'type');
      const out: Record<string, unknown>[] = [];
      if (!type || type === 'vm') {
        const poolAudit = new Map<string, boolean>();
        for (const vm of state.vms.values()) {
          if (!canAudit(req, vm)) continue;
          const offline = faults.offlineNodes.has(vm.node) || !state.nodes.get(vm.node)?.online;
          const r: Record<string, unknown> = {
            id: `${vm.type}/${vm.vmid}`,
            vmid: vm.vmid,
            node: vm.node,
            name: vm.config.name ?? (vm.type === 'lxc' ? vm.config.hostname : undefined),
            type: vm.type,
            status: offline ? 'unknown' : vm.status,
            template: vm.template ? 1 : 0,
            ...vmStats(vm),
          };
          if (vm.config.tags) r.tags = vm.config.tags;
          if (vm.lock) r.lock = vm.lock;
          if (vm.pool) {
            let ok = poolAudit.get(vm.pool);
            if (ok === undefined) poolAudit.set(vm.pool, (ok = may(req, `/pool/${vm.pool}`, ['Pool.Audit'])));
            if (ok) r.pool = vm.pool;
          }
          out.push(r);
        }
      }
      if (!type || type === 'node') {
        for (const node of state.nodes.values()) {
          if (!may(req, `/nodes/${node.name}`, ['Sys.Audit'])) continue;
          const online = node.online && !faults.offlineNodes.has(node.name);
          out.push({ id: `node/${node.name}`, node: node.name, type: 'node', status: online ? 'online' : 'offline', level: '', maxcpu: node.maxcpu, maxmem: node.maxmem, cpu: 0.02, mem: Math.floor(node.maxmem / 4), uptime: online ? Math.floor(process.uptime()) : 0, maxdisk: 100 * 1024 ** 3, disk: 10 * 1024 ** 3, 'cgroup-mode': 2 });
        }
      }
      if (!type || type === 'storage') {
        for (const node of state.nodes.values()) {
          for (const s of state.storages.values()) {
            if (!may(req, `/storage/${s.id}`, ['Datastore.Audit', 'Datastore.AllocateSpace'])) continue;
            out.push({ id: `storage/${node.name}/${s.id}`, storage: s.id, node: node.name, type: 'storage', status: 'available', content: s.content.join(','), plugintype: s.type, shared: s.shared ? 1 : 0, maxdisk: 500 * 1024 ** 3, disk: 50 * 1024 ** 3 });
          }
        }
      }
      if (!type || type === 'pool') {
        for (const p of state.pools.values()) {
          if (may(req, `/pool/${p.poolid}`, ['Pool.Audit'])) out.push({ id: `/pool/${p.poolid}`, pool: p.poolid, type: 'pool' });
        }
      }
      return out;
    },
  },
  {
    method: 'GET',
    template: '/cluster/nextid',
    handler(req) {
      const want = str(req.params, 'vmid');
      if (want !== undefined) {
        if (req.sim.state.vms.has(Number(want))) throw new PveError(400, 'Parameter verification failed.', { vmid: `VM ${want} already exists` });
        return want;
      }
      // PVE returns the id as a JSON string in practice
      return String(req.sim.state.nextId());
    },
  },
];
